import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { transaction } from '../../src/db/transaction.js';
import type { App } from '../../src/server.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { runDueJobs } from '../../src/jobs/worker.js';
import { chargeRenewal, refundOnlinePayment } from '../../src/services/order/payments.js';
import { crossPeriodBoundary } from '../../src/services/credit/subscriptions.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { postStripeEvent, startFakeStripe, stripeEvent, TEST_WEBHOOK_SECRET, type FakeStripe } from '../support/fake-stripe.js';
import { addBeneficiary, createCatalogue, createMember, createOffer, type TestMember } from '../support/factories.js';

// Online payment (SPEC §7, issue 5) against a local Stripe-compatible server, with real webhook
// signatures. The signed webhook is the only thing that marks an online payment succeeded.


let fake: FakeStripe;
let app: App;
let webhookUrl: string;
/** A second server on the same database, without STRIPE_SECRET_KEY. */
let noKeyApp: App;

beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startApp({ stripeSecretKey: 'sk_test_x', stripeWebhookSecret: TEST_WEBHOOK_SECRET, stripeApiBase: fake.url });
  const port = await app.listen(0, '127.0.0.1');
  webhookUrl = `http://127.0.0.1:${port}/webhooks/stripe`;
  noKeyApp = await startApp();
});
afterAll(async () => {
  await noKeyApp?.close();
  await app?.close();
  await fake?.close();
});

const Purchase = graphql(`
  mutation PaymentsPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id status amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const Record = graphql(`
  mutation PaymentsRecord($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status amountDue { amountCents } invoiceNumber } }
      ... on Error { code message }
    }
  }
`);

const StartCard = graphql(`
  mutation PaymentsStartCard($input: StartCardPaymentInput!) {
    startCardPayment(input: $input) {
      __typename
      ... on StartCardPaymentSuccess {
        clientSecret
        order { id status amountDue { amountCents } payments { method status amount { amountCents } } }
      }
      ... on Error { code message }
    }
  }
`);

const StartSepa = graphql(`
  mutation PaymentsStartSepa($input: StartSepaPaymentInput!) {
    startSepaPayment(input: $input) {
      __typename
      ... on StartSepaPaymentSuccess { clientSecret order { id status } }
      ... on Error { code message }
    }
  }
`);

const OrderQuery = graphql(`
  query PaymentsOrder($id: ID!) {
    node(id: $id) {
      ... on Order {
        id status invoiceNumber
        amountDue { amountCents }
        paid { amountCents }
        payments { method status amount { amountCents } }
      }
    }
  }
`);

const MyPaymentMethods = graphql(`
  query PaymentsMyMethods {
    viewer { paymentMethods { type brand last4 } }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

async function newOrder(target: App = app, priceCents = 17_000) {
  const catalogue: Catalogue = await createCatalogue(target);
  const buyer: TestMember = await createMember(target);
  const beneficiaryId = await addBeneficiary(target, buyer);
  const offerId = await createOffer(target, catalogue, { credits: 10, priceCents, validityDays: 90 });
  const order = success((await execute(target, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer, 'PurchaseOfferSuccess')
    .order;
  return { catalogue, buyer, order, orderUuid: decodeGlobalID(order.id).id, offerId, beneficiaryId };
}

async function startCard(buyer: TestMember, orderId: string, amountCents: number, saveCard = false) {
  const result = success((await execute(app, StartCard, { input: { orderId, amountCents, saveCard } }, { token: buyer.token })).startCardPayment, 'StartCardPaymentSuccess');
  return { ...result, intentId: result.clientSecret.split('_secret_')[0]! };
}

async function orderOf(buyer: TestMember, id: string) {
  const node = (await execute(app, OrderQuery, { id }, { token: buyer.token })).node;
  if (!node || !('status' in node)) throw new Error('order not visible');
  return node;
}

/** POSTs a Stripe event to the server, signed (with another secret, or altered after signing, when asked). */
function postEvent(event: object, secret?: string, tamper?: (payload: string) => string): Promise<Response> {
  return postStripeEvent(webhookUrl, event, { secret, tamper });
}

async function grants(orderUuid: string): Promise<number> {
  return prisma.creditLedgerEntry.count({ where: { reason: 'GRANT', entitlement: { orderId: orderUuid } } });
}

describe('card payments', () => {
  it('001: 70 € at the desk, then 100 € by card; only the signed webhook pays the order, invoices it and grants the credits', async () => {
    const { catalogue, buyer, order, orderUuid, offerId, beneficiaryId } = await newOrder();
    const desk = success(
      (await execute(app, Record, { input: { orderId: order.id, method: 'CASH', amountCents: 7_000 } }, { token: catalogue.admin.token })).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(desk).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 10_000 } });

    const started = await startCard(buyer, order.id, 10_000, true);
    expect(started.clientSecret).toMatch(/^pi_[0-9a-f]+_secret_/);
    // The client's word is never enough: the order waits for Stripe.
    expect(started.order).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 10_000 } });
    expect(started.order.payments.map((p) => [p.method, p.status, p.amount.amountCents])).toEqual([
      ['CASH', 'SUCCEEDED', 7_000],
      ['CARD', 'PENDING', 10_000],
    ]);

    const payment = await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: started.intentId } });
    const call = fake.requests.find((r) => r.path === '/v1/payment_intents' && r.idempotencyKey === `payment:${payment.id}`);
    const member = await prisma.member.findUniqueOrThrow({ where: { id: decodeGlobalID(buyer.id).id } });
    expect(member.stripeCustomerId).toMatch(/^cus_/);
    expect(call?.body).toMatchObject({
      amount: '10000',
      currency: 'eur',
      customer: member.stripeCustomerId,
      setup_future_usage: 'off_session',
      allowed_payment_method_types: ['card'],
      metadata: { orderId: orderUuid, paymentId: payment.id },
    });

    const card = fake.addPaymentMethod({ type: 'card', brand: 'visa', last4: '4242' });
    const response = await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded', { paymentMethod: card })));
    expect(response.status).toBe(200);

    const paid = await orderOf(buyer, order.id);
    expect(paid).toMatchObject({ status: 'PAID', invoiceNumber: 1, amountDue: { amountCents: 0 }, paid: { amountCents: 17_000 } });
    expect(paid.payments.map((p) => [p.method, p.status])).toEqual([
      ['CASH', 'SUCCEEDED'],
      ['CARD', 'SUCCEEDED'],
    ]);
    expect(await grants(orderUuid)).toBe(1);
    const entitlement = await prisma.entitlement.findFirstOrThrow({ where: { orderId: orderUuid } });
    expect(entitlement.creditsRemaining).toBe(10);
    expect((await execute(app, MyPaymentMethods, {}, { token: buyer.token })).viewer!.paymentMethods).toEqual([{ type: 'CARD', brand: 'visa', last4: '4242' }]);

    // The next online payment reuses the member's Stripe customer.
    const customers = fake.customers.size;
    const next = success(
      (await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer,
      'PurchaseOfferSuccess',
    ).order;
    await startCard(buyer, next.id, 1_000);
    expect(fake.customers.size).toBe(customers);
  });

  it('a webhook replayed 5 times at once (and a second event for the same intent) grants the credits once', async () => {
    const { buyer, order, orderUuid } = await newOrder();
    const started = await startCard(buyer, order.id, 17_000);
    const event = stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded'));
    const responses = await Promise.all(Array.from({ length: 5 }, () => postEvent(event)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const outcomes = await Promise.all(responses.map(async (r) => ((await r.json()) as { outcome: string }).outcome));
    expect(outcomes.filter((o) => o === 'processed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(4);

    const other = await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded')));
    expect(other.status).toBe(200);

    expect(await grants(orderUuid)).toBe(1);
    expect(await prisma.entitlement.count({ where: { orderId: orderUuid } })).toBe(1);
    expect(await prisma.stripeEvent.count({ where: { id: event.id } })).toBe(1);
    expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'PAID', paid: { amountCents: 17_000 } });
  });

  it('refuses a bad signature with 400 and changes nothing; an unknown intent is acknowledged and ignored', async () => {
    const { buyer, order, orderUuid } = await newOrder();
    const started = await startCard(buyer, order.id, 17_000);
    const event = stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded'));

    expect((await postEvent(event, 'whsec_wrong')).status).toBe(400);
    expect((await postEvent(event, TEST_WEBHOOK_SECRET, (payload) => payload.replace('"amount":17000', '"amount":1'))).status).toBe(400);
    const unsigned = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(unsigned.status).toBe(400);

    expect(await prisma.stripeEvent.count({ where: { id: event.id } })).toBe(0);
    expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'PENDING', paid: { amountCents: 0 } });
    expect((await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: started.intentId } })).status).toBe('PENDING');
    expect(await grants(orderUuid)).toBe(0);

    const stranger = { ...fake.transition(started.intentId, 'succeeded'), id: 'pi_unknown', metadata: {} };
    const ignored = await postEvent(stripeEvent('payment_intent.succeeded', stranger));
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toMatchObject({ outcome: 'ignored' });
  });

  it('payment_failed marks the payment FAILED and leaves the order; a failure after the success changes nothing', async () => {
    const { buyer, order, orderUuid } = await newOrder();
    const first = await startCard(buyer, order.id, 17_000);
    const failed = await postEvent(
      stripeEvent('payment_intent.payment_failed', fake.transition(first.intentId, 'requires_payment_method', { failure: 'Your card was declined.' })),
    );
    expect(failed.status).toBe(200);
    const payment = await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: first.intentId } });
    expect(payment).toMatchObject({ status: 'FAILED', failureReason: 'Your card was declined.' });
    expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'PENDING', amountDue: { amountCents: 17_000 } });

    const second = await startCard(buyer, order.id, 17_000);
    const succeeded = fake.transition(second.intentId, 'succeeded');
    expect((await postEvent(stripeEvent('payment_intent.succeeded', succeeded))).status).toBe(200);
    // Out of order: Stripe reports an earlier failed attempt after the success.
    const late = await postEvent(stripeEvent('payment_intent.payment_failed', { ...succeeded, last_payment_error: { message: 'Insufficient funds.' } }));
    expect(late.status).toBe(200);
    expect(await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: second.intentId } })).toMatchObject({ status: 'SUCCEEDED', failureReason: null });
    expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'PAID', paid: { amountCents: 17_000 } });
    expect(await grants(orderUuid)).toBe(1);
  });

  it('refuses more than the amount due, a paid order, and a stranger, before calling Stripe', async () => {
    const { catalogue, buyer, order } = await newOrder();
    const calls = fake.requests.length;
    const tooMuch = (await execute(app, StartCard, { input: { orderId: order.id, amountCents: 17_001 } }, { token: buyer.token, locale: 'en' })).startCardPayment;
    expect(tooMuch).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE', message: 'This payment is more than the amount still due (€170.00).' });
    const stranger = await createMember(app);
    expect((await execute(app, StartCard, { input: { orderId: order.id, amountCents: 100 } }, { token: stranger.token })).startCardPayment).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(fake.requests.length).toBe(calls);

    await execute(app, Record, { input: { orderId: order.id, method: 'CHEQUE', amountCents: 17_000 } }, { token: catalogue.admin.token });
    expect((await execute(app, StartCard, { input: { orderId: order.id, amountCents: 100 } }, { token: buyer.token })).startCardPayment).toMatchObject({
      code: 'ORDER_NOT_PAYABLE',
    });
    expect(await prisma.payment.count({ where: { order: { id: decodeGlobalID(order.id).id }, status: 'PENDING' } })).toBe(0);
  });
});

describe('SEPA Direct Debit', () => {
  it('stays PENDING while the bank processes it, and pays the order once it succeeds', async () => {
    const { buyer, order, orderUuid } = await newOrder();
    const started = success(
      (await execute(app, StartSepa, { input: { orderId: order.id, amountCents: 17_000 } }, { token: buyer.token })).startSepaPayment,
      'StartSepaPaymentSuccess',
    );
    const intentId = started.clientSecret.split('_secret_')[0]!;
    expect(fake.intents.get(intentId)?.payment_method_types).toEqual(['sepa_debit']);

    expect((await postEvent(stripeEvent('payment_intent.processing', fake.transition(intentId, 'processing')))).status).toBe(200);
    const processing = await orderOf(buyer, order.id);
    expect(processing).toMatchObject({ status: 'PENDING', amountDue: { amountCents: 17_000 } });
    expect(processing.payments.map((p) => [p.method, p.status])).toEqual([['SEPA_DEBIT', 'PENDING']]);

    expect((await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(intentId, 'succeeded')))).status).toBe(200);
    const paid = await orderOf(buyer, order.id);
    expect(paid).toMatchObject({ status: 'PAID', amountDue: { amountCents: 0 } });
    expect(paid.invoiceNumber).toBeGreaterThan(0);
    expect(await grants(orderUuid)).toBe(1);
  });
});

describe('without STRIPE_SECRET_KEY', () => {
  it('online payment answers ONLINE_PAYMENT_UNAVAILABLE; desk payments still work', async () => {
    const { catalogue, buyer, order } = await newOrder(noKeyApp);
    const refused = (await execute(noKeyApp, StartCard, { input: { orderId: order.id, amountCents: 7_000 } }, { token: buyer.token, locale: 'en' }))
      .startCardPayment;
    expect(refused).toMatchObject({ code: 'ONLINE_PAYMENT_UNAVAILABLE', message: 'Online payment is not available: pay at the desk.' });
    expect((await execute(noKeyApp, StartSepa, { input: { orderId: order.id, amountCents: 7_000 } }, { token: buyer.token })).startSepaPayment).toMatchObject({
      code: 'ONLINE_PAYMENT_UNAVAILABLE',
    });
    const paid = success(
      (await execute(noKeyApp, Record, { input: { orderId: order.id, method: 'CASH', amountCents: 17_000 } }, { token: catalogue.admin.token })).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(paid).toMatchObject({ status: 'PAID', invoiceNumber: 1 });
  });
});

describe('refunds', () => {
  it('refundOnlinePayment refunds through Stripe once per payment and amount, and records it', async () => {
    const { buyer, order } = await newOrder();
    const started = await startCard(buyer, order.id, 17_000);
    await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded')));
    const payment = await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: started.intentId } });
    expect(payment.status).toBe('SUCCEEDED');

    const { stripeRefundId } = await refundOnlinePayment(payment.id, 17_000);
    expect(stripeRefundId).toMatch(/^re_/);
    expect(fake.refunds.get(stripeRefundId)).toMatchObject({ amount: 17_000, payment_intent: started.intentId, status: 'succeeded' });
    // A retried withdrawal gets the same refund back: nothing refunded or recorded twice.
    expect(await refundOnlinePayment(payment.id, 17_000)).toEqual({ stripeRefundId });
    expect([...fake.refunds.values()].filter((r) => r.payment_intent === started.intentId)).toHaveLength(1);

    const refunds = await prisma.refund.findMany({ where: { paymentId: payment.id } });
    expect(refunds).toMatchObject([{ amountCents: 17_000, status: 'SUCCEEDED', stripeRefundId }]);
    expect((await prisma.payment.findUniqueOrThrow({ where: { id: payment.id } })).refundedCents).toBe(17_000);
    const call = fake.requests.find((r) => r.path === '/v1/refunds' && (r.body as { payment_intent?: string }).payment_intent === started.intentId);
    expect(call?.idempotencyKey).toBe(`refund:${payment.id}:17000`);
  });
});

describe('subscription renewals', () => {
  it('a subscription paid with a saved card renews with an off-session charge, settled by the webhook', async () => {
    const catalogue = await createCatalogue(app);
    const buyer = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, buyer);
    const offerId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', credits: 4, priceCents: 3_000 });
    const order = success((await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer, 'PurchaseOfferSuccess')
      .order;
    const started = await startCard(buyer, order.id, 3_000, true);
    const card = fake.addPaymentMethod({ type: 'card', brand: 'mastercard', last4: '4444' });
    expect((await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded', { paymentMethod: card })))).status).toBe(200);

    const first = await prisma.order.findUniqueOrThrow({ where: { id: decodeGlobalID(order.id).id }, include: { subscription: { include: { paymentMethod: true } } } });
    expect(first.status).toBe('PAID');
    expect(first.subscription?.paymentMethod).toMatchObject({ stripePaymentMethodId: card, type: 'CARD', last4: '4444' });

    // The period boundary (what the worker runs at that instant), then the charge it enqueued.
    const subscriptionId = first.subscriptionId!;
    const boundary = await prisma.dueJob.findUniqueOrThrow({ where: { dedupeKey: `renewal:${subscriptionId}:1` } });
    await transaction((tx) => crossPeriodBoundary(tx, boundary, boundary.runAt));
    const renewal = await prisma.order.findUniqueOrThrow({ where: { subscriptionId_periodIndex: { subscriptionId, periodIndex: 1 } } });
    expect(renewal.status).toBe('PENDING');
    const charge = await prisma.dueJob.findUniqueOrThrow({ where: { dedupeKey: `renewal-charge:${renewal.id}` } });
    expect(charge).toMatchObject({ kind: 'RENEWAL_CHARGE', payload: { orderId: renewal.id } });
    await transaction((tx) => chargeRenewal(tx, charge, boundary.runAt));
    // Nothing else of this test's subscription is left for a worker to pick up later.
    await prisma.dueJob.updateMany({ where: { id: { in: [boundary.id, charge.id] } }, data: { status: 'DONE' } });
    await prisma.dueJob.updateMany({ where: { dedupeKey: { startsWith: `renewal:${subscriptionId}:` } }, data: { status: 'DONE' } });

    const call = fake.requests.find((r) => r.path === '/v1/payment_intents' && r.idempotencyKey === `renewal:${renewal.id}`);
    expect(call?.body).toMatchObject({ amount: '3000', confirm: 'true', off_session: 'true', payment_method: card, metadata: { orderId: renewal.id } });
    const pending = await prisma.payment.findFirstOrThrow({ where: { orderId: renewal.id } });
    expect(pending).toMatchObject({ method: 'CARD', status: 'PENDING', amountCents: 3_000 });
    expect((await prisma.order.findUniqueOrThrow({ where: { id: renewal.id } })).status).toBe('PENDING');

    const intent = fake.intents.get(pending.stripePaymentIntentId!)!;
    expect(intent.status).toBe('succeeded');
    expect((await postEvent(stripeEvent('payment_intent.succeeded', { ...intent }))).status).toBe(200);
    expect(await prisma.order.findUniqueOrThrow({ where: { id: renewal.id } })).toMatchObject({ status: 'PAID', paidCents: 3_000 });
  });
});

const Withdraw = graphql(`
  mutation PaymentsWithdraw($input: RequestWithdrawalInput!) {
    requestWithdrawal(input: $input) {
      __typename
      ... on RequestWithdrawalSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

describe('withdrawal of a hybrid-paid order (003 §11, 004)', () => {
  it('refunds the card part through Stripe and records the desk part; the credits are removed', async () => {
    const { catalogue, buyer, order, orderUuid } = await newOrder();
    await execute(app, Record, { input: { orderId: order.id, method: 'CASH', amountCents: 7_000 } }, { token: catalogue.admin.token });
    const started = await startCard(buyer, order.id, 10_000);
    expect((await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded')))).status).toBe(200);
    expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'PAID' });

    const withdrawn = success((await execute(app, Withdraw, { input: { orderId: order.id } }, { token: buyer.token })).requestWithdrawal, 'RequestWithdrawalSuccess');
    expect(withdrawn.order.status).toBe('REFUNDED');
    // The card part went back through Stripe (once), the cash part is recorded as refunded.
    const cardPayment = await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: started.intentId }, include: { refunds: true } });
    await expect.poll(async () => (await prisma.refund.findMany({ where: { paymentId: cardPayment.id } })).map((r) => [r.status, r.amountCents])).toEqual([
      ['SUCCEEDED', 10_000],
    ]);
    expect(fake.requests.filter((r) => r.path === '/v1/refunds' && (r.body as { payment_intent?: string }).payment_intent === started.intentId)).toHaveLength(1);
    const cash = await prisma.payment.findFirstOrThrow({ where: { orderId: orderUuid, method: 'CASH' }, include: { refunds: true } });
    expect(cash.refunds.map((r) => [r.status, r.amountCents])).toEqual([['SUCCEEDED', 7_000]]);
    const lot = await prisma.entitlement.findFirstOrThrow({ where: { orderId: orderUuid } });
    expect(lot).toMatchObject({ status: 'REVOKED', creditsRemaining: 0 });
    expect((await execute(app, Withdraw, { input: { orderId: order.id } }, { token: buyer.token })).requestWithdrawal).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED' });
  });
});

const CancelOrder = graphql(`
  mutation PaymentsCancelOrder($input: CancelOrderInput!) {
    cancelOrder(input: $input) {
      __typename
      ... on CancelOrderSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

describe('cancelling an order', () => {
  it('drops an unpaid order; one with a payment under way or made cannot be cancelled', async () => {
    const unpaid = await newOrder();
    const stranger = await createMember(app);
    expect((await execute(app, CancelOrder, { input: { orderId: unpaid.order.id } }, { token: stranger.token })).cancelOrder).toMatchObject({
      code: 'FORBIDDEN',
    });
    const cancelled = success((await execute(app, CancelOrder, { input: { orderId: unpaid.order.id } }, { token: unpaid.buyer.token })).cancelOrder, 'CancelOrderSuccess');
    expect(cancelled.order.status).toBe('CANCELLED');
    // Paying a cancelled order is refused.
    expect(
      (await execute(app, Record, { input: { orderId: unpaid.order.id, method: 'CASH', amountCents: 100 } }, { token: unpaid.catalogue.admin.token })).recordPayment,
    ).toMatchObject({ code: 'ORDER_NOT_PAYABLE' });

    const inFlight = await newOrder();
    await startCard(inFlight.buyer, inFlight.order.id, 5_000);
    expect((await execute(app, CancelOrder, { input: { orderId: inFlight.order.id } }, { token: inFlight.buyer.token })).cancelOrder).toMatchObject({
      code: 'VALIDATION',
    });
    expect(await orderOf(inFlight.buyer, inFlight.order.id)).toMatchObject({ status: 'PENDING' });
  });
});

describe('never collecting the same euro twice', () => {
  it('an amount a pending online payment will cover cannot be taken again, online or at the desk', async () => {
    const { catalogue, buyer, order } = await newOrder();
    await startCard(buyer, order.id, 17_000);
    const second = (await execute(app, StartCard, { input: { orderId: order.id, amountCents: 17_000 } }, { token: buyer.token })).startCardPayment;
    expect(second).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE' });
    const desk = (await execute(app, Record, { input: { orderId: order.id, method: 'CASH', amountCents: 100 } }, { token: catalogue.admin.token })).recordPayment;
    expect(desk).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE' });
  });

  it('a card payment that succeeds on an order that no longer needs it is refunded in full, never counted', async () => {
    const { buyer, order, orderUuid } = await newOrder();
    const started = await startCard(buyer, order.id, 17_000);
    // The card is declined, the member gives up and cancels the order…
    expect((await postEvent(stripeEvent('payment_intent.payment_failed', fake.transition(started.intentId, 'requires_payment_method')))).status).toBe(200);
    success((await execute(app, CancelOrder, { input: { orderId: order.id } }, { token: buyer.token })).cancelOrder, 'CancelOrderSuccess');
    // …then retries the same card in the still-open Stripe page, and it goes through.
    expect((await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(started.intentId, 'succeeded')))).status).toBe(200);
    expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'CANCELLED', paid: { amountCents: 0 } });
    expect(await grants(orderUuid)).toBe(0);
    await runDueJobs(jobHandlers, new Date());
    const payment = await prisma.payment.findUniqueOrThrow({ where: { stripePaymentIntentId: started.intentId }, include: { refunds: true } });
    expect(payment.refunds.map((r) => [r.status, r.amountCents])).toEqual([['SUCCEEDED', 17_000]]);
    expect(payment.refundedCents).toBe(17_000);
  });
});
