import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCounter, createHistogram, type FillLabelsFnParams, usePrometheus } from '@envelop/prometheus';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Clock } from './clock.js';
import { prisma } from './db/client.js';
import { logger } from './logger.js';
import type { WebhookAttemptListener } from './webhooks/delivery.js';

// GET /metrics (issue 14 point 8): Prometheus text format. GraphQL operations are counted and timed
// by @envelop/prometheus; sockets, subscriptions and backlogs are gauges read at scrape time.

export const METRICS_PATH = '/metrics';

/** Backlogs are counted up to this many rows, so that a scrape stays cheap however far behind the worker is. */
export const BACKLOG_COUNT_LIMIT = 10_000;

/** Distinct operation names kept as label values per instance; later ones are counted as "Other". */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export interface MetricsSources {
  clock: Clock;
  /** Open graphql-ws sockets of this instance. */
  openSockets(): number;
  /** Operations running on those sockets (subscriptions, mostly). */
  activeSubscriptions(): number;
}

export interface Metrics {
  registry: Registry;
  /** The envelop plugin that counts and times every operation, over HTTP and graphql-ws. */
  plugin: Plugin;
  /** Answers GET /metrics (the caller routes it here). */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Counts a webhook delivery attempt of this instance's worker. */
  webhookAttempt: WebhookAttemptListener;
}

export function createMetrics(sources: MetricsSources, token: string | undefined): Metrics {
  // One registry per server: tests run several in one process, and nothing else writes to it.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Operation names come from clients: bounded in shape and in number, so that a client inventing
  // names cannot grow the label set (and this process's memory) without end.
  const names = new Set<string>();
  const operationName = (name: string | undefined): string => {
    if (!name) return 'Anonymous';
    if (!OPERATION_NAME.test(name)) return 'Invalid';
    if (names.has(name)) return name;
    if (names.size >= MAX_OPERATION_NAMES) return 'Other';
    names.add(name);
    return name;
  };
  const operation = (params: FillLabelsFnParams) => ({
    operationName: operationName(params.operationName),
    operationType: params.operationType ?? 'unknown',
  });

  const plugin = usePrometheus({
    registry,
    skipIntrospection: true,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_request',
          help: 'GraphQL operations executed (queries and mutations when they end, subscriptions when they start), by operation.',
          labelNames: ['operationName', 'operationType'],
        },
        fillLabelsFn: operation,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Time to execute a GraphQL operation, in seconds (for a subscription, its whole life), by operation.',
          labelNames: ['operationName', 'operationType'],
        },
        fillLabelsFn: operation,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'GraphQL errors answered, by operation, phase (parse, validate, context, execute, subscribe) and extensions.code; UNEXPECTED is a masked bug.',
          labelNames: ['operationName', 'operationType', 'phase', 'code'],
        },
        fillLabelsFn: (params) => ({ ...operation(params), phase: params.errorPhase ?? 'unknown', code: errorCode(params.error, params.errorPhase) }),
      }),
    },
  }) as Plugin;

  const openSockets = new Gauge({ name: 'graphql_ws_open_sockets', help: 'Open graphql-ws sockets on this instance.', registers: [registry] });
  const subscriptions = new Gauge({
    name: 'graphql_ws_active_subscriptions',
    help: 'Operations (subscriptions) running on the graphql-ws sockets of this instance.',
    registers: [registry],
  });
  const dueJobs = new Gauge({
    name: 'booking_due_jobs_backlog',
    help: `Due jobs (expiries, renewals…) whose time has come and that no worker has done yet, counted up to ${BACKLOG_COUNT_LIMIT}.`,
    registers: [registry],
  });
  const outbox = new Gauge({
    name: 'booking_outbox_emails_backlog',
    help: `Emails of the outbox due to be sent and not sent yet, counted up to ${BACKLOG_COUNT_LIMIT}.`,
    registers: [registry],
  });
  const webhooksRetrying = new Gauge({
    name: 'booking_webhook_deliveries_retrying',
    help: `Webhook deliveries whose last attempt failed and that are still retried (for up to 3 days), counted up to ${BACKLOG_COUNT_LIMIT}.`,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'booking_webhook_attempts_total',
    help: 'Webhook HTTP requests this instance sent, by outcome (failed: no answer, or an answer other than 2xx).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Both outcomes present from the start, so that a rate over "failed" exists before the first failure.
  webhookAttempts.inc({ outcome: 'succeeded' }, 0);
  webhookAttempts.inc({ outcome: 'failed' }, 0);

  const refresh = async () => {
    openSockets.set(sources.openSockets());
    subscriptions.set(sources.activeSubscriptions());
    try {
      const backlog = await backlogs(sources.clock.now());
      dueJobs.set(backlog.dueJobs);
      outbox.set(backlog.outboxEmails);
      webhooksRetrying.set(backlog.webhooksRetrying);
    } catch (error) {
      // No stale figure: the backlogs are left out of this scrape (Prometheus sees them absent).
      dueJobs.reset();
      outbox.reset();
      webhooksRetrying.reset();
      logger.warn({ err: error }, 'metrics: could not count the backlogs');
    }
  };

  const expected = token === undefined ? null : digest(`Bearer ${token}`);
  return {
    registry,
    plugin,
    webhookAttempt: (outcome) => webhookAttempts.inc({ outcome }),
    serve: async (req, res) => {
      if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'cache-control': 'no-store' }).end();
        return;
      }
      await refresh();
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The error's `extensions.code` (our codes and Yoga's are a fixed set). graphql-js's own parse and
 * validation errors get theirs from Yoga only later, so they are named here as Yoga names them; any
 * other error without a code is a bug that masking hides.
 */
function errorCode(error: unknown, phase: string | undefined): string {
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
  if (phase === 'parse') return 'GRAPHQL_PARSE_FAILED';
  if (phase === 'validate') return 'GRAPHQL_VALIDATION_FAILED';
  return 'UNEXPECTED';
}

interface Backlogs {
  dueJobs: number;
  outboxEmails: number;
  webhooksRetrying: number;
}

/**
 * The backlogs in one statement, each bounded by LIMIT on the (status, time) index, so a scrape
 * costs the same whether the worker is up to date or a million rows behind. A webhook delivery
 * being retried is a pending WEBHOOK_DELIVERY job that carries its last failure.
 */
async function backlogs(now: Date): Promise<Backlogs> {
  const [row] = await prisma.$queryRaw<Backlogs[]>`
    SELECT
      (SELECT count(*) FROM (SELECT 1 FROM "DueJob" WHERE "status" = 'PENDING' AND "runAt" <= ${now} LIMIT ${BACKLOG_COUNT_LIMIT}) AS due)::int AS "dueJobs",
      (SELECT count(*) FROM (SELECT 1 FROM "OutboxEmail" WHERE "status" = 'PENDING' AND "nextAttemptAt" <= ${now} LIMIT ${BACKLOG_COUNT_LIMIT}) AS due)::int AS "outboxEmails",
      (SELECT count(*) FROM (SELECT 1 FROM "DueJob" WHERE "status" = 'PENDING' AND "kind" = 'WEBHOOK_DELIVERY' AND "lastError" IS NOT NULL
         LIMIT ${BACKLOG_COUNT_LIMIT}) AS retrying)::int AS "webhooksRetrying"`;
  return row ?? { dueJobs: 0, outboxEmails: 0, webhooksRetrying: 0 };
}
