import { randomUUID } from 'node:crypto';
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { type App, createApp } from '../../src/server.js';

const RUN_ID = randomUUID();

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123';

/** Configuration of a test server: the run's PostgreSQL and the machine's Redis unless overridden. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET }),
    databaseUrl: inject('databaseUrl'),
    redisUrl: inject('redisUrl'),
    demoData: false,
    // Emails of test servers go to .eml files outside the working tree.
    dataDir: join(tmpdir(), 'booking-test-data'),
    // No timer: test files share one database, and a worker of another file's server must not take
    // a job a test runs itself. Tests run due work explicitly (runDueJobs, or the test clock).
    jobIntervalMs: 0,
    port: 0,
    host: '127.0.0.1',
    // Every in-process request comes from one "address", and files share Redis: counters of this
    // run only, and per-address limits out of the way (rate-limits.test.ts sets its own).
    rateLimits: { perEmail: 10, perAddress: 1_000_000, windowSeconds: 900, keyPrefix: `test-rate-limit:${RUN_ID}` },
    ...overrides,
  };
}

export async function startApp(overrides: Partial<Config> = {}): Promise<App> {
  return createApp(testConfig(overrides));
}

export interface RequestOptions {
  token?: string;
  locale?: string;
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Runs an operation through the real server in-process (`yoga.fetch`). */
export async function request<TResult, TVariables>(
  app: App,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  options: RequestOptions = {},
): Promise<GraphQLResponse<TResult>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.locale) headers['accept-language'] = options.locale;
  const response = await app.yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as GraphQLResponse<TResult>;
}

/** Like `request`, but fails the test on any GraphQL-level error and returns the data. */
export async function execute<TResult, TVariables>(
  app: App,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  options: RequestOptions = {},
): Promise<TResult> {
  const result = await request(app, document, variables, options);
  if (result.errors?.length || !result.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}

/** Narrows a mutation result union to its success member, failing with the error otherwise. */
export function success<T extends { __typename?: string }, N extends string>(
  result: T,
  typename: N,
): Extract<T, { __typename?: N }> {
  if (result.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(result)}`);
  return result as Extract<T, { __typename?: N }>;
}

/** Runs an operation over real HTTP against a listening server (for races between requests). */
export async function httpRequest<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  options: RequestOptions = {},
): Promise<TResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.locale) headers['accept-language'] = options.locale;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: print(document), variables }) });
  const result = (await response.json()) as GraphQLResponse<TResult>;
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}
