import { handleStreamOrSingleExecutionResult, type Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
import type { Context } from './context.js';
import { DomainError, ValidationError } from './domain/errors.js';
import { translate } from './i18n/translate.js';

/**
 * A business error that escapes outside a typed mutation result (a query refusing another
 * member's data, a bad filter, a subscription refused as it starts) is still meant for the client:
 * keep its code (and, for VALIDATION, its `field`), and translate its message in the request's
 * language. Everything else stays for Yoga to mask.
 */
export function useTranslatedDomainErrors(): Plugin<Context> {
  const rewrite = (errors: readonly GraphQLError[] | undefined, context: Context) =>
    errors?.map((error) =>
      error.originalError instanceof DomainError
        ? new GraphQLError(translate(context.locale, error.originalError.messageKey, error.originalError.params), {
            nodes: error.nodes,
            path: error.path,
            extensions: {
              code: error.originalError.code,
              ...(error.originalError instanceof ValidationError ? { field: error.originalError.field } : {}),
            },
          })
        : error,
    );
  const translated =
    (context: Context) =>
    ({ result, setResult }: { result: { errors?: readonly GraphQLError[] }; setResult: (result: any) => void }) => {
      if (result.errors?.length) setResult({ ...result, errors: rewrite(result.errors, context) });
    };
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, translated(args.contextValue as Context)),
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, translated(args.contextValue as Context)),
    }),
  };
}
