import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { book, createCatalogue, memberWithCredits, scheduleSession } from '../support/factories.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import { wsClient } from '../support/ws.js';

// GET /metrics (issue 14 point 8): Prometheus text format, scraped after real operations. The
// server has a database of its own, so the backlog gauges can be compared with exact counts.

const TOKEN = 'scrape-secret-0123456789';
let app: App;
let base: string;
let database: string;
let sql: pg.Client;

beforeAll(async () => {
  database = await createDatabase('booking_metrics');
  app = await startApp({ databaseUrl: databaseUrl(database), metricsToken: TOKEN });
  base = `http://127.0.0.1:${await app.listen()}`;
  sql = new pg.Client({ connectionString: databaseUrl(database) });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  await app?.close();
  if (database) await dropDatabase(database);
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (version 0.0.4): one sample per line, `# …` lines are metadata. */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

async function scrape() {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await response.text());
}

/** The value of one sample (0 when absent, as Prometheus reads a counter not yet incremented). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, v]) => sample.labels[key] === v));
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

async function post(body: Record<string, unknown>) {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}

describe('GET /metrics', () => {
  it('asks for the bearer token of METRICS_TOKEN', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('counts and times operations by name, and counts errors by phase and code', async () => {
    const catalogue = await createCatalogue(app);
    await scheduleSession(app, catalogue);
    const before = (await scrape()).samples;
    // Three different requests: an identical anonymous schedule would be answered from the
    // response cache (src/response-cache.ts), which executes nothing and so counts nothing here.
    const schedule = 'query Schedule($v: ID!, $first: Int) { sessions(filter: { venueId: $v }, first: $first) { edges { node { id seatsLeft } } } }';
    for (let i = 0; i < 3; i++) {
      const result = await post({ query: schedule, variables: { v: catalogue.venue.id, first: 10 + i }, operationName: 'Schedule' });
      expect(result.data.sessions.edges).toHaveLength(1);
    }
    await post({ query: '{ __typename }' });
    expect((await post({ query: '{ sessions(' })).errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await post({ query: 'query Broken { nope }' })).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const { samples, types } = await scrape();
    expect(types.get('graphql_envelop_request')).toBe('counter');
    expect(types.get('graphql_envelop_request_duration')).toBe('histogram');
    const schedules = { operationName: 'Schedule', operationType: 'query' };
    expect(value(samples, 'graphql_envelop_request', schedules) - value(before, 'graphql_envelop_request', schedules)).toBe(3);
    expect(value(samples, 'graphql_envelop_request_duration_count', schedules) - value(before, 'graphql_envelop_request_duration_count', schedules)).toBe(3);
    expect(value(samples, 'graphql_envelop_request_duration_sum', schedules)).toBeGreaterThan(0);
    expect(value(samples, 'graphql_envelop_request', { operationName: 'Anonymous', operationType: 'query' })).toBeGreaterThanOrEqual(1);
    // The factories' mutations went through the same plugin (in-process requests).
    expect(value(samples, 'graphql_envelop_request', { operationType: 'mutation' })).toBeGreaterThanOrEqual(4);
    expect(value(samples, 'graphql_envelop_error_result', { phase: 'parse', code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    expect(value(samples, 'graphql_envelop_error_result', { phase: 'validate', operationName: 'Broken', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    // The process's own figures come along (prom-client's default metrics).
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('bounds the operation names it keeps as labels, however many a client invents', async () => {
    for (let i = 0; i < 230; i++) {
      const response = await app.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `query Invented${i} { __typename }` }),
      });
      expect(response.status).toBe(200);
    }
    const { samples } = await scrape();
    const names = new Set(samples.filter((sample) => sample.name === 'graphql_envelop_request').map((sample) => sample.labels.operationName));
    expect(names.size).toBeLessThanOrEqual(201);
    expect(names.has('Other')).toBe(true);
    expect(value(samples, 'graphql_envelop_request', { operationName: 'Other' })).toBeGreaterThanOrEqual(30);
  });

  it('shows open sockets and running subscriptions', async () => {
    const catalogue = await createCatalogue(app);
    const before = (await scrape()).samples;
    expect(value(before, 'graphql_ws_open_sockets')).toBe(0);
    const client = wsClient(`${base.replace('http', 'ws')}/graphql`);
    const dispose = [0, 1].map(() =>
      client.subscribe(
        { query: 'subscription($v: ID!) { sessionAvailability(filter: { venueId: $v }) { seatsLeft } }', variables: { v: catalogue.venue.id } },
        { next: () => {}, error: () => {}, complete: () => {} },
      ),
    );
    await expect.poll(async () => value((await scrape()).samples, 'graphql_ws_active_subscriptions'), { timeout: 10_000 }).toBe(2);
    const during = (await scrape()).samples;
    expect(value(during, 'graphql_ws_open_sockets')).toBe(1);

    dispose[0]!();
    await expect.poll(async () => value((await scrape()).samples, 'graphql_ws_active_subscriptions'), { timeout: 10_000 }).toBe(1);
    await client.dispose();
    await expect.poll(async () => value((await scrape()).samples, 'graphql_ws_open_sockets'), { timeout: 10_000 }).toBe(0);
    const after = (await scrape()).samples;
    expect(value(after, 'graphql_ws_active_subscriptions')).toBe(0);
    // A subscription's execution is counted and timed when it ends; the two identical ones shared
    // one execution (src/events/pubsub.ts), so they count once.
    expect(value(after, 'graphql_envelop_request', { operationType: 'subscription' })).toBe(1);
    expect(value(after, 'graphql_envelop_request_duration_count', { operationType: 'subscription' })).toBe(1);
  });

  it('shows the due-job and outbox backlogs as the tables hold them', async () => {
    const count = async (table: string, time: string) =>
      Number((await sql.query(`SELECT count(*) AS n FROM "${table}" WHERE status = 'PENDING' AND "${time}" <= now()`)).rows[0].n);
    // Sign-ups queued welcome emails; nothing sent them (no timer in tests).
    const emails = await count('OutboxEmail', 'nextAttemptAt');
    expect(emails).toBeGreaterThan(0);
    let { samples } = await scrape();
    expect(value(samples, 'booking_outbox_emails_backlog')).toBe(emails);
    expect(value(samples, 'booking_due_jobs_backlog')).toBe(await count('DueJob', 'runAt'));

    await sql.query(
      `INSERT INTO "DueJob" (id, kind, "runAt", "dedupeKey") VALUES (gen_random_uuid(), 'ENTITLEMENT_EXPIRY', now() - interval '1 minute', 'metrics-test-a'),
                                                                      (gen_random_uuid(), 'ENTITLEMENT_EXPIRY', now() - interval '1 minute', 'metrics-test-b'),
                                                                      (gen_random_uuid(), 'ENTITLEMENT_EXPIRY', now() + interval '1 day', 'metrics-test-later')`,
    );
    await sql.query(`UPDATE "OutboxEmail" SET status = 'SENT'`);
    ({ samples } = await scrape());
    expect(value(samples, 'booking_due_jobs_backlog')).toBe(2); // the job due tomorrow is no backlog
    expect(value(samples, 'booking_outbox_emails_backlog')).toBe(0);
    await sql.query(`UPDATE "DueJob" SET status = 'DONE' WHERE "dedupeKey" = 'metrics-test-a'`);
    expect(value((await scrape()).samples, 'booking_due_jobs_backlog')).toBe(1);
  });
});

const CreateEndpoint = graphql(`
  mutation MetricsCreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreateWebhookEndpointSuccess { webhookEndpoint { id } }
      ... on Error { code message }
    }
  }
`);

describe('webhook failures', () => {
  it('counts the attempts of this instance by outcome, and shows the deliveries being retried', async () => {
    // This time with the job timer on, as in production, so that the worker delivers.
    await app.close();
    app = await startApp({ databaseUrl: databaseUrl(database), metricsToken: TOKEN, jobIntervalMs: 50, webhooksAllowPrivate: true });
    base = `http://127.0.0.1:${await app.listen()}`;
    const receiver = await startWebhookReceiver();
    try {
      receiver.respondWith(500);
      const catalogue = await createCatalogue(app);
      success(
        (
          await execute(
            app,
            CreateEndpoint,
            { input: { organizationId: catalogue.organization.id, url: receiver.url, events: ['booking.created'] } },
            { token: catalogue.admin.token },
          )
        ).createWebhookEndpoint,
        'CreateWebhookEndpointSuccess',
      );
      const before = (await scrape()).samples;
      expect(value(before, 'booking_webhook_attempts_total', { outcome: 'failed' })).toBe(0);
      expect(value(before, 'booking_webhook_deliveries_retrying')).toBe(0);

      const member = await memberWithCredits(app, catalogue);
      await book(app, member, (await scheduleSession(app, catalogue)).id, member.beneficiaryId);
      await receiver.waitFor(1);
      await expect.poll(async () => value((await scrape()).samples, 'booking_webhook_attempts_total', { outcome: 'failed' })).toBe(1);
      expect(value((await scrape()).samples, 'booking_webhook_deliveries_retrying')).toBe(1);

      // The endpoint is back; the retry is brought forward rather than waited for.
      receiver.respondWith(200);
      await sql.query(`UPDATE "DueJob" SET "runAt" = now() WHERE kind = 'WEBHOOK_DELIVERY' AND status = 'PENDING'`);
      await receiver.waitFor(2);
      await expect.poll(async () => value((await scrape()).samples, 'booking_webhook_attempts_total', { outcome: 'succeeded' })).toBe(1);
      const after = (await scrape()).samples;
      expect(value(after, 'booking_webhook_attempts_total', { outcome: 'failed' })).toBe(1);
      expect(value(after, 'booking_webhook_deliveries_retrying')).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});

describe('METRICS=0', () => {
  it('serves no /metrics', async () => {
    await app.close();
    app = await startApp({ databaseUrl: databaseUrl(database), metrics: false });
    base = `http://127.0.0.1:${await app.listen()}`;
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});
