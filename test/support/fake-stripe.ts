import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

// A small Stripe-compatible HTTP server for tests (Stripe's servers are unreachable here): the few
// endpoints the project uses, form-encoded requests as the official SDK sends them, Stripe-shaped
// JSON objects, and `Idempotency-Key` honoured (the same key answers the same response again).

type Json = Record<string, unknown>;

export interface FakePaymentIntent extends Json {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  customer: string | null;
  status: string;
  client_secret: string;
  metadata: Record<string, string>;
  payment_method: string | null;
  setup_future_usage: string | null;
  payment_method_types: string[];
  last_payment_error: Json | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: Json;
  idempotencyKey: string | undefined;
}

export interface FakeStripe {
  url: string;
  requests: RecordedRequest[];
  intents: Map<string, FakePaymentIntent>;
  refunds: Map<string, Json>;
  customers: Map<string, Json>;
  /** Payment methods by id, each with `customer` (null once detached). */
  paymentMethods: Map<string, Json>;
  /** Registers a payment method (what Stripe.js would create in the browser); returns its id. */
  addPaymentMethod(method: { type: 'card'; brand: string; last4: string } | { type: 'sepa_debit'; last4: string }): string;
  /** Payment methods whose off-session confirmation is declined. */
  declining: Set<string>;
  /** Moves an intent to a status (as the customer's confirmation or the bank would) and returns it. */
  transition(intentId: string, status: 'processing' | 'succeeded' | 'requires_payment_method', options?: { paymentMethod?: string; failure?: string }): FakePaymentIntent;
  close(): Promise<void>;
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** Parses `a[b][0]=x&c=y` into nested objects and arrays, as Stripe does. */
export function parseForm(body: string): Json {
  const result: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> | unknown[] = result;
    path.forEach((part, index) => {
      const last = index === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[index + 1]!);
      const container = node as Record<string, unknown>;
      if (last) container[part] = value;
      else {
        container[part] ??= nextIsIndex ? [] : {};
        node = container[part] as Record<string, unknown>;
      }
    });
  }
  return result;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const intents = new Map<string, FakePaymentIntent>();
  const refunds = new Map<string, Json>();
  const customers = new Map<string, Json>();
  const paymentMethods = new Map<string, Json>();
  const idempotent = new Map<string, { status: number; body: Json }>();
  const requests: RecordedRequest[] = [];
  const declining = new Set<string>();

  const error = (status: number, type: string, message: string, extra: Json = {}) => ({ status, body: { error: { type, message, ...extra } } });

  function route(method: string, path: string, body: Json): { status: number; body: Json } {
    if (method === 'POST' && path === '/v1/customers') {
      const customer = { id: id('cus'), object: 'customer', email: body.email ?? null, name: body.name ?? null, metadata: body.metadata ?? {} };
      customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      const amount = Number(body.amount);
      if (!Number.isInteger(amount) || amount <= 0) return error(400, 'invalid_request_error', 'Invalid amount.', { param: 'amount' });
      const intentId = id('pi');
      const types = (body.allowed_payment_method_types ?? body.payment_method_types ?? ['card']) as string[];
      const intent: FakePaymentIntent = {
        id: intentId,
        object: 'payment_intent',
        amount,
        amount_received: 0,
        currency: String(body.currency),
        customer: (body.customer as string) ?? null,
        status: body.payment_method ? 'requires_confirmation' : 'requires_payment_method',
        client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`,
        metadata: (body.metadata as Record<string, string>) ?? {},
        payment_method: (body.payment_method as string) ?? null,
        setup_future_usage: (body.setup_future_usage as string) ?? null,
        payment_method_types: types,
        confirm: body.confirm === 'true',
        off_session: body.off_session === 'true',
        last_payment_error: null,
        livemode: false,
        created: Math.floor(Date.now() / 1000),
      };
      intents.set(intentId, intent);
      if (intent.confirm) {
        if (intent.payment_method && declining.has(intent.payment_method)) {
          intent.status = 'requires_payment_method';
          intent.last_payment_error = { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' };
          return error(402, 'card_error', 'Your card was declined.', { code: 'card_declined', payment_intent: intent });
        }
        intent.status = types.includes('sepa_debit') ? 'processing' : 'succeeded';
        if (intent.status === 'succeeded') intent.amount_received = amount;
      }
      return { status: 200, body: intent };
    }
    const intentMatch = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === 'GET' && intentMatch) {
      const intent = intents.get(intentMatch[1]!);
      return intent ? { status: 200, body: intent } : error(404, 'invalid_request_error', 'No such payment_intent.', { code: 'resource_missing' });
    }
    const methodMatch = /^\/v1\/payment_methods\/([^/]+)$/.exec(path);
    if (method === 'GET' && methodMatch) {
      const paymentMethod = paymentMethods.get(methodMatch[1]!);
      return paymentMethod ? { status: 200, body: paymentMethod } : error(404, 'invalid_request_error', 'No such payment_method.', { code: 'resource_missing' });
    }
    const detachMatch = /^\/v1\/payment_methods\/([^/]+)\/detach$/.exec(path);
    if (method === 'POST' && detachMatch) {
      const paymentMethod = paymentMethods.get(detachMatch[1]!);
      if (!paymentMethod) return error(404, 'invalid_request_error', 'No such PaymentMethod.', { code: 'resource_missing' });
      if (!paymentMethod.customer) {
        return error(400, 'invalid_request_error', 'The payment method you provided is not attached to a customer so detachment is impossible.');
      }
      paymentMethod.customer = null;
      return { status: 200, body: paymentMethod };
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const intent = intents.get(String(body.payment_intent));
      if (!intent || intent.status !== 'succeeded') return error(400, 'invalid_request_error', 'This PaymentIntent has no successful charge.');
      const refunded = [...refunds.values()].filter((r) => r.payment_intent === intent.id).reduce((sum, r) => sum + (r.amount as number), 0);
      const amount = body.amount === undefined ? intent.amount_received - refunded : Number(body.amount);
      if (amount <= 0 || refunded + amount > intent.amount_received) {
        return error(400, 'invalid_request_error', 'Refund amount is greater than the unrefunded amount.', { code: 'charge_already_refunded' });
      }
      const refund = {
        id: id('re'),
        object: 'refund',
        amount,
        currency: intent.currency,
        payment_intent: intent.id,
        status: 'succeeded',
        reason: (body.reason as string) ?? null,
        metadata: body.metadata ?? {},
      };
      refunds.set(refund.id, refund);
      return { status: 200, body: refund };
    }
    return error(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0]!;
      const body = parseForm(raw);
      const key = req.headers['idempotency-key'] as string | undefined;
      requests.push({ method: req.method ?? 'GET', path, body, idempotencyKey: key });
      const cacheKey = key ? `${req.method} ${path} ${key}` : undefined;
      const answer = (cacheKey && idempotent.get(cacheKey)) || route(req.method ?? 'GET', path, body);
      if (cacheKey && !idempotent.has(cacheKey)) idempotent.set(cacheKey, answer);
      res.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': id('req'), ...(key ? { 'idempotency-key': key } : {}) });
      res.end(JSON.stringify(answer.body));
    })().catch((err) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    intents,
    refunds,
    customers,
    paymentMethods,
    declining,
    addPaymentMethod(method) {
      const pmId = id('pm');
      paymentMethods.set(
        pmId,
        method.type === 'card'
          ? { id: pmId, object: 'payment_method', type: 'card', customer: null, card: { brand: method.brand, last4: method.last4 } }
          : { id: pmId, object: 'payment_method', type: 'sepa_debit', customer: null, sepa_debit: { last4: method.last4 } },
      );
      return pmId;
    },
    transition(intentId, status, options = {}) {
      const intent = intents.get(intentId);
      if (!intent) throw new Error(`no intent ${intentId}`);
      if (options.paymentMethod) intent.payment_method = options.paymentMethod;
      intent.status = status;
      if (status === 'succeeded') intent.amount_received = intent.amount;
      // Kept for later (setup_future_usage): Stripe attaches the method to the intent's customer.
      const used = intent.payment_method ? paymentMethods.get(intent.payment_method) : undefined;
      if (status === 'succeeded' && used && intent.setup_future_usage && intent.customer) used.customer = intent.customer;
      if (options.failure) intent.last_payment_error = { type: 'card_error', code: 'card_declined', message: options.failure };
      return { ...intent };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The signing secret the test servers give `/webhooks/stripe` (`stripeWebhookSecret`). */
export const TEST_WEBHOOK_SECRET = 'whsec_test';

/** Signs as Stripe does: the official SDK's own test header (no request is made with this key). */
const signer = new Stripe('sk_test_x');

/** A Stripe event of `type` around `object`, shaped as Stripe sends it. */
export function stripeEvent<T extends object>(type: string, object: T) {
  return {
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event' as const,
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/**
 * POSTs `event` to a server's `/webhooks/stripe` (`url`), signed with `secret` as Stripe signs;
 * `tamper` changes the body after it was signed.
 */
export function postStripeEvent(
  url: string,
  event: object,
  { secret = TEST_WEBHOOK_SECRET, tamper }: { secret?: string; tamper?: (payload: string) => string } = {},
): Promise<Response> {
  const payload = JSON.stringify(event);
  const signature = signer.webhooks.generateTestHeaderString({ payload, secret });
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: tamper ? tamper(payload) : payload });
}
