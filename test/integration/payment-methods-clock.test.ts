import { decodeGlobalID } from '@pothos/plugin-relay';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { graphql } from '../gql/index.js';
import { execute, success } from '../support/app.js';
import { clockApp, testClock } from '../support/clock.js';
import { postStripeEvent, startFakeStripe, stripeEvent, TEST_WEBHOOK_SECRET, type FakePaymentIntent, type FakeStripe } from '../support/fake-stripe.js';
import { addBeneficiary, createCatalogue, createMember, createOffer, type TestMember } from '../support/factories.js';

// "Mes infos de paiement" (issue 12): a member removes a saved card; it is detached at Stripe, and
// the subscription that renewed with it is no longer charged automatically: its next renewal,
// run by the renewal job at the period boundary under the test clock, stays due at the desk.


let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake?.close();
});
const app = clockApp('paymethods', {
  stripeSecretKey: 'sk_test_x',
  stripeWebhookSecret: TEST_WEBHOOK_SECRET,
  get stripeApiBase() {
    return fake.url;
  },
});
const { advanceTo } = testClock(app);

const Purchase = graphql(`
  mutation PayMethodsPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id } }
      ... on Error { code message }
    }
  }
`);

const StartCard = graphql(`
  mutation PayMethodsStartCard($input: StartCardPaymentInput!) {
    startCardPayment(input: $input) {
      __typename
      ... on StartCardPaymentSuccess { clientSecret }
      ... on Error { code message }
    }
  }
`);

const Methods = graphql(`
  query PayMethodsMine {
    viewer { paymentMethods { id type brand last4 } }
  }
`);

const Remove = graphql(`
  mutation PayMethodsRemove($input: RemovePaymentMethodInput!) {
    removePaymentMethod(input: $input) {
      __typename
      ... on RemovePaymentMethodSuccess { viewer { id paymentMethods { id } } }
      ... on NotFoundError { field }
      ... on Error { code message }
    }
  }
`);

const Orders = graphql(`
  query PayMethodsOrders {
    viewer { orders { edges { node { id status periodIndex amountDue { amountCents } payments { method } } } } }
  }
`);

const Record = graphql(`
  mutation PayMethodsRecord($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

let port: number | undefined;

async function postSucceeded(intent: FakePaymentIntent): Promise<void> {
  port ??= await app().listen(0, '127.0.0.1');
  const response = await postStripeEvent(`http://127.0.0.1:${port}/webhooks/stripe`, stripeEvent('payment_intent.succeeded', intent));
  expect(response.status).toBe(200);
}

/** A member subscribed (30 € a month) and paid by card, the card kept for the renewals. */
async function subscribedWithSavedCard(catalogue: Awaited<ReturnType<typeof createCatalogue>>, offerId: string, last4: string) {
  const member = await createMember(app());
  const beneficiaryId = await addBeneficiary(app(), member);
  const order = success((await execute(app(), Purchase, { input: { offerId, beneficiaryId } }, { token: member.token })).purchaseOffer, 'PurchaseOfferSuccess').order;
  const started = success(
    (await execute(app(), StartCard, { input: { orderId: order.id, amountCents: 3_000, saveCard: true } }, { token: member.token })).startCardPayment,
    'StartCardPaymentSuccess',
  );
  const card = fake.addPaymentMethod({ type: 'card', brand: 'visa', last4 });
  await postSucceeded(fake.transition(started.clientSecret.split('_secret_')[0]!, 'succeeded', { paymentMethod: card }));
  const first = await prisma.order.findUniqueOrThrow({ where: { id: decodeGlobalID(order.id).id }, include: { subscription: true } });
  expect(first.status).toBe('PAID');
  return { member, card, subscription: first.subscription! };
}

function renewalCharges(orderId: string) {
  return fake.requests.filter((r) => r.path === '/v1/payment_intents' && r.idempotencyKey === `renewal:${orderId}`);
}

async function renewalOf(member: TestMember) {
  const orders = (await execute(app(), Orders, {}, { token: member.token })).viewer!.orders.edges.map((e) => e.node);
  return orders.find((o) => o.periodIndex === 1);
}

describe('removePaymentMethod', () => {
  it('detaches the card at Stripe; the next renewal is not charged and stays due at the desk (a kept card is charged)', async () => {
    const catalogue = await createCatalogue(app());
    const offerId = await createOffer(app(), catalogue, { kind: 'SUBSCRIPTION', credits: 4, priceCents: 3_000 });
    const leaving = await subscribedWithSavedCard(catalogue, offerId, '4242');
    const keeping = await subscribedWithSavedCard(catalogue, offerId, '5555');
    expect(fake.paymentMethods.get(leaving.card)?.customer).toMatch(/^cus_/);

    const mine = (await execute(app(), Methods, {}, { token: leaving.member.token })).viewer!.paymentMethods;
    expect(mine).toMatchObject([{ type: 'CARD', brand: 'visa', last4: '4242' }]);
    const methodId = mine[0]!.id;

    // Someone else's card, even for the organisation's staff, names nothing.
    for (const stranger of [keeping.member, catalogue.admin]) {
      const refused = (await execute(app(), Remove, { input: { paymentMethodId: methodId } }, { token: stranger.token })).removePaymentMethod;
      expect(refused).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND', field: ['paymentMethodId'] });
    }
    expect((await execute(app(), Remove, { input: { paymentMethodId: 'bm9wZQ==' } }, { token: leaving.member.token })).removePaymentMethod).toMatchObject({
      code: 'VALIDATION',
    });
    expect(fake.paymentMethods.get(leaving.card)?.customer).toMatch(/^cus_/);

    const removed = success(
      (await execute(app(), Remove, { input: { paymentMethodId: methodId } }, { token: leaving.member.token, locale: 'en' })).removePaymentMethod,
      'RemovePaymentMethodSuccess',
    );
    expect(removed.viewer.paymentMethods).toEqual([]);
    expect(fake.paymentMethods.get(leaving.card)?.customer).toBeNull();
    expect(fake.requests.filter((r) => r.path === `/v1/payment_methods/${leaving.card}/detach`)).toHaveLength(1);
    expect((await prisma.subscription.findUniqueOrThrow({ where: { id: leaving.subscription.id } })).paymentMethodId).toBeNull();
    // Asked again: it is gone.
    expect((await execute(app(), Remove, { input: { paymentMethodId: methodId } }, { token: leaving.member.token })).removePaymentMethod).toMatchObject({
      code: 'NOT_FOUND',
    });

    // The period boundary: both subscriptions renew; only the one whose card was kept is charged.
    const end = DateTime.fromJSDate(leaving.subscription.currentPeriodEnd);
    await advanceTo(DateTime.max(end, DateTime.fromJSDate(keeping.subscription.currentPeriodEnd)).plus({ minutes: 5 }));

    const kept = await renewalOf(keeping.member);
    expect(kept).toBeDefined();
    expect(renewalCharges(decodeGlobalID(kept!.id).id)).toHaveLength(1);
    expect(kept!.payments).toEqual([{ method: 'CARD' }]);

    const due = await renewalOf(leaving.member);
    expect(due).toMatchObject({ status: 'PENDING', amountDue: { amountCents: 3_000 }, payments: [] });
    expect(renewalCharges(decodeGlobalID(due!.id).id)).toHaveLength(0);
    // It is paid at the desk.
    const paid = (await execute(app(), Record, { input: { orderId: due!.id, method: 'CASH', amountCents: 3_000 } }, { token: catalogue.admin.token })).recordPayment;
    expect(paid).toMatchObject({ __typename: 'RecordPaymentSuccess', order: { status: 'PAID' } });
  });
});
