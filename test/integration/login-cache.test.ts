import type { ChildProcess } from 'node:child_process';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { freePort, startRedis, startServer, type StartedServer, stopProcess } from '../support/processes.js';
import { SqlStatementCounter } from '../support/sql-statement-counter.js';

// Issue 13: each instance keeps the logins it found valid for a few seconds, so that a member's
// requests do not all read their login's row (src/services/member/auth-sessions.ts). What must
// still hold: a revocation made on one instance is refused by every other at once, and an instance
// that may miss revocations (its Redis is gone) reads the row again. Two server processes on one
// database and one Redis; "other" talks to PostgreSQL through a counter, so a login kept shows as
// no SQL at all.

const SignUp = graphql(`
  mutation LoginCacheSignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on SignUpSuccess { token }
      ... on Error { code message }
    }
  }
`);

const LogIn = graphql(`
  mutation LoginCacheLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token }
      ... on Error { code message }
    }
  }
`);

const LogOut = graphql(`
  mutation LoginCacheLogOut($everywhere: Boolean) {
    logOut(input: { everywhere: $everywhere }) {
      __typename
      ... on Error { code message }
    }
  }
`);

const ChangePassword = graphql(`
  mutation LoginCacheChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      __typename
      ... on ChangePasswordSuccess { token }
      ... on Error { code message }
    }
  }
`);

const children: ChildProcess[] = [];
let counter: SqlStatementCounter;

beforeAll(async () => {
  counter = await SqlStatementCounter.start(inject('databaseUrl'));
});
afterAll(async () => {
  await Promise.all(children.map((child) => stopProcess(child)));
  await counter?.close();
});

/** The raw answer, errors included. */
async function post(server: StartedServer, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, { __typename: string; token?: string }> | null; errors?: { extensions?: { code?: string } }[] };
}

/** Until the server's health says `status` (events count as up once its Redis subscriber is ready). */
async function healthIs(server: StartedServer, status: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const health = (await (await fetch(server.url.replace('/graphql', '/health'))).json()) as { status: string };
    if (health.status === status) return;
    if (Date.now() > deadline) throw new Error(`health stayed ${JSON.stringify(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `{ __typename }` with the token: its statements are the login check's alone. */
async function authenticated(server: StartedServer, token: string): Promise<{ accepted: boolean; statements: number }> {
  let answer!: Awaited<ReturnType<typeof post>>;
  const { count } = await counter.during(async () => {
    answer = await post(server, '{ __typename }', {}, token);
  });
  if (answer.data?.__typename) return { accepted: true, statements: count };
  expect(answer.errors?.[0]?.extensions?.code).toBe('INVALID_TOKEN');
  return { accepted: false, statements: count };
}

async function signUp(server: StartedServer): Promise<{ email: string; password: string; token: string }> {
  const email = `login-cache-${Math.random().toString(36).slice(2)}@example.com`;
  const password = 'correct horse battery';
  const answer = await post(server, print(SignUp), { input: { email, password, firstName: 'Ada', lastName: 'Lovelace' } });
  return { email, password, token: answer.data!.signUp!.token! };
}

async function logIn(server: StartedServer, member: { email: string; password: string }): Promise<string> {
  const answer = await post(server, print(LogIn), { input: { email: member.email, password: member.password } });
  return answer.data!.logIn!.token!;
}

describe('two server processes sharing Redis', () => {
  let one: StartedServer;
  let other: StartedServer;
  beforeAll(async () => {
    one = await startServer({ DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl'), DEMO_DATA: '0' }, children);
    other = await startServer({ DATABASE_URL: counter.url, REDIS_URL: inject('redisUrl'), DEMO_DATA: '0' }, children);
    await healthIs(other, 'ok');
  }, 120_000);

  it('reads a login once, then refuses it at once when it is logged out on the other instance', async () => {
    const member = await signUp(one);
    expect(await authenticated(other, member.token)).toEqual({ accepted: true, statements: 1 });
    expect(await authenticated(other, member.token)).toEqual({ accepted: true, statements: 0 });

    expect((await post(one, print(LogOut), {}, member.token)).data?.logOut?.__typename).toBe('LogOutSuccess');
    // No wait: logOut answered once Redis had the revocation.
    expect((await authenticated(other, member.token)).accepted).toBe(false);
  });

  it('logging out everywhere, and changing the password, end the logins the other instance kept', async () => {
    const member = await signUp(one);
    const second = await logIn(one, member);
    const third = await logIn(one, member);
    for (const token of [member.token, second, third]) expect((await authenticated(other, token)).accepted).toBe(true);
    for (const token of [member.token, second, third]) expect(await authenticated(other, token)).toEqual({ accepted: true, statements: 0 });

    // A new password ends every other login; the token it answers works on the other instance.
    const changed = await post(one, print(ChangePassword), { input: { currentPassword: member.password, newPassword: 'another good passphrase' } }, second);
    const fresh = changed.data!.changePassword!.token!;
    expect((await authenticated(other, member.token)).accepted).toBe(false);
    expect((await authenticated(other, third)).accepted).toBe(false);
    expect((await authenticated(other, fresh)).accepted).toBe(true);
    expect(await authenticated(other, fresh)).toEqual({ accepted: true, statements: 0 });

    expect((await post(one, print(LogOut), { everywhere: true }, fresh)).data?.logOut?.__typename).toBe('LogOutSuccess');
    expect((await authenticated(other, fresh)).accepted).toBe(false);
  });
});

describe('an instance whose Redis is gone', () => {
  it('reads the login on every request, so a log-out elsewhere still takes effect at once', async () => {
    const redisPort = await freePort();
    const redis = await startRedis(redisPort, children);
    const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}`, DEMO_DATA: '0' };
    const one = await startServer({ ...env, DATABASE_URL: inject('databaseUrl') }, children);
    const other = await startServer({ ...env, DATABASE_URL: counter.url }, children);
    await healthIs(other, 'ok');
    const member = await signUp(one);
    expect(await authenticated(other, member.token)).toEqual({ accepted: true, statements: 1 });
    expect(await authenticated(other, member.token)).toEqual({ accepted: true, statements: 0 });

    await stopProcess(redis, 'SIGKILL');
    await healthIs(other, 'degraded');
    // It may have missed revocations: what it kept is gone, and nothing is kept meanwhile.
    expect(await authenticated(other, member.token)).toEqual({ accepted: true, statements: 1 });
    expect(await authenticated(other, member.token)).toEqual({ accepted: true, statements: 1 });

    // The revocation cannot travel; the row says it.
    expect((await post(one, print(LogOut), {}, member.token)).data?.logOut?.__typename).toBe('LogOutSuccess');
    expect(await authenticated(other, member.token)).toEqual({ accepted: false, statements: 1 });
  }, 120_000);
});
