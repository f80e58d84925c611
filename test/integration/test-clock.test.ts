import { decodeGlobalID } from '@pothos/plugin-relay';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { runDueJobs } from '../../src/jobs/worker.js';
import { schema as servedSchema } from '../../src/schema/index.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, success } from '../support/app.js';
import {
  addBeneficiary,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  scheduleSession,
  type TestMember,
} from '../support/factories.js';
import { ClockAdvance, ClockNow, ms, paris, clockApp, testClock, ZONE } from '../support/clock.js';

// The time-based credit rules end to end, through the API of a server whose clock is the test
// clock (TEST_CLOCK=1, API.md "Test clock"): subscription periods and rollover (003 §9.2), pack
// expiry (003 §9.1–9.2, 004), validity extensions (003 §9.2), cancellation notice across a
// daylight-saving change (003 §8, SPEC §1), four-week periods (004), and due jobs run exactly once
// by concurrent workers. advanceClock runs every due job of its database, so this file has a
// database of its own. The clock only moves forward: each test picks its dates after the clock's
// current now, so the tests run in file order on one timeline that never goes stale.

const server = clockApp('clock');
let app: App;
beforeAll(() => {
  app = server();
});

const ClockPay = graphql(`
  mutation ClockPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) { __typename ... on Error { code message } }
  }
`);

const Credits = graphql(`
  query ClockCredits {
    viewer {
      entitlements {
        id status creditsRemaining validFrom validUntil carriedOver
        carriedFrom { id }
        beneficiary { id }
        extensions { previousValidUntil newValidUntil reason }
        ledger { edges { node { delta reason booking { id } } } }
      }
      usable: entitlements(usableOnly: true) { id creditsRemaining carriedOver }
      orders { edges { node { id status periodIndex total { amountCents } subscription { id } } } }
      subscriptions { id status startedAt currentPeriodIndex currentPeriodStart currentPeriodEnd }
    }
  }
`);

const Book = graphql(`
  mutation ClockBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status freeCancellationUntil entitlement { id creditsRemaining carriedOver } } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation ClockCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { id status entitlement { id creditsRemaining } } }
      ... on Error { code message }
    }
  }
`);

const Extend = graphql(`
  mutation ClockExtend($input: ExtendValidityInput!) {
    extendValidity(input: $input) {
      __typename
      ... on ExtendValiditySuccess {
        entitlement { id status validUntil creditsRemaining extensions { previousValidUntil newValidUntil reason } }
      }
      ... on Error { code message }
    }
  }
`);

const CreateActivity = graphql(`
  mutation ClockCreateActivity($input: CreateActivityInput!) {
    createActivity(input: $input) {
      __typename
      ... on CreateActivitySuccess { activity { id } }
      ... on Error { code message }
    }
  }
`);

// ---------------------------------------------------------------------------------------------
// Helpers

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

/** An instant as Paris wall-clock time. */
const { clockNow, advanceTo, nextMorning } = testClock(() => app);

async function credits(member: TestMember) {
  const viewer = (await execute(app, Credits, {}, { token: member.token })).viewer;
  if (!viewer) throw new Error('no viewer');
  return viewer;
}

type Lot = Awaited<ReturnType<typeof credits>>['entitlements'][number];

function ledgerOf(lot: Lot): [string, number][] {
  return lot.ledger.edges.map((edge) => [edge.node.reason, edge.node.delta]);
}

function usableTotal(viewer: Awaited<ReturnType<typeof credits>>): number {
  return viewer.usable.reduce((sum, lot) => sum + lot.creditsRemaining, 0);
}

async function bookResult(member: TestMember, sessionId: string, beneficiaryId: string) {
  return (await execute(app, Book, { input: { sessionId, beneficiaryId } }, { token: member.token })).bookSession;
}

async function bookOk(member: TestMember, sessionId: string, beneficiaryId: string) {
  return success(await bookResult(member, sessionId, beneficiaryId), 'BookSessionSuccess').booking;
}

async function session(catalogue: Catalogue, startsAt: DateTime, activityId?: string) {
  return scheduleSession(app, catalogue, { startsAt: startsAt.toJSDate(), activityId });
}

/** A member with one adult beneficiary who bought `offerId` (paid in cash at the desk). */
async function buyer(catalogue: Catalogue, offerId: string) {
  const member = await createMember(app);
  const beneficiaryId = await addBeneficiary(app, member);
  await buyCredits(app, catalogue, member, offerId, beneficiaryId);
  return { member, beneficiaryId };
}

function uuidOf(globalId: string): string {
  return decodeGlobalID(globalId).id;
}

// ---------------------------------------------------------------------------------------------

describe('the test clock (API.md, TEST_CLOCK=1)', () => {
  it('exposes Query.now and advanceClock, moves forward to the target and refuses to go back (VALIDATION)', async () => {
    // Only this server has them: the schema every other server serves leaves them out.
    expect(servedSchema.getQueryType()?.getFields().now).toBeUndefined();
    expect(servedSchema.getMutationType()?.getFields().advanceClock).toBeUndefined();

    const start = await clockNow();
    // It starts at the real time.
    expect(Math.abs(start.toMillis() - Date.now())).toBeLessThan(60_000);

    const target = start.plus({ hours: 2, minutes: 17 });
    await advanceTo(target);

    const back = (await execute(app, ClockAdvance, { input: { to: target.minus({ minutes: 1 }).toJSDate().toISOString() } })).advanceClock;
    expect(back).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['to'] });
    expect(ms((await execute(app, ClockNow, {})).now)).toBe(target.toMillis());
  });
});

describe('subscriptions over time', () => {
  it('003 §9.2 worked example: 8 a month, 5 used in March → April 11, 1 used → 10, then May 16 (the rule, not the seed’s "8")', async () => {
    // The next 1 March whose 10:00 is at least 30 days after the clock's now.
    const now = await clockNow();
    let march1 = DateTime.fromObject({ year: now.year, month: 3, day: 1 }, { zone: ZONE });
    while (march1.set({ hour: 10 }) < now.plus({ days: 30 })) march1 = march1.plus({ years: 1 });
    const april1 = march1.plus({ months: 1 });
    const may1 = march1.plus({ months: 2 });
    const june1 = march1.plus({ months: 3 });

    const catalogue = await createCatalogue(app);
    const offerId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', period: 'MONTH', credits: 8, priceCents: 6_000 });

    await advanceTo(march1.set({ hour: 10 }));
    const { member, beneficiaryId } = await buyer(catalogue, offerId);

    // The first period is the calendar month from the billing date's local midnight.
    let viewer = await credits(member);
    expect(viewer.subscriptions).toHaveLength(1);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 0 });
    expect(ms(viewer.subscriptions[0]!.startedAt)).toBe(march1.toMillis());
    expect(ms(viewer.subscriptions[0]!.currentPeriodEnd)).toBe(april1.toMillis());
    expect(viewer.entitlements).toHaveLength(1);
    const marchLot = viewer.entitlements[0]!;
    expect(marchLot).toMatchObject({ status: 'ACTIVE', creditsRemaining: 8, carriedOver: false });
    expect(ms(marchLot.validFrom)).toBe(march1.toMillis());
    expect(ms(marchLot.validUntil)).toBe(april1.toMillis());
    expect(usableTotal(viewer)).toBe(8);

    // Five classes in March (2–6 March, 10:00).
    for (let day = 2; day <= 6; day += 1) {
      const march = await session(catalogue, march1.set({ day, hour: 10 }));
      const booking = await bookOk(member, march.id, beneficiaryId);
      expect(booking.entitlement?.id).toBe(marchLot.id);
    }
    expect(usableTotal(await credits(member))).toBe(3);

    // 1 April: 3 unused credits carry into April (3 + 8 = 11).
    expect(await advanceTo(april1.set({ minute: 30 }))).toBeGreaterThanOrEqual(1);
    viewer = await credits(member);
    const march = viewer.entitlements.find((lot) => lot.id === marchLot.id)!;
    expect(march).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(ledgerOf(march)).toEqual([['GRANT', 8], ['DEBIT', -1], ['DEBIT', -1], ['DEBIT', -1], ['DEBIT', -1], ['DEBIT', -1], ['ROLLOVER', -3]]);
    const carried = viewer.entitlements.find((lot) => lot.carriedOver && lot.status === 'ACTIVE')!;
    expect(carried).toMatchObject({ creditsRemaining: 3, carriedFrom: { id: marchLot.id } });
    expect(ledgerOf(carried)).toEqual([['ROLLOVER', 3]]);
    expect(ms(carried.validFrom)).toBe(april1.toMillis());
    expect(ms(carried.validUntil)).toBe(may1.toMillis());
    const aprilLot = viewer.entitlements.find((lot) => !lot.carriedOver && ms(lot.validFrom) === april1.toMillis())!;
    expect(aprilLot).toMatchObject({ status: 'ACTIVE', creditsRemaining: 8 });
    expect(ms(aprilLot.validUntil)).toBe(may1.toMillis());
    expect(usableTotal(viewer)).toBe(11);
    // Listed in the order bookings use them: the carried credits first (same expiry, 003 §9.2).
    expect(viewer.usable.map((lot) => [lot.id, lot.creditsRemaining])).toEqual([
      [carried.id, 3],
      [aprilLot.id, 8],
    ]);
    expect(viewer.subscriptions[0]).toMatchObject({ currentPeriodIndex: 1 });
    expect(ms(viewer.subscriptions[0]!.currentPeriodEnd)).toBe(may1.toMillis());
    // April's order is waiting for payment; March's was paid.
    const orders = viewer.orders.edges.map((edge) => edge.node);
    expect(orders.map((order) => [order.periodIndex, order.status]).sort()).toEqual([
      [0, 'PAID'],
      [1, 'PENDING'],
    ]);
    expect(orders.find((order) => order.periodIndex === 1)).toMatchObject({ total: { amountCents: 6_000 }, subscription: { id: viewer.subscriptions[0]!.id } });

    // One class in April uses the carried credits (they expire first): 2 + 8 = 10.
    const aprilSession = await session(catalogue, april1.set({ day: 2, hour: 10 }));
    const aprilBooking = await bookOk(member, aprilSession.id, beneficiaryId);
    expect(aprilBooking.entitlement).toMatchObject({ id: carried.id, creditsRemaining: 2, carriedOver: true });
    viewer = await credits(member);
    expect(usableTotal(viewer)).toBe(10);
    expect(viewer.entitlements.find((lot) => lot.id === aprilLot.id)).toMatchObject({ creditsRemaining: 8 });
    // April's order is paid at the desk (unpaid past the grace period, the pass would be suspended).
    const aprilOrder = orders.find((order) => order.periodIndex === 1)!;
    success(
      (await execute(app, ClockPay, { input: { orderId: aprilOrder.id, method: 'CASH', amountCents: 6_000 } }, { token: catalogue.admin.token })).recordPayment,
      'RecordPaymentSuccess',
    );

    // 1 May: the credits carried from March have been carried once already, so their 2 expire;
    // April's 8 unused carry into May. The seed says "En mai, le crédit redevient 8", but its own
    // rule (unused credits carry to the next month, up to 2 × 8 in total) gives 8 + 8 = 16: the
    // product follows the rule (SPEC §4), and so does this test.
    await advanceTo(may1.set({ minute: 30 }));
    viewer = await credits(member);
    const carriedAfter = viewer.entitlements.find((lot) => lot.id === carried.id)!;
    expect(carriedAfter).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(ledgerOf(carriedAfter)).toEqual([['ROLLOVER', 3], ['DEBIT', -1], ['EXPIRE', -2]]);
    const aprilAfter = viewer.entitlements.find((lot) => lot.id === aprilLot.id)!;
    expect(aprilAfter).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(ledgerOf(aprilAfter)).toEqual([['GRANT', 8], ['ROLLOVER', -8]]);
    const carriedIntoMay = viewer.entitlements.find((lot) => lot.carriedOver && lot.status === 'ACTIVE')!;
    expect(carriedIntoMay).toMatchObject({ creditsRemaining: 8, carriedFrom: { id: aprilLot.id } });
    expect(ms(carriedIntoMay.validUntil)).toBe(june1.toMillis());
    const mayLot = viewer.entitlements.find((lot) => !lot.carriedOver && ms(lot.validFrom) === may1.toMillis())!;
    expect(mayLot).toMatchObject({ status: 'ACTIVE', creditsRemaining: 8 });
    expect(usableTotal(viewer)).toBe(16);
    expect(usableTotal(viewer)).toBeLessThanOrEqual(2 * 8);
    expect(viewer.orders.edges.map((edge) => edge.node.periodIndex).sort()).toEqual([0, 1, 2]);
  });

  it('004: a FOUR_WEEKS period ends 28 local days after its start (across the autumn change) and renews with its allowance', async () => {
    // Start ten days before the next last Sunday of October, so the period spans the change.
    const now = await clockNow();
    let october = DateTime.fromObject({ year: now.year, month: 10, day: 31, hour: 10 }, { zone: ZONE });
    const lastSunday = (d: DateTime) => d.minus({ days: d.weekday % 7 });
    while (lastSunday(october).minus({ days: 10 }) < now.plus({ hours: 1 })) october = october.plus({ years: 1 });
    const day = lastSunday(october).minus({ days: 10 });
    const start = day.startOf('day');
    const end = start.plus({ days: 28 });
    const secondEnd = start.plus({ days: 56 });
    expect(end.hour).toBe(0);
    expect(end.diff(start, 'hours').hours).toBe(28 * 24 + 1); // the autumn change adds an hour

    const catalogue = await createCatalogue(app);
    const offerId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', period: 'FOUR_WEEKS', credits: 4, priceCents: 5_000 });
    await advanceTo(day);
    const { member, beneficiaryId } = await buyer(catalogue, offerId);

    let viewer = await credits(member);
    const subscription = viewer.subscriptions[0]!;
    expect(ms(subscription.startedAt)).toBe(start.toMillis());
    expect(ms(subscription.currentPeriodEnd)).toBe(end.toMillis());
    const first = viewer.entitlements[0]!;
    expect(first).toMatchObject({ status: 'ACTIVE', creditsRemaining: 4 });
    expect(ms(first.validUntil)).toBe(end.toMillis());
    await bookOk(member, (await session(catalogue, day.plus({ days: 1 }))).id, beneficiaryId);

    // A minute before the end: still the first period.
    await advanceTo(end.minus({ minutes: 1 }));
    viewer = await credits(member);
    expect(viewer.subscriptions[0]).toMatchObject({ currentPeriodIndex: 0 });
    expect(viewer.entitlements).toHaveLength(1);
    expect(viewer.orders.edges).toHaveLength(1);

    // Past it: the second period, with its allowance and its order; the 3 unused credits carry.
    await advanceTo(end.plus({ minutes: 30 }));
    viewer = await credits(member);
    expect(viewer.subscriptions[0]).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 1 });
    expect(ms(viewer.subscriptions[0]!.currentPeriodStart)).toBe(end.toMillis());
    expect(ms(viewer.subscriptions[0]!.currentPeriodEnd)).toBe(secondEnd.toMillis());
    const second = viewer.entitlements.find((lot) => !lot.carriedOver && lot.id !== first.id)!;
    expect(second).toMatchObject({ status: 'ACTIVE', creditsRemaining: 4 });
    expect(ledgerOf(second)).toEqual([['GRANT', 4]]);
    expect(ms(second.validFrom)).toBe(end.toMillis());
    expect(ms(second.validUntil)).toBe(secondEnd.toMillis());
    expect(viewer.entitlements.find((lot) => lot.id === first.id)).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(viewer.entitlements.find((lot) => lot.carriedOver)).toMatchObject({ status: 'ACTIVE', creditsRemaining: 3 });
    expect(usableTotal(viewer)).toBe(7);
    const renewal = viewer.orders.edges.map((edge) => edge.node).find((order) => order.periodIndex === 1);
    expect(renewal).toMatchObject({ status: 'PENDING', total: { amountCents: 5_000 }, subscription: { id: subscription.id } });
  });

  it('a free subscription is paid as soon as it is ordered, and each renewal as soon as its period starts', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const offerId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', period: 'MONTH', credits: 2, priceCents: 0 });
    const { member } = await buyer(catalogue, offerId);
    await advanceTo(day.startOf('day').plus({ months: 1, minutes: 30 }));
    const viewer = await credits(member);
    const orders = viewer.orders.edges.map((edge) => edge.node).sort((a, b) => (a.periodIndex ?? 0) - (b.periodIndex ?? 0));
    expect(orders.map((order) => [order.periodIndex, order.status, order.total.amountCents])).toEqual([
      [0, 'PAID', 0],
      [1, 'PAID', 0],
    ]);
    expect(usableTotal(viewer)).toBe(4); // 2 fresh + 2 carried (cap 2 × 2)
  });
});

describe('packs over time', () => {
  it('003 §9.1–9.2, 004: a 30-day pack expires at the end of the 30th local day; its unused credits are lost', async () => {
    const day = await nextMorning();
    const end = day.startOf('day').plus({ days: 31 }); // end of local day D+30
    const catalogue = await createCatalogue(app);
    const offerId = await createOffer(app, catalogue, { kind: 'PACK', credits: 10, validityDays: 30 });
    // Sessions: one tomorrow, one the morning after the pack's end.
    await advanceTo(day);
    const tomorrow = await session(catalogue, day.plus({ days: 1 }));
    const afterEnd = await session(catalogue, end.set({ hour: 10 }));
    const { member, beneficiaryId } = await buyer(catalogue, offerId);

    let [lot] = (await credits(member)).entitlements;
    expect(lot).toMatchObject({ status: 'ACTIVE', creditsRemaining: 10 });
    expect(ms(lot!.validFrom)).toBe(day.toMillis()); // validity starts on the purchase (003 §9.1)
    expect(ms(lot!.validUntil)).toBe(end.toMillis());

    await bookOk(member, tomorrow.id, beneficiaryId);
    // A session starting after the end of validity cannot be paid with it, even booked before then.
    expect(await bookResult(member, afterEnd.id, beneficiaryId)).toMatchObject({ __typename: 'NoCreditError', code: 'NO_CREDIT' });

    // The last minute of day D+30: still valid.
    await advanceTo(end.minus({ minutes: 1 }));
    [lot] = (await credits(member)).entitlements;
    expect(lot).toMatchObject({ status: 'ACTIVE', creditsRemaining: 9 });

    // Half an hour into day D+31: expired, the 9 unused credits with it.
    await advanceTo(end.plus({ minutes: 30 }));
    const viewer = await credits(member);
    [lot] = viewer.entitlements;
    expect(lot).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(ledgerOf(lot!)).toEqual([['GRANT', 10], ['DEBIT', -1], ['EXPIRE', -9]]);
    expect(viewer.usable).toEqual([]);
    expect(await bookResult(member, afterEnd.id, beneficiaryId)).toMatchObject({ __typename: 'NoCreditError', code: 'NO_CREDIT' });
  });

  it('003 §9.2: staff extend a pack before its end (not after, and not the member); it then expires at the new end', async () => {
    const day = await nextMorning();
    const end = day.startOf('day').plus({ days: 31 });
    const extendedEnd = end.plus({ days: 10 });
    const catalogue = await createCatalogue(app);
    const offerId = await createOffer(app, catalogue, { kind: 'PACK', credits: 10, validityDays: 30 });
    await advanceTo(day);
    const { member, beneficiaryId } = await buyer(catalogue, offerId);
    const [lot] = (await credits(member)).entitlements;
    expect(ms(lot!.validUntil)).toBe(end.toMillis());
    const input = { entitlementId: lot!.id, days: 10, reason: 'Pool closed for repairs' };

    // Only staff may extend.
    expect((await execute(app, Extend, { input }, { token: member.token })).extendValidity).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(ms((await credits(member)).entitlements[0]!.validUntil)).toBe(end.toMillis());

    const extended = success((await execute(app, Extend, { input }, { token: catalogue.admin.token })).extendValidity, 'ExtendValiditySuccess').entitlement;
    expect(ms(extended.validUntil)).toBe(extendedEnd.toMillis());
    expect(paris(extended.validUntil).hour).toBe(0);
    expect(extended.extensions).toHaveLength(1);
    expect(extended.extensions[0]!.reason).toBe('Pool closed for repairs');
    expect(ms(extended.extensions[0]!.previousValidUntil)).toBe(end.toMillis());
    expect(ms(extended.extensions[0]!.newValidUntil)).toBe(extendedEnd.toMillis());

    // Past the original end: still valid, and it pays for a session in the extra days.
    await advanceTo(end.plus({ minutes: 30 }));
    let [after] = (await credits(member)).entitlements;
    expect(after).toMatchObject({ status: 'ACTIVE', creditsRemaining: 10 });
    expect(ledgerOf(after!)).toEqual([['GRANT', 10]]);
    const late = await session(catalogue, extendedEnd.minus({ days: 1 }).set({ hour: 10 }));
    expect((await bookOk(member, late.id, beneficiaryId)).entitlement).toMatchObject({ id: lot!.id, creditsRemaining: 9 });

    // Past the new end: expired.
    await advanceTo(extendedEnd.plus({ minutes: 30 }));
    [after] = (await credits(member)).entitlements;
    expect(after).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(ledgerOf(after!)).toEqual([['GRANT', 10], ['DEBIT', -1], ['EXPIRE', -9]]);

    // Too late to ask now (the request must come before the end of validity).
    expect((await execute(app, Extend, { input }, { token: catalogue.admin.token })).extendValidity).toMatchObject({
      __typename: 'ExtensionNotAllowedError',
      code: 'EXTENSION_NOT_ALLOWED',
    });
    expect((await credits(member)).entitlements[0]).toMatchObject({ status: 'EXPIRED' });
    expect(ms((await credits(member)).entitlements[0]!.validUntil)).toBe(extendedEnd.toMillis());
  });
});

describe('cancellation notice across daylight saving', () => {
  it('003 §8, SPEC §1: 24 h notice before a Sunday 10:00 class after the spring change ends Saturday 09:00 (elapsed hours)', async () => {
    // The next last Sunday of March (spring forward that night) with room before it.
    const now = await clockNow();
    const lastSunday = (d: DateTime) => d.minus({ days: d.weekday % 7 });
    let year = now.year;
    while (lastSunday(DateTime.fromObject({ year, month: 3, day: 31, hour: 10 }, { zone: ZONE })).minus({ days: 4 }) < now.plus({ hours: 1 })) {
      year += 1;
    }
    const sunday = lastSunday(DateTime.fromObject({ year, month: 3, day: 31, hour: 10 }, { zone: ZONE }));
    const deadline = sunday.minus({ days: 1 }).set({ hour: 9 }); // Saturday 09:00 Paris
    // The test's own premises: winter time on Saturday, summer time on Sunday, 24 h apart.
    expect([deadline.offset, sunday.offset]).toEqual([60, 120]);
    expect(sunday.diff(deadline, 'hours').hours).toBe(24);

    await advanceTo(sunday.minus({ days: 4 })); // Wednesday 10:00
    const catalogue = await createCatalogue(app);
    const activity = success(
      (
        await execute(
          app,
          CreateActivity,
          {
            input: {
              organizationId: catalogue.organization.id,
              name: 'Bébés nageurs',
              audience: 'CHILD',
              minAgeMonths: 6,
              maxAgeMonths: 72,
              cancellationNoticeHours: 24,
            },
          },
          { token: catalogue.admin.token },
        )
      ).createActivity,
      'CreateActivitySuccess',
    ).activity;
    const offerId = await createOffer(app, catalogue, { kind: 'PACK', credits: 10, validityDays: 90 });
    const parent = await createMember(app);
    const birthDate = sunday.minus({ years: 3 }).toISODate()!;
    const first = await addBeneficiary(app, parent, birthDate, 'Léa');
    const second = await addBeneficiary(app, parent, birthDate, 'Tom');
    await buyCredits(app, catalogue, parent, offerId, first);
    await buyCredits(app, catalogue, parent, offerId, second);
    const swim = await session(catalogue, sunday, activity.id);
    const early = await bookOk(parent, swim.id, first);
    const late = await bookOk(parent, swim.id, second);
    expect(ms(early.freeCancellationUntil)).toBe(deadline.toMillis());

    // Saturday 08:59: 24 h 01 before the class, in time.
    await advanceTo(deadline.minus({ minutes: 1 }));
    const inTime = success((await execute(app, Cancel, { input: { bookingId: early.id } }, { token: parent.token })).cancelBooking, 'CancelBookingSuccess');
    expect(inTime).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED', entitlement: { creditsRemaining: 10 } } });

    // Saturday 09:30: the wall clock says 24 h 30 before, but only 23 h 30 will have elapsed: late.
    await advanceTo(deadline.plus({ minutes: 30 }));
    const tooLate = success((await execute(app, Cancel, { input: { bookingId: late.id } }, { token: parent.token })).cancelBooking, 'CancelBookingSuccess');
    expect(tooLate).toMatchObject({ creditReturned: false, booking: { status: 'LATE_CANCELLED', entitlement: { creditsRemaining: 9 } } });

    const lots = (await credits(parent)).entitlements;
    expect(lots.find((lot) => lot.beneficiary.id === first)!.creditsRemaining).toBe(10);
    expect(ledgerOf(lots.find((lot) => lot.beneficiary.id === second)!)).toEqual([['GRANT', 10], ['DEBIT', -1], ['FORFEIT', 0]]);
  });
});

describe('due jobs', () => {
  it('SPEC §4: three workers running the due jobs at once run each exactly once (FOR UPDATE SKIP LOCKED)', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const offerId = await createOffer(app, catalogue, { kind: 'PACK', credits: 3, validityDays: 1 });
    // 20 one-day packs: 4 members × 5 purchases.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const member = await createMember(app);
        const beneficiaryId = await addBeneficiary(app, member);
        for (let i = 0; i < 5; i += 1) await buyCredits(app, catalogue, member, offerId, beneficiaryId);
      }),
    );
    const organizationId = uuidOf(catalogue.organization.id);
    const lots = await prisma.entitlement.findMany({ where: { organizationId } });
    expect(lots).toHaveLength(20);
    const end = day.startOf('day').plus({ days: 2 });
    for (const lot of lots) expect(lot.validUntil.getTime()).toBe(end.toMillis());

    // Everything due before the packs' end has run; then three workers at once, after it.
    await advanceTo(end.minus({ minutes: 1 }));
    const t = end.plus({ minutes: 5 }).toJSDate();
    const due = await prisma.dueJob.count({ where: { status: 'PENDING', runAt: { lte: t } } });
    expect(due).toBeGreaterThanOrEqual(20);

    const ran = await Promise.all([runDueJobs(jobHandlers, t), runDueJobs(jobHandlers, t), runDueJobs(jobHandlers, t)]);
    expect(ran[0]! + ran[1]! + ran[2]!).toBe(due);

    // Every job due by then, this test's and every earlier one's, ran once and succeeded.
    const jobs = await prisma.dueJob.findMany({ where: { runAt: { lte: t } } });
    expect(jobs.length).toBeGreaterThanOrEqual(due);
    expect(jobs.filter((job) => job.status !== 'DONE' || job.attempts !== 1)).toEqual([]);
    const mine = jobs.filter((job) => job.organizationId === organizationId);
    expect(mine.map((job) => job.kind)).toEqual(Array(20).fill('ENTITLEMENT_EXPIRY'));

    const entries = await prisma.creditLedgerEntry.findMany({ where: { entitlementId: { in: lots.map((lot) => lot.id) }, reason: 'EXPIRE' } });
    expect(entries).toHaveLength(20);
    expect(new Set(entries.map((entry) => entry.entitlementId)).size).toBe(20);
    expect(entries.every((entry) => entry.delta === -3)).toBe(true);
    const expired = await prisma.entitlement.findMany({ where: { organizationId } });
    expect(expired.map((lot) => [lot.status, lot.creditsRemaining])).toEqual(Array(20).fill(['EXPIRED', 0]));
  });
});

describe('failing due work', () => {
  it('is retried with backoff, never given up, and runs once its cause is fixed (a renewal must not be lost)', async () => {
    const now = (await clockNow()).toJSDate();
    const job = await prisma.dueJob.create({
      data: { kind: 'ENTITLEMENT_EXPIRY', runAt: now, dedupeKey: `failing:${now.toISOString()}`, payload: { entitlementId: '00000000-0000-0000-0000-000000000000' } },
    });
    const broken = { ENTITLEMENT_EXPIRY: async () => Promise.reject(new Error('database unreachable')) };
    let at = now;
    for (let attempt = 1; attempt <= 7; attempt += 1) {
      expect(await runDueJobs(broken, at)).toBe(1);
      const after = await prisma.dueJob.findUniqueOrThrow({ where: { id: job.id } });
      expect(after).toMatchObject({ status: 'PENDING', attempts: attempt, lastError: 'database unreachable' });
      expect(after.runAt.getTime() - at.getTime()).toBe(Math.min(60, 2 ** (attempt - 1)) * 60_000);
      // Not due again before its backoff ends.
      expect(await runDueJobs(broken, new Date(after.runAt.getTime() - 1))).toBe(0);
      at = after.runAt;
    }
    expect(await runDueJobs(jobHandlers, at)).toBe(1);
    expect(await prisma.dueJob.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'DONE', attempts: 8 });
  });
});

describe('the ledger after all of the above', () => {
  it('SPEC §4: every entitlement’s balance is the sum of its ledger entries', async () => {
    const rows = await prisma.$queryRaw<{ id: string; creditsRemaining: number; ledgerSum: number; entries: number }[]>`
      SELECT e."id", e."creditsRemaining", COALESCE(SUM(l."delta"), 0)::int AS "ledgerSum", COUNT(l."id")::int AS "entries"
        FROM "Entitlement" e
        LEFT JOIN "CreditLedgerEntry" l ON l."entitlementId" = e."id"
       GROUP BY e."id", e."creditsRemaining"`;
    // Every test above left entitlements (packs, subscription periods, carried lots).
    expect(rows.length).toBeGreaterThan(30);
    expect(rows.filter((row) => row.creditsRemaining !== row.ledgerSum)).toEqual([]);
    expect(rows.every((row) => row.entries > 0)).toBe(true);
  });
});
