import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../src/server.js';
import { startApp } from '../support/app.js';
import { createMember, unique } from '../support/factories.js';
import { freePort, startRedis, startServer, stopProcess } from '../support/processes.js';

// Rate limits of the secret-guessing mutations (issue 9): per email and per client address, shared
// by instances through Redis, kept in memory while Redis is down, and not dodged by aliases.

const children: ChildProcess[] = [];
const apps: App[] = [];

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Answer {
  status: number;
  body: { data?: Record<string, { __typename: string; code?: string; retryAfterSeconds?: number }> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const logIn = (email: string, password: string, alias = 'logIn') =>
  `${alias}: logIn(input: { email: ${JSON.stringify(email)}, password: ${JSON.stringify(password)} }) {
    __typename ... on Error { code } ... on RateLimitedError { retryAfterSeconds }
  }`;

const outcome = (answer: Answer, alias = 'logIn') => answer.body.data?.[alias]?.__typename;

describe('rate limits', () => {
  it('counts attempts on one email across two instances sharing Redis', async () => {
    const env = {
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      RATE_LIMIT_PER_EMAIL: '5',
      RATE_LIMIT_PREFIX: `rate-limit-test:${randomUUID()}`,
    };
    const [a, b] = await Promise.all([startServer(env, children), startServer(env, children)]);
    const email = `${unique('target')}@example.com`;
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i += 1) answers.push(await post((i % 2 === 0 ? a : b).url, `mutation { ${logIn(email, `guess number ${i}`)} }`));
    expect(answers.map((answer) => outcome(answer))).toEqual([
      ...Array(5).fill('InvalidCredentialsError'),
      ...Array(3).fill('RateLimitedError'),
    ]);
    const limited = answers[5]!.body.data!.logIn!;
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryAfterSeconds).toBeGreaterThan(800);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(900);
    // Another email is not affected.
    expect(outcome(await post(b.url, `mutation { ${logIn(`${unique('other')}@example.com`, 'whatever1')} }`))).toBe('InvalidCredentialsError');
    await Promise.all([stopProcess(a.child), stopProcess(b.child)]);
  });

  it('keeps logins working, and limited in memory, while Redis is down', async () => {
    const redisPort = await freePort();
    const redis = await startRedis(redisPort, children);
    const app = await startApp({
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      rateLimits: { perEmail: 3, perAddress: 1000, windowSeconds: 900, keyPrefix: `rl:${randomUUID()}` },
    });
    apps.push(app);
    const url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
    const member = await createMember(app);
    await stopProcess(redis, 'SIGKILL');

    expect(outcome(await post(url, `mutation { ${logIn(member.email, member.password)} }`))).toBe('LogInSuccess');
    const guesses: (string | undefined)[] = [];
    for (let i = 0; i < 5; i += 1) guesses.push(outcome(await post(url, `mutation { ${logIn(member.email, `wrong guess ${i}`)} }`)));
    expect(guesses).toEqual(['InvalidCredentialsError', 'InvalidCredentialsError', 'InvalidCredentialsError', 'RateLimitedError', 'RateLimitedError']);
  });

  it('counts per client address, from X-Forwarded-For only behind a trusted proxy', async () => {
    const limits = { perEmail: 100, perAddress: 3, windowSeconds: 900 };
    const trusting = await startApp({ trustProxy: true, rateLimits: { ...limits, keyPrefix: `rl:${randomUUID()}` } });
    const direct = await startApp({ trustProxy: false, rateLimits: { ...limits, keyPrefix: `rl:${randomUUID()}` } });
    apps.push(trusting, direct);
    const [trustingUrl, directUrl] = [
      `http://127.0.0.1:${await trusting.listen(0, '127.0.0.1')}/graphql`,
      `http://127.0.0.1:${await direct.listen(0, '127.0.0.1')}/graphql`,
    ];
    const spray = async (url: string, forwardedFor: string) => {
      const results: (string | undefined)[] = [];
      for (let i = 0; i < 4; i += 1) {
        results.push(outcome(await post(url, `mutation { ${logIn(`${unique('spray')}@example.com`, 'password1')} }`, { 'x-forwarded-for': forwardedFor })));
      }
      return results;
    };
    const fourth = ['InvalidCredentialsError', 'InvalidCredentialsError', 'InvalidCredentialsError', 'RateLimitedError'];
    expect(await spray(trustingUrl, '203.0.113.7')).toEqual(fourth);
    // Another client behind the same proxy has its own counter.
    expect((await spray(trustingUrl, '198.51.100.1, 10.0.0.1'))[0]).toBe('InvalidCredentialsError');
    // Without TRUST_PROXY a forged header changes nothing: the socket's address is counted.
    expect(await spray(directUrl, '203.0.113.8')).toEqual(fourth);
    expect((await spray(directUrl, '203.0.113.9'))[0]).toBe('RateLimitedError');
  });

  it('refuses a request that aliases logIn more than four times before any password is checked', async () => {
    const app = await startApp({ rateLimits: { perEmail: 10, perAddress: 1000, windowSeconds: 900, keyPrefix: `rl:${randomUUID()}` } });
    apps.push(app);
    const url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
    const member = await createMember(app);
    const aliases = (count: number) => Array.from({ length: count }, (_, i) => logIn(member.email, `guess ${i}`, `a${i}`)).join('\n');

    const started = performance.now();
    const fifty = await post(url, `mutation { ${aliases(50)} }`);
    const elapsed = performance.now() - started;
    expect(fifty.body.data ?? null).toBeNull();
    expect(fifty.status).toBe(400);
    expect(fifty.body.errors?.map((error) => error.extensions?.code)).toContain('QUERY_TOO_COMPLEX');
    // Nothing was checked: 50 argon2 verifications would take seconds.
    expect(elapsed).toBeLessThan(500);

    // Four fit, and each is one attempt: with 10 allowed, the next six run and the rest are refused.
    const four = await post(url, `mutation { ${aliases(4)} }`);
    expect(['a0', 'a1', 'a2', 'a3'].map((alias) => outcome(four, alias))).toEqual(Array(4).fill('InvalidCredentialsError'));
    const more: (string | undefined)[] = [];
    for (let i = 0; i < 7; i += 1) more.push(outcome(await post(url, `mutation { ${logIn(member.email, `later ${i}`)} }`)));
    expect(more).toEqual([...Array(6).fill('InvalidCredentialsError'), 'RateLimitedError']);
  });
});
