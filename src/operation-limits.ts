import type { IncomingMessage } from 'node:http';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { type DocumentNode, type ExecutionResult, GraphQLError, type GraphQLSchema, validate, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLimitConfig } from './config.js';
import type { Context } from './context.js';
import type { Locale, MessageKey, MessageParams } from './i18n/messages.js';
import { localeOf, translate } from './i18n/translate.js';
import { logger } from './logger.js';

/** `extensions.code` of an operation refused for its size or shape (README, "Operation limits"). */
export const REFUSAL_CODES = {
  tokens: 'TOO_MANY_TOKENS',
  aliases: 'TOO_MANY_ALIASES',
  directives: 'TOO_MANY_DIRECTIVES',
  depth: 'QUERY_TOO_DEEP',
  complexity: 'QUERY_TOO_COMPLEX',
  introspection: 'INTROSPECTION_DISABLED',
} as const;

export interface OperationLimitOptions {
  limits: OperationLimitConfig;
  introspection: boolean;
  /** Hide "Did you mean …?" in validation errors (production: they map the schema for a stranger). */
  blockFieldSuggestions: boolean;
}

type RefusalCode = (typeof REFUSAL_CODES)[keyof typeof REFUSAL_CODES];

function refusal(locale: Locale, code: RefusalCode, key: MessageKey, params: MessageParams & { limit?: number }): GraphQLError {
  // A request error, like a validation error: HTTP 400, or 200 for a client that accepts only
  // application/json (the GraphQL-over-HTTP spec's `spec` rule, which Yoga applies).
  return new GraphQLError(translate(locale, key, params), {
    extensions: { code, ...(params.limit === undefined ? {} : { limit: params.limit }), http: { status: 400, spec: true } },
  });
}

/** What Yoga's initial context holds before the context is built: the HTTP request, or graphql-ws's connection. */
interface InitialContext {
  request?: Request;
  connectionParams?: Record<string, unknown>;
  /** graphql-ws: the connection's extra, with the upgrade request. */
  extra?: { request?: IncomingMessage };
}

/** The language of a request before its context is built, by the one rule (src/i18n/translate.ts). */
function initialLocale(context: InitialContext): Locale {
  return localeOf({ request: context.request, connectionParams: context.connectionParams, incoming: context.extra?.request });
}

/**
 * Parse errors must not be cached by Yoga: a refusal is worded in the language of the request that
 * caused it. (Documents that parse are still cached.)
 */
export const uncachedErrors = { get: (): undefined => undefined, set: (): void => {} };

/**
 * Every operation, over HTTP or WebSocket, is bounded before it runs:
 * - tokens while parsing (graphql-armor's counting lexer), so a huge document costs little;
 * - aliases, directives, depth (graphql-armor's rules), the schema's complexity and breadth (the
 *   Pothos complexity plugin, with the operation's variables) and, when switched off,
 *   introspection, once per operation just before it executes: these depend on variables and
 *   language, which Yoga's validation cache does not key on.
 * A refusal is one GraphQL error per broken limit with its code, HTTP 400, and a warning in the log.
 */
export function useOperationLimits(options: OperationLimitOptions): Plugin[] {
  const { limits } = options;
  const rulesFor = (locale: Locale, variables: Record<string, unknown>, operationName: string | null | undefined, context: object) => {
    const report =
      (code: RefusalCode, key: MessageKey, limit: number) =>
      (validation: ValidationContext | null): void => {
        validation?.reportError(refusal(locale, code, key, { limit }));
      };
    const armor = { propagateOnRejection: false, exposeLimits: false } as const;
    const rules: ValidationRule[] = [
      maxAliasesRule({ ...armor, n: limits.aliases, allowList: [], onReject: [report(REFUSAL_CODES.aliases, 'refused.tooManyAliases', limits.aliases)] }),
      maxDirectivesRule({ ...armor, n: limits.directives, onReject: [report(REFUSAL_CODES.directives, 'refused.tooManyDirectives', limits.directives)] }),
      maxDepthRule({ ...armor, n: limits.depth, flattenFragments: true, onReject: [report(REFUSAL_CODES.depth, 'refused.tooDeep', limits.depth)] }),
      createComplexityRule({
        context,
        variableValues: variables,
        operationName,
        validate: ({ complexity, breadth }, reportError) => {
          if (complexity > limits.complexity) {
            reportError(refusal(locale, REFUSAL_CODES.complexity, 'refused.tooComplex', { cost: complexity, limit: limits.complexity }));
          } else if (breadth > limits.breadth) {
            reportError(refusal(locale, REFUSAL_CODES.complexity, 'refused.tooBroad', { breadth, limit: limits.breadth }));
          }
        },
      }),
    ];
    if (!options.introspection) {
      rules.push((validation) => ({
        Field(node) {
          if (node.name.value === '__schema' || node.name.value === '__type') {
            validation.reportError(refusal(locale, REFUSAL_CODES.introspection, 'refused.introspectionDisabled', {}));
          }
        },
      }));
    }
    return rules;
  };

  /** The refusals of one operation; other problems (bad variables…) are left to execution. */
  const refusals = (schema: GraphQLSchema, document: DocumentNode, variables: unknown, operationName: string | null | undefined, context: Context) => {
    const codes: readonly string[] = Object.values(REFUSAL_CODES);
    const variableValues = (variables ?? {}) as Record<string, unknown>;
    return validate(schema, document, rulesFor(context.locale, variableValues, operationName, context)).filter((error) =>
      codes.includes(String(error.extensions.code)),
    );
  };

  const refuse = (errors: GraphQLError[], stop: (result: ExecutionResult) => void) => {
    logger.warn({ codes: [...new Set(errors.map((error) => error.extensions.code))] }, 'operation refused');
    stop({ errors });
  };

  const limitsPlugin: Plugin = {
    onParse({ context, setParseFn }) {
      const locale = initialLocale(context as InitialContext);
      setParseFn((source, parseOptions) => {
        const parser = new MaxTokensParserWLexer(source, {
          ...parseOptions,
          n: limits.tokens,
          propagateOnRejection: false,
          onReject: [
            () => {
              throw refusal(locale, REFUSAL_CODES.tokens, 'refused.tooManyTokens', { limit: limits.tokens });
            },
          ],
        } as ConstructorParameters<typeof MaxTokensParserWLexer>[1]);
        return parser.parseDocument();
      });
      return ({ result }) => {
        if (!(result instanceof Error)) return;
        const code = result instanceof GraphQLError ? result.extensions.code : undefined;
        if (code === REFUSAL_CODES.tokens) logger.warn({ codes: [code] }, 'operation refused');
        else logger.info({ error: result.message }, 'unparsable operation');
      };
    },
    onValidate() {
      return ({ valid, result }) => {
        if (!valid) logger.info({ errors: result.map((error) => error.message) }, 'invalid operation');
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      const errors = refusals(args.schema, args.document, args.variableValues, args.operationName, args.contextValue as unknown as Context);
      if (errors.length) refuse(errors, setResultAndStopExecution);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = refusals(args.schema, args.document, args.variableValues, args.operationName, args.contextValue as unknown as Context);
      if (errors.length) refuse(errors, setResultAndStopExecution);
    },
  };

  return options.blockFieldSuggestions ? [limitsPlugin, blockFieldSuggestionsPlugin({ mask: '' })] : [limitsPlugin];
}
