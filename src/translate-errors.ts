import { handleStreamOrSingleExecutionResult, type Plugin } from '@envelop/core';
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import type { Context } from './context.js';
import { DomainError, NotFoundError, ValidationError } from './domain/errors.js';
import type { Locale } from './i18n/messages.js';
import { translate } from './i18n/translate.js';

/** A business error as a GraphQL error: its code (and the `field` of a validation or a NOT_FOUND), its message translated. */
export function translatedGraphQLError(
  error: DomainError,
  locale: Locale,
  location: Pick<GraphQLErrorOptions, 'nodes' | 'path'> = {},
): GraphQLError {
  return new GraphQLError(translate(locale, error.messageKey, error.params), {
    ...location,
    extensions: {
      code: error.code,
      ...(error instanceof ValidationError || (error instanceof NotFoundError && error.field.length > 0) ? { field: error.field } : {}),
    },
  });
}

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
        ? translatedGraphQLError(error.originalError, context.locale, { nodes: error.nodes, path: error.path })
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
