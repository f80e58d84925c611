import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, startApp, success } from '../support/app.js';
import { postStripeEvent, startFakeStripe, stripeEvent, TEST_WEBHOOK_SECRET, type FakePaymentIntent, type FakeStripe } from '../support/fake-stripe.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { runDueJobs } from '../../src/jobs/worker.js';
import { addBeneficiary, createCatalogue, createMember, memberWithCredits, scheduleSession } from '../support/factories.js';

// Pay-per-session online (SPEC §11, 000 "Payer pour cette séance") against the local Stripe
// stand-in, with signed webhooks: the seat is held while the member pays, and only the webhook
// confirms the booking.

const ROUNDS = Number(process.env.RACE_REPEAT ?? 10);

let fake: FakeStripe;
let app: App;
let url: string;
let webhookUrl: string;
beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startApp({ stripeSecretKey: 'sk_test_x', stripeWebhookSecret: TEST_WEBHOOK_SECRET, stripeApiBase: fake.url });
  const port = await app.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}/graphql`;
  webhookUrl = `http://127.0.0.1:${port}/webhooks/stripe`;
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const Book = graphql(`
  mutation PayOnlineBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { clientSecret booking { id status paymentHoldUntil entitlement { id } order { id status } session { seatsLeft } } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation PayOnlineCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { status } }
      ... on Error { code message }
    }
  }
`);

const raw = (globalId: string) => decodeGlobalID(globalId).id;

function postSucceeded(intent: FakePaymentIntent): Promise<Response> {
  return postStripeEvent(webhookUrl, stripeEvent('payment_intent.succeeded', intent));
}

async function pricedSession(capacity = 5, startsInHours = 48) {
  const catalogue = await createCatalogue(app);
  const session = await scheduleSession(app, catalogue, { capacity, startsInHours });
  await prisma.session.update({ where: { id: raw(session.id) }, data: { priceCents: 2_000 } });
  return { catalogue, session };
}

describe('pay-per-session online', () => {
  it('holds the seat as PENDING_PAYMENT with a client secret; the signed webhook confirms the booking and pays the order, granting nothing', async () => {
    const { session } = await pricedSession();
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    const answer = (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId, payWith: 'ONLINE' } }, { token: member.token })).bookSession;
    const { booking, clientSecret } = success(answer, 'BookSessionSuccess');
    expect(booking).toMatchObject({ status: 'PENDING_PAYMENT', entitlement: null, session: { seatsLeft: 4 } });
    const stored = await prisma.booking.findUniqueOrThrow({ where: { id: raw(booking.id) }, include: { order: true } });
    expect(stored.order).toMatchObject({ sessionId: raw(session.id), status: 'PENDING', totalCents: 2_000 });
    expect(stored.paymentHoldUntil!.getTime() - stored.createdAt.getTime()).toBe(15 * 60_000);
    // The member sees the hold's end and the order being paid on the booking.
    expect(booking.paymentHoldUntil).toBe(stored.paymentHoldUntil!.toISOString());
    expect(booking.order).toMatchObject({ id: encodeGlobalID('Order', stored.orderId!), status: 'PENDING' });
    expect(await prisma.dueJob.count({ where: { kind: 'PAYMENT_HOLD_EXPIRY', dedupeKey: `payment-hold:${stored.id}` } })).toBe(1);

    const intentId = clientSecret!.split('_secret_')[0]!;
    expect(fake.intents.get(intentId)).toMatchObject({ amount: 2_000, metadata: { orderId: stored.orderId } });
    expect((await postSucceeded(fake.transition(intentId, 'succeeded'))).status).toBe(200);
    const paid = await prisma.booking.findUniqueOrThrow({ where: { id: stored.id }, include: { order: true } });
    expect(paid).toMatchObject({ status: 'CONFIRMED', paymentHoldUntil: null, order: { status: 'PAID' } });
    expect(paid.order!.invoiceNumber).toBeGreaterThan(0);
    expect(await prisma.entitlement.count({ where: { beneficiaryId: raw(beneficiaryId) } })).toBe(0);
  });

  it('the last seat goes to exactly one of a credit booking and an online hold racing for it (real parallel HTTP)', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { catalogue, session } = await pricedSession(1);
      const creditMember = await memberWithCredits(app, catalogue, 1);
      const onlineMember = await createMember(app);
      const onlineBeneficiary = await addBeneficiary(app, onlineMember);
      const [byCredit, online] = await Promise.all([
        httpRequest(url, Book, { input: { sessionId: session.id, beneficiaryId: creditMember.beneficiaryId } }, { token: creditMember.token }),
        httpRequest(url, Book, { input: { sessionId: session.id, beneficiaryId: onlineBeneficiary, payWith: 'ONLINE' } }, { token: onlineMember.token }),
      ]);
      const answers = [byCredit.bookSession.__typename, online.bookSession.__typename].sort();
      expect(answers).toEqual(['BookSessionSuccess', 'SessionFullError']);
      const sessionRow = await prisma.session.findUniqueOrThrow({ where: { id: raw(session.id) } });
      const active = await prisma.booking.count({ where: { sessionId: sessionRow.id, status: { in: ['CONFIRMED', 'PENDING_PAYMENT'] } } });
      expect([sessionRow.seatsTaken, active]).toEqual([1, 1]);
      // The loser paid nothing and kept its credit.
      const orders = await prisma.order.count({ where: { sessionId: sessionRow.id } });
      expect(orders).toBe(online.bookSession.__typename === 'BookSessionSuccess' ? 1 : 0);
      const lot = await prisma.entitlement.findFirstOrThrow({ where: { beneficiaryId: raw(creditMember.beneficiaryId) } });
      expect(lot.creditsRemaining).toBe(byCredit.bookSession.__typename === 'BookSessionSuccess' ? 0 : 1);
    }
  });

  it('a session paid online and cancelled in time is refunded through Stripe; cancelled late, it is not', async () => {
    for (const [startsInHours, refunded] of [[48, true], [2, false]] as const) {
      const { session } = await pricedSession(5, startsInHours);
      const member = await createMember(app);
      const beneficiaryId = await addBeneficiary(app, member);
      const { booking, clientSecret } = success(
        (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId, payWith: 'ONLINE' } }, { token: member.token })).bookSession,
        'BookSessionSuccess',
      );
      const intentId = clientSecret!.split('_secret_')[0]!;
      expect((await postSucceeded(fake.transition(intentId, 'succeeded'))).status).toBe(200);
      const cancelled = success((await execute(app, Cancel, { input: { bookingId: booking.id } }, { token: member.token })).cancelBooking, 'CancelBookingSuccess');
      expect(cancelled).toMatchObject({ creditReturned: refunded, booking: { status: refunded ? 'CANCELLED' : 'LATE_CANCELLED' } });
      await runDueJobs(jobHandlers, new Date());
      const stored = await prisma.booking.findUniqueOrThrow({ where: { id: raw(booking.id) }, include: { order: { include: { payments: { include: { refunds: true } } } } } });
      expect(stored.order!.status).toBe(refunded ? 'REFUNDED' : 'PAID');
      expect(stored.order!.payments.flatMap((payment) => payment.refunds.map((refund) => [refund.status, refund.amountCents]))).toEqual(
        refunded ? [['SUCCEEDED', 2_000]] : [],
      );
      expect([...fake.refunds.values()].filter((refund) => refund.payment_intent === intentId)).toHaveLength(refunded ? 1 : 0);
    }
  });
});
