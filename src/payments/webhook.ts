import type { IncomingMessage, ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import type { Clock } from '../clock.js';
import { refuseOversizedBody } from '../body-limit.js';
import { logger } from '../logger.js';
import { processStripeEvent } from '../services/order/payments.js';
import type { StripeClient } from './stripe.js';

export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

/** Stripe's events are a few kilobytes; anything much larger is not Stripe (MAX_BODY_BYTES). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * `POST /webhooks/stripe`: verifies the `stripe-signature` of the raw body (400 when it does not
 * match), then applies the event in one transaction. 200 once applied (or already applied, or not
 * ours); 500 on any failure, so that Stripe retries, with nothing half-written.
 */
export async function handleStripeWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  setup: { stripe: StripeClient | null; webhookSecret: string | undefined; clock: Clock; maxBodyBytes?: number },
): Promise<void> {
  const maxBytes = setup.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const body = Number(req.headers['content-length'] ?? 0) > maxBytes ? null : await readBody(req, maxBytes);
  if (!body) {
    refuseOversizedBody(req, res, maxBytes);
    return;
  }
  if (!setup.stripe || !setup.webhookSecret) {
    reply(res, 503, { error: 'Stripe webhooks are not configured on this server.' });
    return;
  }
  let event: Stripe.Event;
  try {
    event = setup.stripe.webhooks.constructEvent(body, req.headers['stripe-signature'] ?? '', setup.webhookSecret);
  } catch (error) {
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'Stripe webhook with a bad signature refused');
    reply(res, 400, { error: 'Invalid signature.' });
    return;
  }
  try {
    const outcome = await processStripeEvent(setup.stripe, event, setup.clock.now());
    logger.info({ eventId: event.id, type: event.type, outcome }, 'Stripe event');
    reply(res, 200, { received: true, outcome });
  } catch (error) {
    logger.error({ err: error, eventId: event.id, type: event.type }, 'Stripe event failed; Stripe will retry');
    reply(res, 500, { error: 'Processing failed.' });
  }
}

/** The body, or null as soon as it passes `maxBytes` (what was read is dropped). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
