import { lookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../clock.js';
import { prisma } from '../db/client.js';
import { transaction } from '../db/transaction.js';
import { ValidationError } from '../domain/errors.js';
import { isDeliverySuccess, isPublicAddress, nextWebhookAttemptAt } from '../domain/webhooks.js';
import { logger } from '../logger.js';

// Webhook deliveries (issue 14; Standard Webhooks). Each delivery is a WEBHOOK_DELIVERY DueJob that
// `emitEvent` wrote with its cause. Unlike other jobs, it is not run inside the worker's
// transaction: an HTTP call may take seconds, and no row lock or connection is held meanwhile.
// Instead a pass *leases* due jobs in one statement (FOR UPDATE SKIP LOCKED, `runAt` moved past the
// lease, `attempts` + 1), sends them, then records each outcome with a compare-and-swap on that
// attempt number. So any number of instances share the work and none sends a job another holds;
// after a 2xx the job is DONE and never sent again. A process that dies mid-request loses only its
// lease: the job is due again when the lease ends (at least once, as the spec allows; the
// `webhook-id` lets receivers drop a duplicate).

/** Per-request limit: connection, headers and all. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long a leased job stays hidden from other instances; well past the request limit. */
const LEASE_MS = 60_000;
const USER_AGENT = 'class-booking-webhooks/1';

export interface WebhookSettings {
  /** WEBHOOKS_ALLOW_PRIVATE: endpoints may resolve to private, loopback or link-local addresses. */
  allowPrivate: boolean;
}

let settings: WebhookSettings = { allowPrivate: false };

/** Set once per server from its configuration (src/server.ts). */
export function configureWebhooks(next: WebhookSettings): void {
  settings = next;
}

export function webhookSettings(): WebhookSettings {
  return settings;
}

/** True when this address may not be contacted: not public, and WEBHOOKS_ALLOW_PRIVATE is off. */
function refused(address: string): boolean {
  return !settings.allowPrivate && !isPublicAddress(address);
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * At registration: every address the URL's host resolves to must be public (unless allowed).
 * VALIDATION on `url` otherwise, or when the host does not resolve.
 */
export async function checkWebhookHost(url: URL): Promise<void> {
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookupAll(host)).map((entry) => entry.address);
    } catch {
      throw new ValidationError([{ field: ['url'], messageKey: 'validation.webhookHostUnresolved' }]);
    }
  }
  const bad = addresses.find(refused);
  if (bad) throw new ValidationError([{ field: ['url'], messageKey: 'validation.webhookPrivateAddress', params: { address: bad } }]);
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

/**
 * The connection's own DNS lookup, checked: the socket connects only to an address that was just
 * checked, so a host that resolved to a public address at registration and to a private one now
 * (DNS rebinding) is refused at delivery time.
 */
function checkedLookup(
  hostname: string,
  options: { all?: boolean },
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  lookupAll(hostname).then(
    (addresses) => {
      const bad = addresses.find((entry) => refused(entry.address));
      if (bad || addresses.length === 0) {
        callback(Object.assign(new Error(`refused: ${hostname} resolves to a private address (${bad?.address ?? 'none'})`), { code: 'EADDRNOTALLOWED' }), '');
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    },
    (error: NodeJS.ErrnoException) => callback(error, ''),
  );
}

export interface SendOutcome {
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs one signed body. Never throws: a refusal, a network error or the time limit is an outcome.
 * Redirects are not followed; the response body is not read (its status is the answer).
 */
export function sendWebhook(target: string, headers: Record<string, string>, body: string, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (httpStatus: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ httpStatus, error, durationMs: elapsed() });
    };
    const url = new URL(target);
    const host = hostOf(url);
    if (isIP(host) && refused(host)) {
      resolve({ httpStatus: null, error: `refused: ${host} is a private address`, durationMs: 0 });
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: checkedLookup as never,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT },
      },
      (response: IncomingMessage) => {
        finish(response.statusCode ?? null, isDeliverySuccess(response.statusCode ?? null) ? null : `HTTP ${response.statusCode}`);
        response.destroy();
      },
    );
    const deadline = setTimeout(() => {
      finish(null, `timed out after ${timeoutMs} ms`);
      request.destroy();
    }, timeoutMs);
    request.on('error', (error) => finish(null, error.message.slice(0, 500)));
    request.end(body);
  });
}

interface Leased {
  id: string;
  payload: { deliveryId?: string };
  attempts: number;
}

/** Takes up to `limit` due deliveries for this instance (see the top of this file). */
async function lease(now: Date, limit: number): Promise<Leased[]> {
  return prisma.$queryRaw<Leased[]>`
    UPDATE "DueJob" SET "runAt" = ${new Date(now.getTime() + LEASE_MS)}::timestamptz, "attempts" = "attempts" + 1
     WHERE "id" IN (
       SELECT "id" FROM "DueJob"
        WHERE "kind" = 'WEBHOOK_DELIVERY' AND "status" = 'PENDING' AND "runAt" <= ${now}::timestamptz
        ORDER BY "runAt", "id"
        LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
    RETURNING "id", "payload", "attempts"`;
}

/**
 * Sends the deliveries due at the clock's now, `concurrency` at a time, at most `batch` per call.
 * Returns how many were attempted (or closed because their endpoint is gone).
 */
export async function deliverDueWebhooks(
  clock: Clock,
  { batch = 100, concurrency = 8, onAttempt }: { batch?: number; concurrency?: number; onAttempt?: WebhookAttemptListener } = {},
): Promise<number> {
  let handled = 0;
  while (handled < batch) {
    const leased = await lease(clock.now(), Math.min(concurrency, batch - handled));
    if (leased.length === 0) break;
    await Promise.all(leased.map((job) => deliverLeased(job, clock, onAttempt)));
    handled += leased.length;
  }
  return handled;
}

/** Told of each HTTP attempt this instance made, once it is recorded (the metrics count them). */
export type WebhookAttemptListener = (outcome: 'succeeded' | 'failed') => void;

async function deliverLeased(job: Leased, clock: Clock, onAttempt: WebhookAttemptListener | undefined): Promise<void> {
  try {
    await deliver(job, clock, onAttempt);
  } catch (error) {
    // A database error while recording: the lease runs out and the job is tried again.
    logger.error({ jobId: job.id, err: error instanceof Error ? error.message : String(error) }, 'webhook delivery failed to record');
  }
}

async function deliver(job: Leased, clock: Clock, onAttempt: WebhookAttemptListener | undefined): Promise<void> {
  const delivery = job.payload.deliveryId
    ? await prisma.webhookDelivery.findUnique({ where: { id: job.payload.deliveryId }, include: { event: true, endpoint: true } })
    : null;
  const attemptNumber = job.attempts;
  const stillLeased = { id: job.id, attempts: attemptNumber, status: 'PENDING' as const };
  if (!delivery || !delivery.endpoint.enabled || delivery.endpoint.deletedAt || delivery.status !== 'PENDING') {
    // The endpoint was disabled or deleted meanwhile: nothing is sent (`redeliverWebhook` can
    // send it again once the endpoint is enabled).
    await transaction(async (tx) => {
      const closed = await tx.dueJob.updateMany({ where: stillLeased, data: { status: 'DONE', doneAt: clock.now() } });
      if (closed.count === 1 && delivery?.status === 'PENDING') {
        await tx.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'CANCELLED', nextAttemptAt: null } });
      }
    });
    return;
  }
  const body = delivery.event.payload;
  // The spec's timestamp is when the request is sent, checked by receivers against their own
  // clock: wall time, whatever the test clock says (the payload's `timestamp` is the event's).
  const sentAt = new Date();
  const signature = new Webhook(delivery.endpoint.secret).sign(delivery.eventId, sentAt, body);
  const outcome = await sendWebhook(
    delivery.endpoint.url,
    { 'webhook-id': delivery.eventId, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signature },
    body,
  );
  const now = clock.now();
  const succeeded = isDeliverySuccess(outcome.httpStatus);
  const next = succeeded ? null : nextWebhookAttemptAt(attemptNumber, now, delivery.retryUntil);
  await transaction(async (tx) => {
    // Compare-and-swap on the attempt: if the lease ran out and another instance took the job,
    // this attempt is only recorded; that instance's outcome decides.
    const owned = await tx.dueJob.updateMany({
      where: stillLeased,
      data: succeeded
        ? { status: 'DONE', doneAt: now, lastError: null }
        : next
          ? { runAt: next, lastError: outcome.error }
          : { status: 'FAILED', doneAt: now, lastError: outcome.error },
    });
    await tx.webhookDeliveryAttempt.create({
      data: {
        deliveryId: delivery.id,
        attemptNumber,
        attemptedAt: now,
        succeeded,
        httpStatus: outcome.httpStatus,
        durationMs: outcome.durationMs,
        error: outcome.error,
        nextAttemptAt: owned.count === 1 ? next : null,
      },
    });
    if (owned.count === 0) return;
    await tx.webhookDelivery.update({
      where: { id: delivery.id },
      data: {
        status: succeeded ? 'SUCCEEDED' : next ? 'PENDING' : 'FAILED',
        attemptCount: attemptNumber,
        lastHttpStatus: outcome.httpStatus,
        nextAttemptAt: next,
      },
    });
  });
  onAttempt?.(succeeded ? 'succeeded' : 'failed');
  const log = { webhookDeliveryId: delivery.id, webhookId: delivery.eventId, type: delivery.event.type, attempt: attemptNumber, httpStatus: outcome.httpStatus, durationMs: outcome.durationMs };
  if (succeeded) logger.info(log, 'webhook delivered');
  else if (next) logger.warn({ ...log, err: outcome.error, nextAttemptAt: next }, 'webhook delivery failed; retrying later');
  else logger.error({ ...log, err: outcome.error }, 'webhook delivery failed; giving up');
}
