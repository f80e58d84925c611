import { decodeGlobalID } from '@pothos/plugin-relay';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, success } from '../support/app.js';
import { ms, paris, clockApp, testClock } from '../support/clock.js';
import { addBeneficiary, buyCredits, createCatalogue, createMember, createOffer, scheduleSession, type TestMember } from '../support/factories.js';

// Subscription billing over time (SPEC §7; 003 §11, §12, §12A; 004): withdrawal, termination,
// pauses and the payment grace period, on a server with the test clock and a database of its own
// (advanceClock runs every due job of its database). The clock only moves forward: each test
// starts from the clock's next morning.

const server = clockApp('subscription_billing');
let app: App;
beforeAll(() => {
  app = server();
});

const { advanceTo, nextMorning } = testClock(() => app);

const Withdraw = graphql(`
  mutation BillingWithdraw($input: RequestWithdrawalInput!) {
    requestWithdrawal(input: $input) {
      __typename
      ... on RequestWithdrawalSuccess { order { id status refundedAt } }
      ... on Error { code message }
    }
  }
`);

const Terminate = graphql(`
  mutation BillingTerminate($input: TerminateSubscriptionInput!) {
    terminateSubscription(input: $input) {
      __typename
      ... on TerminateSubscriptionSuccess { subscription { id status endsAt terminationRequestedAt } }
      ... on Error { code message }
    }
  }
`);

const Pause = graphql(`
  mutation BillingPause($input: PauseSubscriptionInput!) {
    pauseSubscription(input: $input) {
      __typename
      ... on PauseSubscriptionSuccess { pause { startsAt endsAt medical applied } subscription { id endsAt } }
      ... on Error { code message }
    }
  }
`);

const Book = graphql(`
  mutation BillingBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation BillingCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) { __typename ... on Error { code } }
  }
`);

const Pay = graphql(`
  mutation BillingPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const Mine = graphql(`
  query BillingMine {
    viewer {
      entitlements {
        id status creditsRemaining validUntil
        ledger { edges { node { delta reason note } } }
      }
      orders { edges { node { id status periodIndex refundedAt total { amountCents } } } }
      subscriptions {
        id status endsAt terminationRequestedAt currentPeriodIndex currentPeriodEnd commitmentEndsAt
        pauses { startsAt endsAt medical applied }
      }
    }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;
type Buyer = TestMember & { beneficiaryId: string };

const mine = async (m: TestMember) => (await execute(app, Mine, {}, { token: m.token })).viewer!;
const uuid = (globalId: string) => decodeGlobalID(globalId).id;

async function buyer(catalogue: Catalogue): Promise<Buyer> {
  const m = await createMember(app);
  return { ...m, beneficiaryId: await addBeneficiary(app, m) };
}

async function withdraw(m: TestMember, orderId: string, locale = 'en') {
  return (await execute(app, Withdraw, { input: { orderId } }, { token: m.token, locale })).requestWithdrawal;
}

async function bookResult(m: Buyer, catalogue: Catalogue, startsAt: DateTime) {
  const session = await scheduleSession(app, catalogue, { startsAt: startsAt.toJSDate() });
  return (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token })).bookSession;
}

/** The ledger of every lot sums to its balance (the trigger's invariant, checked from outside). */
async function expectLedgersIntact(m: TestMember) {
  const lots = (await mine(m)).entitlements;
  expect(lots.length).toBeGreaterThan(0);
  for (const lot of lots) {
    expect(lot.ledger.edges.reduce((sum, edge) => sum + edge.node.delta, 0)).toBe(lot.creditsRemaining);
  }
}

/** A monthly subscription of 8 credits at 60 €, bought (paid in cash) at the clock's now; its anchor is that day's midnight. */
async function subscribe(catalogue: Catalogue, m: Buyer, now: DateTime) {
  const offerId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', period: 'MONTH', credits: 8, priceCents: 6_000 });
  const orderId = await buyCredits(app, catalogue, m, offerId, m.beneficiaryId);
  const subscription = (await mine(m)).subscriptions[0]!;
  return { orderId, subscriptionId: subscription.id, anchor: now.startOf('day') };
}

describe('withdrawal (003 §11, 004: 14 jours francs)', () => {
  it('refunds a pack on day 14 (credits removed, desk payment refunded), refuses day 15, a used pack, and a second request', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const offerId = await createOffer(app, catalogue, { credits: 10, priceCents: 10_000 });
    const orders = [
      await buyCredits(app, catalogue, m, offerId, m.beneficiaryId),
      await buyCredits(app, catalogue, m, offerId, m.beneficiaryId),
      await buyCredits(app, catalogue, m, offerId, m.beneficiaryId),
    ];

    // A class booked with one pack and cancelled: that pack's right is lost all the same.
    const booked = success(await bookResult(m, catalogue, day.plus({ days: 3 })), 'BookSessionSuccess');
    const { entitlement } = await prisma.booking.findUniqueOrThrow({ where: { id: uuid(booked.booking.id) }, select: { entitlement: true } });
    const used = orders.find((id) => uuid(id) === entitlement!.orderId)!;
    const [first, second] = orders.filter((id) => id !== used) as [string, string];
    success((await execute(app, Cancel, { input: { bookingId: booked.booking.id } }, { token: m.token })).cancelBooking, 'CancelBookingSuccess');
    expect(await withdraw(m, used)).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED', message: expect.stringContaining('already booked') });

    // Day 14 after the purchase, last minute (Paris).
    await advanceTo(day.plus({ days: 14 }).set({ hour: 23, minute: 59 }));
    const refunded = success(await withdraw(m, first), 'RequestWithdrawalSuccess').order;
    expect(refunded).toMatchObject({ id: first, status: 'REFUNDED' });
    expect(ms(refunded.refundedAt!)).toBe(day.plus({ days: 14 }).set({ hour: 23, minute: 59 }).toMillis());
    const lot = await prisma.entitlement.findFirstOrThrow({ where: { orderId: uuid(first) } });
    expect(lot).toMatchObject({ status: 'REVOKED', creditsRemaining: 0 });
    const view = (await mine(m)).entitlements.find((e) => uuid(e.id) === lot.id)!;
    expect(view.ledger.edges.map((e) => [e.node.reason, e.node.delta, e.node.note])).toEqual([
      ['GRANT', 10, null],
      ['FORFEIT', -10, 'Withdrawal'],
    ]);
    const [payment] = await prisma.payment.findMany({ where: { orderId: uuid(first) }, include: { refunds: true } });
    expect(payment).toMatchObject({ method: 'CASH', amountCents: 10_000, refundedCents: 10_000 });
    expect(payment!.refunds).toMatchObject([{ amountCents: 10_000, status: 'SUCCEEDED', reason: 'Withdrawal' }]);
    expect(await prisma.order.findUniqueOrThrow({ where: { id: uuid(first) } })).toMatchObject({ paidCents: 0 });

    // Twice: nothing more to refund.
    expect(await withdraw(m, first)).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED', message: expect.stringContaining('not paid') });

    // Day 15: too late.
    await advanceTo(day.plus({ days: 15 }).startOf('day'));
    expect(await withdraw(m, second)).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED', message: expect.stringContaining('14-day') });
    expect(await prisma.entitlement.findFirstOrThrow({ where: { orderId: uuid(second) } })).toMatchObject({ status: 'ACTIVE', creditsRemaining: 10 });

    // Somebody else's order is not theirs to withdraw.
    const stranger = await createMember(app);
    expect(await withdraw(stranger, second)).toMatchObject({ code: 'FORBIDDEN' });
    await expectLedgersIntact(m);
  });

  it("withdrawing a subscription's first order terminates it at once: no renewal follows", async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { orderId, anchor } = await subscribe(catalogue, m, day);
    await advanceTo(day.plus({ days: 3 }));
    success(await withdraw(m, orderId), 'RequestWithdrawalSuccess');
    const viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    expect(viewer.entitlements).toMatchObject([{ status: 'REVOKED', creditsRemaining: 0 }]);
    // Booking with it is refused now.
    expect(await bookResult(m, catalogue, day.plus({ days: 5 }))).toMatchObject({ code: 'NO_CREDIT' });

    await advanceTo(anchor.plus({ months: 1, hours: 1 }));
    expect((await mine(m)).orders.edges.map((e) => e.node.status)).toEqual(['REFUNDED']);
    await expectLedgersIntact(m);
  });
});

describe('termination (003 §12; 004)', () => {
  it('003: requested after the notice day of the next anniversary, it ends one cycle later; every started month is billed', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { subscriptionId, anchor } = await subscribe(catalogue, m, day);

    await advanceTo(day.plus({ days: 5 }));
    const terminated = success(
      (await execute(app, Terminate, { input: { subscriptionId } }, { token: m.token })).terminateSubscription,
      'TerminateSubscriptionSuccess',
    ).subscription;
    expect(terminated).toMatchObject({ status: 'ACTIVE' });
    expect(ms(terminated.endsAt!)).toBe(anchor.plus({ months: 2 }).toMillis());
    expect(ms(terminated.terminationRequestedAt!)).toBe(day.plus({ days: 5 }).toMillis());
    // Asking again keeps the date.
    const again = (await execute(app, Terminate, { input: { subscriptionId } }, { token: m.token })).terminateSubscription;
    expect(again).toMatchObject({ subscription: { endsAt: terminated.endsAt } });

    // The second month still starts, with its order and credits.
    await advanceTo(anchor.plus({ months: 1 }));
    let viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 1 });
    expect(viewer.orders.edges.map((e) => e.node.periodIndex).sort()).toEqual([0, 1]);

    // At endsAt it ends: its credits expire and no third order is created.
    await advanceTo(anchor.plus({ months: 2 }));
    viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    expect(viewer.orders.edges).toHaveLength(2);
    expect(viewer.entitlements.length).toBeGreaterThan(0);
    expect(viewer.entitlements.every((e) => e.status === 'EXPIRED' && e.creditsRemaining === 0)).toBe(true);
    await expectLedgersIntact(m);
  });

  it('004: 15 days before the next billing date', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    await prisma.organization.update({
      where: { id: uuid(catalogue.organization.id) },
      data: { terminationNoticeRule: 'DAYS_BEFORE_BILLING', terminationNoticeDays: 15 },
    });
    const m = await buyer(catalogue);
    const { subscriptionId, anchor } = await subscribe(catalogue, m, day);
    // The last day of notice for the first anniversary is 15 days before it.
    const lastDay = anchor.plus({ months: 1 }).minus({ days: 15 }).set({ hour: 22 });
    await advanceTo(lastDay);
    const result = success(
      (await execute(app, Terminate, { input: { subscriptionId } }, { token: catalogue.admin.token })).terminateSubscription,
      'TerminateSubscriptionSuccess',
    );
    expect(ms(result.subscription.endsAt!)).toBe(anchor.plus({ months: 1 }).toMillis());
  });
});

describe('pause (003 §12A)', () => {
  it('a one-month pause stretches the running period (credits stay valid) and moves the next renewal by a month', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { subscriptionId, anchor } = await subscribe(catalogue, m, day);

    // Not retroactive: today is refused.
    const today = (await execute(app, Pause, { input: { subscriptionId, startsOn: day.toISODate()!, months: 1 } }, { token: m.token })).pauseSubscription;
    expect(today).toMatchObject({ code: 'VALIDATION' });

    const start = anchor.plus({ days: 10 });
    const paused = success(
      (await execute(app, Pause, { input: { subscriptionId, startsOn: start.toISODate()!, months: 1 } }, { token: m.token })).pauseSubscription,
      'PauseSubscriptionSuccess',
    ).pause;
    expect(paused).toMatchObject({ medical: false, applied: false });
    expect(ms(paused!.endsAt)).toBe(start.plus({ months: 1 }).toMillis());

    await advanceTo(start);
    let viewer = await mine(m);
    expect(viewer.subscriptions[0]!.pauses).toMatchObject([{ applied: true }]);
    expect(ms(viewer.subscriptions[0]!.currentPeriodEnd)).toBe(anchor.plus({ months: 2 }).toMillis());

    // The old billing date passes: no renewal order, and the first period's credits still book.
    await advanceTo(anchor.plus({ months: 1, hours: 10 }));
    viewer = await mine(m);
    expect(viewer.orders.edges).toHaveLength(1);
    expect(viewer.subscriptions[0]).toMatchObject({ currentPeriodIndex: 0 });
    success(await bookResult(m, catalogue, anchor.plus({ months: 1, days: 2, hours: 10 })), 'BookSessionSuccess');

    // Billing resumes one month later than it would have.
    await advanceTo(anchor.plus({ months: 2 }));
    viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ currentPeriodIndex: 1 });
    expect(ms(viewer.subscriptions[0]!.currentPeriodEnd)).toBe(anchor.plus({ months: 3 }).toMillis());
    expect(viewer.orders.edges.map((e) => e.node.periodIndex).sort()).toEqual([0, 1]);
    await expectLedgersIntact(m);
  });

  it('three months: PAUSE_LIMIT_EXCEEDED for the member; medical only by staff, who may grant it', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { subscriptionId } = await subscribe(catalogue, m, day);
    const input = { subscriptionId, startsOn: day.plus({ days: 7 }).toISODate()!, months: 3 };

    const tooLong = (await execute(app, Pause, { input }, { token: m.token, locale: 'en' })).pauseSubscription;
    expect(tooLong).toMatchObject({ code: 'PAUSE_LIMIT_EXCEEDED', message: expect.stringContaining('2 months per calendar year') });
    const selfMedical = (await execute(app, Pause, { input: { ...input, medical: true } }, { token: m.token })).pauseSubscription;
    expect(selfMedical).toMatchObject({ code: 'FORBIDDEN' });

    const granted = success(
      (await execute(app, Pause, { input: { ...input, medical: true } }, { token: catalogue.admin.token })).pauseSubscription,
      'PauseSubscriptionSuccess',
    ).pause;
    expect(granted).toMatchObject({ medical: true });
    const stored = await prisma.subscriptionPause.findFirstOrThrow({ where: { subscriptionId: uuid(subscriptionId) } });
    expect(stored.approvedById).not.toBeNull();
  });

  it('12A.4: beyond the limit, a member who accepts it gets a termination at the next billing date instead', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { subscriptionId, anchor } = await subscribe(catalogue, m, day);
    const input = { subscriptionId, startsOn: day.plus({ days: 7 }).toISODate()!, months: 4, acceptTermination: true };
    const ended = success((await execute(app, Pause, { input }, { token: m.token })).pauseSubscription, 'PauseSubscriptionSuccess');
    expect(ended.pause).toBeNull();
    expect(ms(ended.subscription.endsAt!)).toBe(anchor.plus({ months: 1 }).toMillis());
    await advanceTo(anchor.plus({ months: 1, minutes: 1 }));
    const viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    expect(viewer.orders.edges).toHaveLength(1); // nothing billed after the end
  });
});

describe('payment grace period (SPEC §7)', () => {
  it('an unpaid renewal suspends booking after the grace period (NO_CREDIT, email); paying it lifts the suspension', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { anchor } = await subscribe(catalogue, m, day);

    await advanceTo(anchor.plus({ months: 1 }));
    const renewal = (await mine(m)).orders.edges.map((e) => e.node).find((o) => o.periodIndex === 1)!;
    expect(renewal).toMatchObject({ status: 'PENDING' });

    // Still within the grace period (7 days): booking works.
    await advanceTo(anchor.plus({ months: 1, days: 7 }).minus({ minutes: 1 }));
    expect((await mine(m)).subscriptions[0]).toMatchObject({ status: 'ACTIVE' });

    await advanceTo(anchor.plus({ months: 1, days: 7 }));
    expect((await mine(m)).subscriptions[0]).toMatchObject({ status: 'SUSPENDED' });
    expect(await bookResult(m, catalogue, anchor.plus({ months: 1, days: 9, hours: 10 }))).toMatchObject({ code: 'NO_CREDIT' });
    const emails = await prisma.outboxEmail.findMany({ where: { template: 'subscription-suspended', toAddress: m.email } });
    expect(emails).toHaveLength(1);

    success(
      (
        await execute(
          app,
          Pay,
          { input: { orderId: renewal.id, method: 'CASH', amountCents: renewal.total.amountCents } },
          { token: catalogue.admin.token },
        )
      ).recordPayment,
      'RecordPaymentSuccess',
    );
    expect((await mine(m)).subscriptions[0]).toMatchObject({ status: 'ACTIVE' });
    success(await bookResult(m, catalogue, anchor.plus({ months: 1, days: 9, hours: 10 })), 'BookSessionSuccess');
  });
});

describe('one subscription through a pause, a renewal and a termination (003 §12, §12A)', () => {
  it('the pause moves the renewal, the termination honours the notice from the moved dates, and every started period is billed', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    const { subscriptionId, anchor } = await subscribe(catalogue, m, day);
    // Each renewal is paid at the desk in time (unpaid, it would suspend the subscription).
    const payRenewal = async (periodIndex: number) => {
      const order = (await mine(m)).orders.edges.map((e) => e.node).find((o) => o.periodIndex === periodIndex)!;
      success(
        (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: order.total.amountCents } }, { token: catalogue.admin.token }))
          .recordPayment,
        'RecordPaymentSuccess',
      );
    };

    // A one-month pause from day 10: the first period now ends two months after the start.
    const pauseStart = anchor.plus({ days: 10 });
    success(
      (await execute(app, Pause, { input: { subscriptionId, startsOn: pauseStart.toISODate()!, months: 1 } }, { token: m.token })).pauseSubscription,
      'PauseSubscriptionSuccess',
    );
    await advanceTo(anchor.plus({ months: 1, days: 1 }));
    expect((await mine(m)).orders.edges).toHaveLength(1);

    // The renewal comes at the moved date, with its order and credits.
    const renewal = anchor.plus({ months: 2 });
    await advanceTo(renewal.minus({ minutes: 1 }));
    expect((await mine(m)).subscriptions[0]).toMatchObject({ currentPeriodIndex: 0 });
    await advanceTo(renewal.plus({ hours: 1 }));
    let viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 1 });
    expect(viewer.orders.edges.map((e) => e.node.periodIndex).sort()).toEqual([0, 1]);
    await payRenewal(1);

    // Termination requested 5 days into the second period: a month's notice before an anniversary
    // (now counted from the moved dates) is no longer possible for the next one, so it ends a cycle later.
    const requested = renewal.plus({ days: 5 });
    await advanceTo(requested);
    const terminated = success(
      (await execute(app, Terminate, { input: { subscriptionId } }, { token: m.token })).terminateSubscription,
      'TerminateSubscriptionSuccess',
    ).subscription;
    const endsAt = paris(terminated.endsAt!);
    expect(endsAt.toMillis()).toBe(renewal.plus({ months: 2 }).toMillis());
    expect(endsAt.diff(requested, 'months').months).toBeGreaterThanOrEqual(1);

    await advanceTo(renewal.plus({ months: 1, hours: 1 }));
    await payRenewal(2);
    await advanceTo(endsAt.minus({ minutes: 1 }));
    viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 2 });
    await advanceTo(endsAt.plus({ minutes: 1 }));
    viewer = await mine(m);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    // Every period started before the end was billed; none after.
    expect(viewer.orders.edges.map((e) => e.node.periodIndex).sort()).toEqual([0, 1, 2]);
    expect(viewer.entitlements.length).toBeGreaterThan(0);
    expect(viewer.entitlements.every((e) => e.status === 'EXPIRED' && e.creditsRemaining === 0)).toBe(true);
    await expectLedgersIntact(m);
  });
});
