import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config.js';
import type { App } from '../../src/server.js';
import { execute, startApp, success } from './app.js';
import { createDatabase, databaseUrl, dropDatabase } from './global-setup.js';

// The test clock of API.md, for test files whose server runs with TEST_CLOCK=1 (each on a database
// of its own: advanceClock runs every due job of its database).

export const ZONE = 'Europe/Paris';

// `now` and `advanceClock` exist only with TEST_CLOCK=1, so schema.graphql (which the typed
// documents are checked against) does not have them: these two documents are typed by hand.
type ClockError = {
  __typename: 'ValidationError' | 'ForbiddenError' | 'UnauthenticatedError' | 'NotFoundError';
  code: string;
  message: string;
  field?: string[] | null;
};
type AdvanceResult = { advanceClock: { __typename: 'AdvanceClockSuccess'; now: string; jobsRun: number } | ClockError };

export const ClockNow = parse(`
  query ClockNow { now }
`) as TypedDocumentNode<{ now: string }, Record<string, never>>;

export const ClockAdvance = parse(`
  mutation ClockAdvance($input: AdvanceClockInput!) {
    advanceClock(input: $input) {
      __typename
      ... on AdvanceClockSuccess { now jobsRun }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`) as TypedDocumentNode<AdvanceResult, { input: { to: string } }>;

export function paris(instant: Date | string): DateTime {
  return DateTime.fromJSDate(new Date(instant), { zone: ZONE });
}

export function ms(instant: string | Date | DateTime): number {
  return instant instanceof DateTime ? instant.toMillis() : new Date(instant).getTime();
}

/** The server's now and a way to move it, for one test-clock app. */
export function testClock(app: () => App) {
  const clockNow = async (): Promise<DateTime> => paris((await execute(app(), ClockNow, {})).now);
  /** Moves the test clock to `to` (running the due jobs on the way) and checks it got there. */
  const advanceTo = async (to: DateTime): Promise<number> => {
    const result = success(
      (await execute(app(), ClockAdvance, { input: { to: to.toJSDate().toISOString() } })).advanceClock,
      'AdvanceClockSuccess',
    );
    expect(ms(result.now)).toBe(to.toMillis());
    expect(ms((await execute(app(), ClockNow, {})).now)).toBe(to.toMillis());
    return result.jobsRun;
  };
  /** 10:00 Paris on the day after the clock's now: a fresh "day D" for a test. */
  const nextMorning = async (): Promise<DateTime> =>
    (await clockNow()).plus({ days: 1 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  return { clockNow, advanceTo, nextMorning };
}

/**
 * A server with the test clock on a database of its own, for the whole test file (advanceClock
 * runs every due job of its database, so files must not share one). Call at the top level.
 */
export function clockApp(prefix: string, overrides: Partial<Config> = {}): () => App {
  let app: App | undefined;
  let databaseName: string | undefined;
  beforeAll(async () => {
    databaseName = await createDatabase(prefix);
    // These files move the clock by months: logins last ten years unless a test says otherwise.
    app = await startApp({ databaseUrl: databaseUrl(databaseName), testClock: true, tokenTtlSeconds: 10 * 365 * 24 * 3600, ...overrides });
  });
  afterAll(async () => {
    await app?.close();
    if (databaseName) await dropDatabase(databaseName);
  });
  return () => {
    if (!app) throw new Error('the test-clock server is not started yet');
    return app;
  };
}
