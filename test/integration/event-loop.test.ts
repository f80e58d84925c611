// Issue 10 (abuse resistance), part 6: the worst requests the server still ALLOWS must not stall
// it. The server runs in this process (startApp, listening on an ephemeral port); while one kind of
// request runs at a time, `monitorEventLoopDelay` records how late the event loop runs, and a pinger
// times `GET /health` beside it. Both must stay within 100 ms of an idle server.
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { startApp } from '../support/app.js';
import { createCatalogue, memberWithCredits, type TestMember } from '../support/factories.js';

const MAX_DELAY_MS = 100;
const MAX_EXTRA_HEALTH_MS = 100;
/** Requests of each kind, two at a time. */
const REQUESTS = 16;
const CONCURRENCY = 2;
const SESSIONS = 220;

let app: App;
let base: string;
let organizationId: string;
let sessionIds: string[];
let owner: TestMember & { beneficiaryId: string };
let entitlementId: string;
let idleHealthMs: number;
let histogram: IntervalHistogram;
const figures: Record<string, string>[] = [];

async function post(body: string, token?: string): Promise<{ status: number; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body });
  const text = await response.text();
  let parsed: { errors?: { message: string; extensions?: { code?: string } }[] } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // A refusal before GraphQL (413) need not be JSON.
  }
  return { status: response.status, errors: parsed.errors };
}

async function healthRoundTrip(): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/health`);
  await response.arrayBuffer();
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * Runs `REQUESTS` of one kind (CONCURRENCY at a time) with the pinger beside them; returns the
 * event loop's worst delay, the worst /health round trip and every answer.
 */
async function underLoad(kind: string, body: () => string, token?: string) {
  let stop = false;
  const pings: number[] = [];
  const pinger = (async () => {
    while (!stop && pings.length < 2_000) {
      pings.push(await healthRoundTrip());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  histogram.reset();
  const started = performance.now();
  const answers: Awaited<ReturnType<typeof post>>[] = [];
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const sent = performance.now();
        answers.push(await post(body(), token));
        durations.push(performance.now() - sent);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const maxDelayMs = histogram.max / 1e6;
  const p99DelayMs = histogram.percentile(99) / 1e6;
  stop = true;
  await pinger;
  const worstHealthMs = Math.max(...pings);
  figures.push({
    kind,
    'requests (ms, median/max)': `${Math.round(median(durations))} / ${Math.round(Math.max(...durations))}`,
    'wall ms': String(Math.round(wallMs)),
    'loop delay max ms': maxDelayMs.toFixed(1),
    'loop delay p99 ms': p99DelayMs.toFixed(1),
    '/health worst ms': worstHealthMs.toFixed(1),
    '/health extra ms': (worstHealthMs - idleHealthMs).toFixed(1),
    statuses: [...new Set(answers.map((answer) => answer.status))].join(','),
  });
  return { maxDelayMs, worstHealthMs, answers };
}

beforeAll(async () => {
  // The server as shipped: metrics on, response cache on. (An earlier run measured 104-132 ms of
  // loop delay with the Prometheus plugin on and blamed it; measured side by side in one process,
  // the plugin made no difference the noise of a busy machine did not dwarf.)
  app = await startApp();
  base = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  // The organisation, its venue and activity through the API; its 220 sessions straight into the
  // table (the factory would take a request each, and the schedule is what is measured, not made).
  const catalogue = await createCatalogue(app);
  organizationId = catalogue.organization.id;
  const uuid = (globalId: string) => decodeGlobalID(globalId).id;
  const start = Date.now() + 7 * 24 * 3_600_000;
  await prisma.session.createMany({
    data: Array.from({ length: SESSIONS }, (_, k) => ({
      organizationId: uuid(catalogue.organization.id),
      activityId: uuid(catalogue.activity.id),
      venueId: uuid(catalogue.venue.id),
      startsAt: new Date(start + k * 3_600_000),
      endsAt: new Date(start + k * 3_600_000 + 3_000_000),
      capacity: 12,
    })),
  });
  const rows = await prisma.session.findMany({ where: { organizationId: uuid(catalogue.organization.id) }, select: { id: true } });
  sessionIds = rows.map((row) => encodeGlobalID('Session', row.id));
  owner = await memberWithCredits(app, catalogue);
  const entitlement = await prisma.entitlement.findFirstOrThrow({ where: { beneficiaryId: uuid(owner.beneficiaryId) }, select: { id: true } });
  entitlementId = encodeGlobalID('Entitlement', entitlement.id);
  histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // Warm up (first compilations, connections), then time /health on the idle server.
  await post(JSON.stringify({ query: SCHEDULE, variables: { organizationId } }));
  const idle: number[] = [];
  for (let k = 0; k < 30; k++) idle.push(await healthRoundTrip());
  idleHealthMs = median(idle);
}, 120_000);

afterAll(async () => {
  histogram?.disable();
  console.log(`event loop under the worst allowed requests (idle /health ${idleHealthMs?.toFixed(1)} ms):`);
  console.table(figures);
  await app?.close();
});

const SCHEDULE = `query Schedule($organizationId: ID!) {
  sessions(filter: { organizationId: $organizationId }, first: 200) {
    edges { cursor node { id startsAt endsAt capacity seatsLeft waitlistLength status
      activity { id name } venue { id name city } organization { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * A query `levels` deep. Only `Entitlement.carriedFrom` goes that deep without lists (each list
 * multiplies the complexity by 10, and four nested lists pass the complexity limit of 5000 before
 * depth 12): node › carriedFrom › carriedFrom … › id, with the entitlement's fields, its offer
 * and beneficiary at the top, as the member who owns it.
 */
function deepQuery(levels: number): string {
  let inner = 'id';
  for (let k = levels - 2; k >= 1; k--) inner = `carriedFrom { id creditsRemaining validUntil ${inner} }`;
  return `query Deep($id: ID!) { node(id: $id) { id ... on Entitlement { creditsRemaining status validFrom validUntil offer { id name } beneficiary { id firstName } ${inner} } } }`;
}

describe('the event loop under the worst allowed requests', () => {
  it('nodes with 100 IDs (real sessions and junk, mixed)', async () => {
    const ids = () =>
      Array.from({ length: 100 }, (_, k) => (k % 2 === 0 ? sessionIds[k % sessionIds.length]! : encodeGlobalID('Session', `junk-${k}`)));
    const { maxDelayMs, worstHealthMs, answers } = await underLoad('nodes(100 ids)', () =>
      JSON.stringify({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Session { startsAt seatsLeft } } }', variables: { ids: ids() } }),
    );
    expect.soft(answers.map((answer) => answer.errors ?? [])).toEqual(answers.map(() => []));
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(worstHealthMs - idleHealthMs).toBeLessThan(MAX_EXTRA_HEALTH_MS);
  });

  it(`the widest schedule: sessions(first: 200) of an organisation with ${SESSIONS} sessions`, async () => {
    // Logged in, so that every request executes: an anonymous schedule is served from the
    // response cache after the first one, which is not the worst case.
    const { maxDelayMs, worstHealthMs, answers } = await underLoad(
      'sessions(first: 200)',
      () => JSON.stringify({ query: SCHEDULE, variables: { organizationId } }),
      owner.token,
    );
    expect.soft(answers.map((answer) => answer.errors ?? [])).toEqual(answers.map(() => []));
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(worstHealthMs - idleHealthMs).toBeLessThan(MAX_EXTRA_HEALTH_MS);
  });

  it('the deepest query the depth limit allows (12)', async () => {
    // The limit is where it is said to be: 12 levels answer, 13 are refused.
    const deep = (levels: number) => JSON.stringify({ query: deepQuery(levels), variables: { id: entitlementId } });
    expect((await post(deep(12), owner.token)).errors).toBeUndefined();
    const tooDeep = await post(deep(13), owner.token);
    expect(tooDeep.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
    const { maxDelayMs, worstHealthMs, answers } = await underLoad('depth 12', () => deep(12), owner.token);
    expect.soft(answers.map((answer) => answer.errors ?? [])).toEqual(answers.map(() => []));
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(worstHealthMs - idleHealthMs).toBeLessThan(MAX_EXTRA_HEALTH_MS);
  });

  it('a body over 1 MB, refused with 413', async () => {
    const slug = 'a'.repeat(1_050_000);
    const { maxDelayMs, worstHealthMs, answers } = await underLoad('1 MB body', () =>
      JSON.stringify({ query: 'query($slug: String!) { organization(slug: $slug) { id } }', variables: { slug } }),
    );
    expect.soft(answers.map((answer) => answer.status)).toEqual(answers.map(() => 413));
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(worstHealthMs - idleHealthMs).toBeLessThan(MAX_EXTRA_HEALTH_MS);
  });
});
