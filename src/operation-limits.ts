import type { IncomingMessage } from 'node:http';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { PothosValidationError } from '@pothos/core';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { type DocumentNode, type ExecutionResult, getOperationAST, GraphQLError, type GraphQLSchema, Kind, validate, type ValidationRule } from 'graphql';
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
 * The complexity and breadth of the operation that will run, with its variables (the Pothos
 * complexity plugin's `complexityFromQuery`, on that operation and the document's fragments);
 * null when there is none to run or its variables are bad, which execution answers.
 */
function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: unknown, context: object) {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  try {
    return complexityFromQuery(
      { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] },
      { schema, ctx: context, variables: (variables ?? {}) as Record<string, unknown> },
    );
  } catch (error) {
    if (error instanceof GraphQLError || error instanceof PothosValidationError) return null;
    throw error;
  }
}

/** A limit a document breaks whatever its variables: kept per document, worded per request. */
interface DocumentRefusal {
  code: RefusalCode;
  key: MessageKey;
  /** The limit broken (introspection, off, has none). */
  limit?: number;
}

/**
 * Every operation, over HTTP or WebSocket, is bounded before it runs:
 * - tokens while parsing (graphql-armor's counting lexer), so a huge document costs little;
 * - aliases, directives, depth (graphql-armor's rules) and, when switched off, introspection:
 *   these depend on the document alone, so they are checked once per document (Yoga's parser
 *   cache hands the same document object to every request with the same text) and remembered;
 * - the schema's complexity and breadth (the Pothos complexity plugin), with the operation's
 *   variables, once per operation just before it executes, by walking the operation's selections
 *   (no validation pass).
 * They are not Yoga validation rules because a refusal is worded in the request's language and
 * complexity depends on variables, neither of which Yoga's validation cache keys on.
 * A refusal is one GraphQL error per broken limit with its code, HTTP 400, and a warning in the log.
 */
export function useOperationLimits(options: OperationLimitOptions): Plugin[] {
  const { limits } = options;
  const armor = { propagateOnRejection: false, exposeLimits: false } as const;

  /** The document's refusals, in the order its rules found them. */
  const checkDocument = (schema: GraphQLSchema, document: DocumentNode): DocumentRefusal[] => {
    const found: DocumentRefusal[] = [];
    const report =
      (code: RefusalCode, key: MessageKey, limit: number) =>
      (): void => {
        found.push({ code, key, limit });
      };
    const rules: ValidationRule[] = [
      maxAliasesRule({ ...armor, n: limits.aliases, allowList: [], onReject: [report(REFUSAL_CODES.aliases, 'refused.tooManyAliases', limits.aliases)] }),
      maxDirectivesRule({ ...armor, n: limits.directives, onReject: [report(REFUSAL_CODES.directives, 'refused.tooManyDirectives', limits.directives)] }),
      maxDepthRule({ ...armor, n: limits.depth, flattenFragments: true, onReject: [report(REFUSAL_CODES.depth, 'refused.tooDeep', limits.depth)] }),
    ];
    if (!options.introspection) {
      rules.push(() => ({
        Field(node) {
          if (node.name.value === '__schema' || node.name.value === '__type') {
            found.push({ code: REFUSAL_CODES.introspection, key: 'refused.introspectionDisabled' });
          }
        },
      }));
    }
    validate(schema, document, rules);
    return found;
  };
  // Keyed by the document object, so a document Yoga's cache drops is dropped here too.
  const byDocument = new WeakMap<DocumentNode, DocumentRefusal[]>();
  const documentRefusals = (schema: GraphQLSchema, document: DocumentNode) => {
    let found = byDocument.get(document);
    if (!found) byDocument.set(document, (found = checkDocument(schema, document)));
    return found;
  };

  /** The refusals of one operation; other problems (bad variables…) are left to execution. */
  const refusals = (schema: GraphQLSchema, document: DocumentNode, variables: unknown, operationName: string | null | undefined, context: Context) => {
    const locale = context.locale;
    const errors = documentRefusals(schema, document).map(({ code, key, limit }) =>
      refusal(locale, code, key, limit === undefined ? {} : { limit }),
    );
    const cost = operationCost(schema, document, operationName, variables, context);
    if (cost && cost.complexity > limits.complexity) {
      errors.push(refusal(locale, REFUSAL_CODES.complexity, 'refused.tooComplex', { cost: cost.complexity, limit: limits.complexity }));
    } else if (cost && cost.breadth > limits.breadth) {
      errors.push(refusal(locale, REFUSAL_CODES.complexity, 'refused.tooBroad', { breadth: cost.breadth, limit: limits.breadth }));
    }
    return errors;
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
