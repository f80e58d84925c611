// Issue 10 (abuse resistance), "verify before resolving": the issue's probes against the server
// started as `npm start` starts it (node with npm start's flags, --import tsx src/main.ts), each
// with a /health pinger beside it. Prints one row per probe: what came back, how long it took,
// and the worst /health round trip meanwhile. Only 127.0.0.1; every loop is bounded in count and time.
//
//   npm run bench:probes                      embedded PGlite in a temporary DATA_DIR, in-process events
//   DATABASE_URL=… REDIS_URL=… npm run bench:probes
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { npmStartNodeFlags } from './npm-start.js';

const PROBE_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 180_000;
const NIL = '00000000-0000-4000-8000-000000000000';
const MB = 1024 * 1024;

interface Row {
  probe: string;
  answer: string;
  ms: number;
  worstHealthMs: number;
}

// ── the server ──────────────────────────────────────────────────────────────────────────────
const dataDir = mkdtempSync(join(tmpdir(), 'abuse-probes-'));
const logs: { at: number; line: string }[] = [];
const server: ChildProcess = spawn(process.execPath, [...npmStartNodeFlags(), '--import', 'tsx', 'src/main.ts'], {
  env: {
    ...process.env,
    // As deployed: production (no GraphiQL niceties, masked errors), with its required secret.
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // Probes sign up more than the production per-address limit (50) allows in a window.
    RATE_LIMIT_PER_ADDRESS: '100000',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let port = 0;
const ready = new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server not ready within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (logs.length < 100_000) logs.push({ at: Date.now(), line });
      if (!port && line.includes('"server ready"')) {
        port = (JSON.parse(line) as { port: number }).port;
        clearTimeout(timer);
        resolve();
      }
    }
  };
  server.stdout!.on('data', onData);
  server.stderr!.on('data', onData);
  server.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
});

async function stopServer() {
  if (server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const base = () => `http://127.0.0.1:${port}`;

// ── helpers ─────────────────────────────────────────────────────────────────────────────────
// The pinger runs in a worker thread of its own: building a 40 MB request body blocks this
// thread, and that must not be counted as the server's delay.
const PINGER = `
  const { parentPort, workerData } = require('node:worker_threads');
  let stop = false;
  let worst = 0;
  parentPort.once('message', () => { stop = true; });
  (async () => {
    for (let k = 0; !stop && k < 10000; k++) {
      const started = performance.now();
      try {
        await (await fetch(workerData.url, { signal: AbortSignal.timeout(workerData.timeoutMs) })).arrayBuffer();
      } catch {
        // A /health that does not answer counts as the whole wait.
      }
      worst = Math.max(worst, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    parentPort.postMessage(worst);
  })();
`;

/** Runs one probe with a /health pinger beside it (every 20 ms, at most 10,000 pings). */
async function probe(name: string, run: () => Promise<string>): Promise<Row> {
  const pinger = new Worker(PINGER, { eval: true, workerData: { url: `${base()}/health`, timeoutMs: PROBE_TIMEOUT_MS } });
  const worstHealth = new Promise<number>((resolve) => pinger.once('message', (worst: number) => resolve(worst)));
  // Let the pinger take a first measure of the quiet server.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  let answer: string;
  try {
    answer = await Promise.race([
      run(),
      new Promise<string>((resolve) => setTimeout(() => resolve(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    answer = `client error: ${(error as Error).message}`;
  }
  const ms = performance.now() - started;
  pinger.postMessage('stop');
  const worst = await worstHealth;
  await pinger.terminate();
  const row = { probe: name, answer, ms: Math.round(ms), worstHealthMs: Math.round(worst) };
  console.error(`  ${row.probe}: ${row.answer} (${row.ms} ms, /health worst ${row.worstHealthMs} ms)`);
  return row;
}

interface Answer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
  headers: Headers;
}

async function graphql(query: string, variables: Record<string, unknown> = {}, token?: string, extraHeaders: Record<string, string> = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...extraHeaders };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base()}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = undefined;
  }
  return { status: response.status, body, headers: response.headers };
}

/** "HTTP 200 · VALIDATION" style: the status, then the error codes or the typename of the first field. */
function summary(answer: Answer): string {
  const codes = (answer.body?.errors ?? []).map((error) => error.extensions?.code ?? `"${error.message.slice(0, 60)}"`);
  const first = answer.body?.data ? Object.values(answer.body.data)[0] : undefined;
  const typed = first && typeof first === 'object' && '__typename' in first ? `${first.__typename}${'code' in first ? ` ${first.code}` : ''}` : '';
  return [`HTTP ${answer.status}`, ...new Set(codes), typed].filter(Boolean).join(' · ');
}

function ws(token?: string): Client {
  return createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** The first thing a subscription gets within `waitMs`: a result, an error, or nothing (accepted). */
function firstAnswer(client: Client, query: string, variables: Record<string, unknown> = {}, waitMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`accepted (nothing within ${waitMs} ms)`), waitMs);
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          clearTimeout(timer);
          resolve(`next · ${(value.errors ?? []).map((error) => (error.extensions as { code?: string } | undefined)?.code ?? error.message).join(', ') || 'data'}`);
        },
        error: (error) => {
          clearTimeout(timer);
          if (Array.isArray(error)) resolve(`error · ${error.map((e) => e.extensions?.code ?? e.message).join(', ')}`);
          else if (error && typeof error === 'object' && 'code' in error) resolve(`socket closed ${(error as { code: number }).code}`);
          else resolve(`error · ${String(error)}`);
        },
        complete: () => {},
      },
    );
  });
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

// ── the probes ──────────────────────────────────────────────────────────────────────────────
async function main() {
  await ready;
  console.error(`server ready on 127.0.0.1:${port} (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite'}, ${process.env.REDIS_URL ? 'Redis' : 'in-process events'})`);
  const rows: Row[] = [];

  // A staff member with an organisation, a venue, an activity and a session (for the fan-out).
  const signUp = await graphql(
    'mutation($input: SignUpInput!) { signUp(input: $input) { __typename ... on SignUpSuccess { token } ... on Error { code message } } }',
    { input: { email: `probe-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery', firstName: 'Probe', lastName: 'Staff' } },
  );
  const token = signUp.body?.data?.signUp?.token as string;
  if (!token) throw new Error(`signUp failed: ${JSON.stringify(signUp.body)}`);
  const slug = `probe-${randomUUID().slice(0, 8)}`;
  const organization = await graphql(
    'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on CreateOrganizationSuccess { organization { id } } } }',
    { input: { name: 'Probe club', slug, timeZone: 'Europe/Paris' } },
    token,
  );
  const organizationId = organization.body?.data?.createOrganization?.organization?.id as string;
  const venue = await graphql(
    'mutation($input: CreateVenueInput!) { createVenue(input: $input) { ... on CreateVenueSuccess { venue { id } } } }',
    { input: { organizationId, name: 'Pool', address: '1 rue', city: 'Paris', latitude: 48.85, longitude: 2.35 } },
    token,
  );
  const activity = await graphql(
    'mutation($input: CreateActivityInput!) { createActivity(input: $input) { ... on CreateActivitySuccess { activity { id } } } }',
    { input: { organizationId, name: 'Aquagym', audience: 'ADULT', cancellationNoticeHours: 4 } },
    token,
  );
  const venueId = venue.body?.data?.createVenue?.venue?.id as string;
  const activityId = activity.body?.data?.createActivity?.activity?.id as string;
  const startsAt = new Date(Date.now() + 72 * 3_600_000);
  const session = await graphql(
    'mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { ... on ScheduleSessionSuccess { session { id } } ... on Error { code message } } }',
    { input: { activityId, venueId, startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(), capacity: 10 } },
    token,
  );
  const sessionId = session.body?.data?.scheduleSession?.session?.id as string;
  if (!organizationId || !venueId || !activityId || !sessionId) throw new Error('could not set up the probe organisation');

  const huge = 'x'.repeat(MB);
  const typed = (field: string, input: string) =>
    `mutation($input: ${input}!) { ${field}(input: $input) { __typename ... on Error { code } } }`;

  rows.push(
    await probe('nodes with 1,000,000 junk ids', async () =>
      summary(await graphql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 1_000_000 }, (_, k) => `j${k}`) })),
    ),
  );
  rows.push(
    await probe('sessions(filter: { ids }) with 50,000 ids', async () =>
      summary(
        await graphql('query($ids: [ID!]) { sessions(filter: { ids: $ids }) { edges { cursor } } }', {
          ids: Array.from({ length: 50_000 }, () => encodeGlobalID('Session', NIL)),
        }),
      ),
    ),
  );
  rows.push(await probe('NUL in organization(slug:)', async () => summary(await graphql('query($s: String!) { organization(slug: $s) { id } }', { s: 'club\u0000' }))));
  rows.push(
    await probe('NUL in signUp.firstName', async () =>
      summary(
        await graphql(typed('signUp', 'SignUpInput'), {
          input: { email: `nul-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery', firstName: 'Ada\u0000', lastName: 'L' },
        }),
      ),
    ),
  );
  rows.push(
    await probe('1 MB createVenue.postalCode', async () =>
      summary(
        await graphql(
          typed('createVenue', 'CreateVenueInput'),
          { input: { organizationId, name: 'Pool', address: '1 rue', city: 'Paris', latitude: 48.85, longitude: 2.35, postalCode: huge } },
          token,
        ),
      ),
    ),
  );
  rows.push(
    await probe('1 MB createActivity.description', async () =>
      summary(
        await graphql(
          typed('createActivity', 'CreateActivityInput'),
          { input: { organizationId, name: 'Aquagym', audience: 'ADULT', cancellationNoticeHours: 4, description: huge } },
          token,
        ),
      ),
    ),
  );
  rows.push(
    await probe('1 MB createOffer.description', async () =>
      summary(
        await graphql(
          typed('createOffer', 'CreateOfferInput'),
          { input: { organizationId, kind: 'PACK', name: 'Pack', priceCents: 1000, credits: 10, validityDays: 90, description: huge } },
          token,
        ),
      ),
    ),
  );
  rows.push(
    // No entitlement of this organisation exists: the answer shows whether the size is refused first.
    await probe('1 MB adjustCredits.note (unknown entitlement)', async () =>
      summary(await graphql(typed('adjustCredits', 'AdjustCreditsInput'), { input: { entitlementId: encodeGlobalID('Entitlement', NIL), delta: 1, note: huge } }, token)),
    ),
  );
  rows.push(
    await probe('GET /graphiql/%E0%A4%A', async () => {
      const response = await fetch(`${base()}/graphiql/%E0%A4%A`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.arrayBuffer();
      return `HTTP ${response.status}`;
    }),
  );
  rows.push(
    await probe('2 MB body to /webhooks/stripe', async () => {
      const response = await fetch(`${base()}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body: JSON.stringify({ padding: 'x'.repeat(2 * MB) }),
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return `HTTP ${response.status}`;
    }),
  );
  rows.push(
    await probe('5,000 __typename aliases', async () =>
      summary(await graphql(`{ ${Array.from({ length: 5_000 }, (_, k) => `a${k}: __typename`).join(' ')} }`)),
    ),
  );
  rows.push(
    await probe('one socket, 10,000 sessionAvailability, one capacity change', async () => {
      const client = ws();
      const wanted = 10_000;
      let received = 0;
      let closed = '';
      let errors = 0;
      let allReceived: () => void = () => {};
      const done = new Promise<void>((resolve) => (allReceived = resolve));
      client.on('closed', (event) => {
        closed = `socket closed ${(event as { code?: number }).code}`;
        allReceived();
      });
      const query = 'subscription($filter: SessionFilter!) { sessionAvailability(filter: $filter) { seatsLeft capacity } }';
      for (let k = 0; k < wanted; k++) {
        client.subscribe(
          { query, variables: { filter: { ids: [sessionId] } } },
          {
            next: () => {
              if (++received === wanted) allReceived();
            },
            error: () => {
              if (++errors + received >= wanted) allReceived();
            },
            complete: () => {},
          },
        );
      }
      // graphql-ws sends no acknowledgement per subscription: wait until the server has had time to
      // register them (bounded), then change the capacity and time the fan-out.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      if (closed) return closed;
      const changed = performance.now();
      const change = await graphql(
        typed('changeSessionCapacity', 'ChangeSessionCapacityInput'),
        { input: { sessionId, capacity: 11 } },
        token,
      );
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      const fanOutMs = Math.round(performance.now() - changed);
      await client.dispose();
      return `${summary(change)}; ${received}/${wanted} pushes in ${fanOutMs} ms${errors ? `, ${errors} errors` : ''}${closed ? `, ${closed}` : ''}`;
    }),
  );
  rows.push(
    await probe('sessionAvailability(filter: {}) anonymous', async () => {
      const client = ws();
      try {
        return await firstAnswer(client, 'subscription { sessionAvailability(filter: {}) { seatsLeft } }');
      } finally {
        await client.dispose();
      }
    }),
  );
  rows.push(
    await probe('field suggestions (NODE_ENV=production)', async () => {
      const answer = await graphql('{ sesions(filter: {}) { edges { cursor } } }');
      const suggests = (answer.body?.errors ?? []).some((error) => /Did you mean/i.test(error.message));
      return `${summary(answer)} · ${suggests ? 'suggests "Did you mean…"' : 'no suggestion'}`;
    }),
  );
  rows.push(
    await probe('CORS, Origin: https://evil.example', async () => {
      const preflight = await fetch(`${base()}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await preflight.arrayBuffer();
      const post = await graphql('{ __typename }', {}, undefined, { origin: 'https://evil.example' });
      return `preflight HTTP ${preflight.status} allow-origin=${preflight.headers.get('access-control-allow-origin') ?? '(none)'} credentials=${preflight.headers.get('access-control-allow-credentials') ?? '(none)'}; POST allow-origin=${post.headers.get('access-control-allow-origin') ?? '(none)'}`;
    }),
  );
  rows.push(
    await probe('log level of a bad subscription', async () => {
      const from = Date.now();
      const client = ws();
      try {
        const unknownField = await firstAnswer(client, 'subscription { sessionAvailabilityy(filter: {}) { seatsLeft } }', {}, 500);
        const badId = await firstAnswer(client, 'subscription($f: SessionFilter!) { sessionAvailability(filter: $f) { seatsLeft } }', { f: { organizationId: 'x\u0000' } }, 500);
        const wrongType = await firstAnswer(client, 'subscription($f: SessionFilter!) { sessionAvailability(filter: $f) { seatsLeft } }', { f: { ids: 5, from: 'never' } }, 500);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const levels = logs.filter((log) => log.at >= from).map((log) => {
          try {
            return (JSON.parse(log.line) as { level?: number }).level ?? 0;
          } catch {
            return 0;
          }
        });
        const worst = Math.max(0, ...levels);
        return `${unknownField} | ${badId} | ${wrongType}; server logged ${levels.length} line(s), worst level ${worst ? LEVELS[worst] ?? worst : 'none'}`;
      } finally {
        await client.dispose();
      }
    }),
  );

  console.log('\n| probe | answer | ms | worst /health ms |\n| --- | --- | ---: | ---: |');
  for (const row of rows) console.log(`| ${row.probe} | ${row.answer.replaceAll('|', '\\|')} | ${row.ms} | ${row.worstHealthMs} |`);
}

try {
  await main();
} finally {
  await stopServer();
  rmSync(dataDir, { recursive: true, force: true });
}
