import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logger, redirectLogs, yogaLogging } from '../../src/logger.js';
import type { App } from '../../src/server.js';
import { startApp } from '../support/app.js';
import { wsClient } from '../support/ws.js';

// Issue 10, "Abuse resistance": every operation is bounded and refused with a code and an HTTP 400;
// production hides field suggestions; CORS follows an allow-list; introspection and GraphiQL can
// be switched off; client mistakes are logged in one line, bugs with their stack.

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(
  app: App,
  query: string,
  options: { variables?: Record<string, unknown>; headers?: Record<string, string>; operationName?: string } = {},
): Promise<Answer> {
  const response = await app.yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const codes = (answer: Answer) => answer.body.errors?.map((error) => error.extensions?.code) ?? [];
const repeat = (count: number, item: (i: number) => string) => Array.from({ length: count }, (_, i) => item(i)).join(' ');

let app: App;
const apps: App[] = [];
async function started(overrides: Parameters<typeof startApp>[0]): Promise<App> {
  const extra = await startApp(overrides);
  apps.push(extra);
  return extra;
}

beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await Promise.all([app, ...apps].map((each) => each.close()));
});

describe('operation limits (defaults)', () => {
  it('refuses 5,000 __typename aliases at once, before validating them', async () => {
    const started = performance.now();
    const answer = await post(app, `{ ${repeat(5000, (i) => `a${i}: __typename`)} }`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.status).toBe(400);
    expect(answer.body.data ?? null).toBeNull();
    // 15,000 tokens: the parser stops at the 2,001st.
    expect(codes(answer)).toEqual(['TOO_MANY_TOKENS']);
    expect(answer.body.errors?.[0]?.extensions?.limit).toBe(2000);
  });

  it('counts __typename aliases too: 30 pass, 31 are refused (TOO_MANY_ALIASES)', async () => {
    const thirty = await post(app, `{ ${repeat(30, (i) => `a${i}: __typename`)} }`);
    expect(thirty.status).toBe(200);
    expect(Object.keys(thirty.body.data ?? {})).toHaveLength(30);

    const answer = await post(app, `{ ${repeat(31, (i) => `a${i}: __typename`)} }`, { headers: { 'accept-language': 'en' } });
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['TOO_MANY_ALIASES']);
    expect(answer.body.errors?.[0]?.message).toBe('Operation refused: it uses more than 30 aliases.');
  });

  it('answers a refusal in the request language, with a 400 (200 for application/json-only clients, as the spec asks)', async () => {
    const query = `{ ${repeat(2001, () => '__typename')} }`;
    const french = await post(app, query);
    const english = await post(app, query, { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    const legacy = await post(app, query, { headers: { accept: 'application/json' } });
    expect([french.status, english.status, legacy.status]).toEqual([400, 400, 200]);
    expect([french, english, legacy].map(codes)).toEqual([['TOO_MANY_TOKENS'], ['TOO_MANY_TOKENS'], ['TOO_MANY_TOKENS']]);
    expect(french.body.errors?.[0]?.message).toBe('Requête refusée : elle compte plus de 2000 éléments (tokens).');
    expect(english.body.errors?.[0]?.message).toBe('Operation refused: it has more than 2000 tokens.');
  });

  it('refuses a flood of directives (TOO_MANY_DIRECTIVES)', async () => {
    const twenty = await post(app, `{ ${repeat(20, () => '... @include(if: true) { __typename }')} }`);
    expect(twenty.status).toBe(200);
    const answer = await post(app, `{ ${repeat(21, () => '... @include(if: true) { __typename }')} }`);
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['TOO_MANY_DIRECTIVES']);
  });

  it('refuses an over-deep query (QUERY_TOO_DEEP)', async () => {
    // organization → activities → organization → … : 13 levels of fields.
    let selection = 'id';
    for (let level = 0; level < 12; level += 1) selection = level % 2 === 0 ? `organization { ${selection} }` : `activities { ${selection} }`;
    const answer = await post(app, `{ organization(slug: "nowhere") { ${selection} } }`);
    expect(answer.status).toBe(400);
    expect(codes(answer)).toContain('QUERY_TOO_DEEP');
  });

  it('refuses 50 aliased logIn before any password is checked (cost 1000 each, limit 5000)', async () => {
    const logIn = (i: number) => `a${i}: logIn(input: { email: "nobody@example.com", password: "guess ${i}" }) { __typename }`;
    const started = performance.now();
    const fifty = await post(app, `mutation { ${repeat(50, logIn)} }`, { headers: { 'accept-language': 'en' } });
    expect(performance.now() - started).toBeLessThan(500);
    expect(fifty.status).toBe(400);
    expect(fifty.body.data ?? null).toBeNull();
    expect(codes(fifty)).toContain('QUERY_TOO_COMPLEX');
    // Five fit under the alias limit, and still cost too much on their own.
    const five = await post(app, `mutation { ${repeat(5, logIn)} }`, { headers: { 'accept-language': 'en' } });
    expect(five.status).toBe(400);
    expect(codes(five)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(five.body.errors?.[0]?.message).toMatch(/^Operation refused: its cost \(\d+\) exceeds 5000\./);
  });

  it('prices nodes(ids:) by the length of its list, variables included', async () => {
    const query = `query ($ids: [ID!]!) { ${repeat(30, (i) => `n${i}: nodes(ids: $ids) { id }`)} }`;
    const sessionId = () => Buffer.from(`Session:${randomUUID()}`).toString('base64');
    const one = await post(app, query, { variables: { ids: [sessionId()] } });
    expect(one.status).toBe(200);
    expect(one.body.data?.n0).toEqual([null]);
    // The same document (cached by Yoga once parsed and validated) with 100 IDs: 30 × (100 + 100).
    const hundred = await post(app, query, { variables: { ids: Array.from({ length: 100 }, sessionId) } });
    expect(hundred.status).toBe(400);
    expect(codes(hundred)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('prices the operation that runs, with the fragments it spreads', async () => {
    const document = `
      query Cheap { __typename }
      query Dear($ids: [ID!]!) { ${repeat(30, (i) => `n${i}: nodes(ids: $ids) { ...Id }`)} }
      fragment Id on Node { id }`;
    const ids = Array.from({ length: 100 }, () => Buffer.from(`Session:${randomUUID()}`).toString('base64'));
    const cheap = await post(app, document, { operationName: 'Cheap', variables: { ids } });
    expect(cheap.status).toBe(200);
    expect(cheap.body.data).toEqual({ __typename: 'Query' });
    const dear = await post(app, document, { operationName: 'Dear', variables: { ids } });
    expect(dear.status).toBe(400);
    expect(codes(dear)).toEqual(['QUERY_TOO_COMPLEX']);
    // Variables that do not fit their types are execution's to answer, not a refusal.
    const bad = await post(app, document, { operationName: 'Dear', variables: { ids: null } });
    expect(codes(bad)).not.toContain('QUERY_TOO_COMPLEX');
    expect(bad.body.errors?.length).toBeGreaterThan(0);
  });
});

describe('configured limits', () => {
  it('reads every limit from the configuration', async () => {
    const strict = await started({ operationLimits: { tokens: 50, aliases: 2, directives: 1, depth: 2, complexity: 3, breadth: 300 } });
    // `{`, 48 fields, `}`: 50 tokens parse (and cost too much); one more token does not parse.
    expect(codes(await post(strict, `{ ${repeat(48, () => '__typename')} }`))).toEqual(['QUERY_TOO_COMPLEX']);
    expect(codes(await post(strict, `{ ${repeat(49, () => '__typename')} }`))).toEqual(['TOO_MANY_TOKENS']);
    expect(codes(await post(strict, '{ a: __typename b: __typename c: __typename }'))).toEqual(['TOO_MANY_ALIASES']);
    expect(codes(await post(strict, '{ ... @include(if: true) { __typename } ... @skip(if: false) { __typename } }'))).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(codes(await post(strict, '{ organization(slug: "x") { activities { id } } }'))).toEqual(['QUERY_TOO_DEEP', 'QUERY_TOO_COMPLEX']);
    expect((await post(strict, '{ __typename }')).status).toBe(200);
  });
});

describe('field suggestions', () => {
  it('are hidden in production', async () => {
    const production = await started({ production: true });
    const answer = await post(production, '{ viewr { id } }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.message).toBe('Cannot query field "viewr" on type "Query".');
  });

  it('are given in development', async () => {
    const answer = await post(app, '{ viewr { id } }');
    expect(answer.body.errors?.[0]?.message).toContain('Did you mean "viewer"?');
  });
});

describe('CORS', () => {
  const listed = 'https://app.example.org';
  const unlisted = 'https://evil.example.com';
  let cors: App;
  beforeAll(async () => {
    cors = await started({ corsOrigins: [listed, 'https://admin.example.org'] });
  });

  const preflight = (target: App, origin: string) =>
    target.yoga.fetch('http://localhost/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-graphql-csrf' },
    });
  const simple = (target: App, origin: string, cookie?: string) =>
    target.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', ...(cookie ? { cookie, 'x-graphql-csrf': '1' } : {}) },
      body: JSON.stringify({ query: '{ __typename }' }),
    });

  it('answers a listed origin, with credentials', async () => {
    const answer = await preflight(cors, listed);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(listed);
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
    expect(answer.headers.get('access-control-allow-headers')).toContain('x-graphql-csrf');
    for (const cookie of [undefined, 'booking_token=not-a-token']) {
      const response = await simple(cors, listed, cookie);
      expect(response.headers.get('access-control-allow-origin')).toBe(listed);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it('gives an unlisted origin no CORS headers at all', async () => {
    const answer = await preflight(cors, unlisted);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    for (const cookie of [undefined, 'booking_token=not-a-token']) {
      const response = await simple(cors, unlisted, cookie);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
    // A prefix or a scheme change is another origin.
    expect((await simple(cors, `${listed}.evil.example.com`)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await simple(cors, 'http://app.example.org')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows no origin by default', async () => {
    for (const response of [await preflight(app, listed), await simple(app, listed)]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
    // Same-origin and server-to-server calls send no Origin and are served as always.
    expect((await post(app, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });
});

describe('introspection and GraphiQL switches', () => {
  it('are on by default', async () => {
    expect((await post(app, '{ __schema { queryType { name } } }')).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const page = await app.yoga.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('graphiql');
  });

  it('INTROSPECTION=0 refuses introspection with a code, and GRAPHIQL=0 serves no GraphiQL', async () => {
    const closed = await started({ introspection: false, graphiql: false });
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Query") { name } }']) {
      const answer = await post(closed, query, { headers: { 'accept-language': 'en' } });
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(['INTROSPECTION_DISABLED']);
      expect(answer.body.errors?.[0]?.message).toBe('Schema introspection is disabled on this server.');
    }
    expect((await post(closed, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });

    const origin = `http://127.0.0.1:${await closed.listen(0, '127.0.0.1')}`;
    const page = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('graphiql');
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${origin}/graphiql/graphiql.js`)).status).toBe(404);
  });
});

describe('logs', () => {
  const lines: Record<string, unknown>[] = [];
  const level = logger.level;
  beforeAll(() => {
    logger.level = 'info';
    redirectLogs({ write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  });
  afterEach(() => {
    lines.length = 0;
  });
  afterAll(() => {
    redirectLogs(null);
    logger.level = level;
  });
  const INFO = 30;
  const WARN = 40;
  const ERROR = 50;
  const withStack = () => lines.filter((line) => JSON.stringify(line).includes('    at '));

  it('logs a bad query and a refused one in one line each, without a stack', async () => {
    await post(app, '{ viewr { id } }');
    await post(app, '{ viewer { id ');
    await post(app, `{ ${repeat(31, (i) => `a${i}: __typename`)} }`);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [INFO, 'invalid operation'],
      [INFO, 'unparsable operation'],
      [WARN, 'operation refused'],
    ]);
    expect(lines[2]?.codes).toEqual(['TOO_MANY_ALIASES']);
    expect(withStack()).toEqual([]);
  });

  it('logs bad subscriptions over graphql-ws as client errors, and keeps the socket open', async () => {
    const origin = `ws://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
    const client = wsClient(origin);
    const errorsOf = (query: string) =>
      new Promise<unknown>((resolve) => {
        // Errors come as an `error` message (before the operation runs) or as a result (while it starts).
        client.subscribe({ query }, { next: (result) => resolve(result.errors), error: resolve, complete: () => resolve(null) });
      });
    try {
      const unparsable = (await errorsOf('subscription { sessionAvailability(')) as { extensions?: Record<string, unknown> }[];
      expect(Array.isArray(unparsable)).toBe(true);
      const invalid = (await errorsOf('subscription { sessionAvailabilty { seatsLeft } }')) as unknown[];
      expect(Array.isArray(invalid)).toBe(true);
      // A subscription that needs a login, asked for without one: a business error (UNAUTHENTICATED).
      const anonymous = await errorsOf('subscription { myWaitlistOffers { id } }');
      expect(JSON.stringify(anonymous)).toContain('UNAUTHENTICATED');
      // Still the same socket: a client's mistake does not close it. A refusal, before the operation runs:
      const refused = (await errorsOf(`subscription { myWaitlistOffers { ${repeat(21, () => '... @include(if: true) { id }')} } }`)) as {
        extensions?: Record<string, unknown>;
      }[];
      expect(refused.map((error) => error.extensions?.code)).toEqual(['TOO_MANY_DIRECTIVES']);
    } finally {
      await client.dispose();
    }
    expect(lines.filter((line) => Number(line.level) >= ERROR)).toEqual([]);
    expect(withStack()).toEqual([]);
    // The UNAUTHENTICATED refusal is a business answer, translated like a query's, and not logged.
    expect(lines.map((line) => line.msg)).toEqual(['unparsable operation', 'invalid operation', 'operation refused']);
  });

  it('logs a real bug at error level, with its stack', () => {
    yogaLogging.error(new Error('boom'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(ERROR);
    expect(String(lines[0]?.msg)).toMatch(/^Error: boom\n\s+at /);
  });
});
