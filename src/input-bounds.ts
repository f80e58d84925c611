import type { Plugin } from '@envelop/core';
import type { Context } from './context.js';
import { operationBoundsError } from './schema/common/input-bounds.js';
import { translatedGraphQLError } from './translate-errors.js';

/**
 * The safety net for the arguments of queries and subscriptions (and of fields nested in a
 * mutation's selection): a list over its bound, an over-long string or ID, or a control character
 * is refused before anything runs, as a GraphQL error coded VALIDATION with its `field`, in the
 * request's language. Mutation inputs get the same check as a typed result (defineMutation).
 */
export function useInputBounds(): Plugin<Context> {
  const check = (
    args: { schema: Parameters<typeof operationBoundsError>[0]; document: Parameters<typeof operationBoundsError>[1]; operationName?: string | null; variableValues?: unknown; contextValue: unknown },
    stop: (result: { errors: ReturnType<typeof translatedGraphQLError>[] }) => void,
  ) => {
    const error = operationBoundsError(args.schema, args.document, args.operationName, args.variableValues as Record<string, unknown> | undefined);
    if (error) stop({ errors: [translatedGraphQLError(error, (args.contextValue as Context).locale)] });
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
  };
}
