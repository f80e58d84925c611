import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  scheduleSession,
  type TestMember,
  memberWithCredits,
} from '../support/factories.js';

// Credits and bookings through the API, as a member and as staff would use them (SPEC §4–5,
// seeds 000, 003 §7–9, 004). Seed clauses are named in each test.

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

const Purchase = graphql(`
  mutation BookingsPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess {
        order { id status total { amountCents currency } amountDue { amountCents } invoiceNumber offer { id } }
      }
      ... on Error { code message }
    }
  }
`);

const Pay = graphql(`
  mutation BookingsPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess {
        order { id status amountDue { amountCents } paid { amountCents } invoiceNumber payments { method amount { amountCents } reference } }
      }
      ... on Error { code message }
    }
  }
`);

const MyCredits = graphql(`
  query BookingsMyCredits {
    viewer {
      entitlements {
        id creditsRemaining validFrom validUntil status carriedOver
        beneficiary { id }
        offer { id name }
        ledger { edges { node { delta reason note booking { id } } } }
      }
      orders { edges { node { id status invoiceNumber } } }
    }
  }
`);

const Book = graphql(`
  mutation BookingsBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess {
        booking { id status freeCancellationUntil bookedByStaff session { id seatsLeft } beneficiary { id } entitlement { id creditsRemaining } }
      }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation BookingsCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { id status cancelledAt session { seatsLeft } entitlement { creditsRemaining } } }
      ... on Error { code message }
    }
  }
`);

const member = (catalogue: Awaited<ReturnType<typeof createCatalogue>>, credits = 10) => memberWithCredits(app, catalogue, credits);

async function balance(m: TestMember): Promise<number> {
  const data = await execute(app, MyCredits, {}, { token: m.token });
  return data.viewer!.entitlements.reduce((sum, e) => sum + (e.status === 'ACTIVE' ? e.creditsRemaining : 0), 0);
}

describe('buying credits', () => {
  it('003 §3, 001: an order is paid at the desk in parts, then invoiced, and the pack’s credits granted', async () => {
    const catalogue = await createCatalogue(app);
    const buyer = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, buyer);
    const offerId = await createOffer(app, catalogue, { credits: 10, priceCents: 17_000, validityDays: 90 });

    const order = success(
      (await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer,
      'PurchaseOfferSuccess',
    ).order;
    expect(order).toMatchObject({ status: 'PENDING', total: { amountCents: 17_000, currency: 'EUR' }, amountDue: { amountCents: 17_000 }, invoiceNumber: null });
    expect((await execute(app, MyCredits, {}, { token: buyer.token })).viewer!.entitlements).toHaveLength(0);

    // The member cannot record a desk payment.
    const forbidden = (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 7_000 } }, { token: buyer.token }))
      .recordPayment;
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN' });

    const staff = { token: catalogue.admin.token };
    const part = success(
      (await execute(app, Pay, { input: { orderId: order.id, method: 'ANCV', amountCents: 7_000, reference: 'ANCV 123-456' } }, staff)).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(part).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 10_000 }, paid: { amountCents: 7_000 }, invoiceNumber: null });

    const tooMuch = (await request(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 10_001 } }, { ...staff, locale: 'en' }))
      .data!.recordPayment;
    expect(tooMuch).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE', message: 'This payment is more than the amount still due (€100.00).' });

    const paid = success(
      (await execute(app, Pay, { input: { orderId: order.id, method: 'CHEQUE', amountCents: 10_000, reference: 'Chq 0042' } }, staff)).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(paid).toMatchObject({ status: 'PAID', amountDue: { amountCents: 0 }, invoiceNumber: 1 });
    expect(paid.payments.map((p) => [p.method, p.amount.amountCents, p.reference])).toEqual([
      ['ANCV', 7_000, 'ANCV 123-456'],
      ['CHEQUE', 10_000, 'Chq 0042'],
    ]);
    const again = (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 1 } }, staff)).recordPayment;
    expect(again).toMatchObject({ code: 'ORDER_NOT_PAYABLE' });

    const [entitlement] = (await execute(app, MyCredits, {}, { token: buyer.token })).viewer!.entitlements;
    expect(entitlement).toMatchObject({ creditsRemaining: 10, status: 'ACTIVE', beneficiary: { id: beneficiaryId }, offer: { id: offerId } });
    expect(entitlement!.ledger.edges.map((e) => [e.node.reason, e.node.delta])).toEqual([['GRANT', 10]]);
    // Valid from the purchase through the end of the 90th day after it, in Paris.
    const validUntil = new Date(entitlement!.validUntil);
    expect(validUntil.getTime() - Date.now()).toBeGreaterThan(90 * 86_400_000 - 86_400_000);
    expect(validUntil.getTime() - Date.now()).toBeLessThanOrEqual(91 * 86_400_000 + 3_600_000);
    expect(new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', timeStyle: 'short' }).format(validUntil)).toBe('00:00');
  });
});

describe('booking', () => {
  it('003 §7: books at once with a credit, debits it, and takes a seat', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const session = await scheduleSession(app, catalogue, { capacity: 5 });
    const result = success(
      (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    expect(result).toMatchObject({ status: 'CONFIRMED', bookedByStaff: false, session: { seatsLeft: 4 }, entitlement: { creditsRemaining: 2 } });
    expect(await balance(m)).toBe(2);
    // Its id is a version 7 UUID of now, as every id of the schema (uuid(7)): time-ordered rows.
    const uuid = Buffer.from(result.id, 'base64').toString('utf8').split(':')[1]!;
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Math.abs(parseInt(uuid.replace('-', '').slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
  });
});

const CreateActivity = graphql(`
  mutation BookingsCreateActivity($input: CreateActivityInput!) {
    createActivity(input: $input) {
      __typename
      ... on CreateActivitySuccess { activity { id } }
      ... on Error { code message }
    }
  }
`);

async function activity(
  catalogue: Awaited<ReturnType<typeof createCatalogue>>,
  input: { audience: 'ADULT' | 'CHILD'; cancellationNoticeHours: number; lateCancellation?: 'FORFEIT' | 'RECREDIT'; minAgeMonths?: number; maxAgeMonths?: number },
) {
  const data = await execute(
    app,
    CreateActivity,
    { input: { organizationId: catalogue.organization.id, name: 'Activity', ...input } },
    { token: catalogue.admin.token },
  );
  return success(data.createActivity, 'CreateActivitySuccess').activity.id;
}

const CancelSession = graphql(`
  mutation BookingsCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on CancelSessionSuccess { session { id status seatsLeft } }
      ... on Error { code message }
    }
  }
`);

describe('booking refusals, each with its code', () => {
  it('SPEC §5: duplicate, no credit, age, cancelled or started session, full session, someone else’s beneficiary', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 5);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const attempt = async (sessionId: string, beneficiaryId: string, who: TestMember = m, locale = 'fr') =>
      (await request(app, Book, { input: { sessionId, beneficiaryId } }, { token: who.token, locale })).data!.bookSession;

    await book(app, m, session.id, m.beneficiaryId);
    expect(await attempt(session.id, m.beneficiaryId)).toMatchObject({ code: 'ALREADY_BOOKED' });

    // Full: another member with credits.
    const other = await member(catalogue, 5);
    expect(await attempt(session.id, other.beneficiaryId, other, 'en')).toMatchObject({
      code: 'SESSION_FULL',
      message: 'No seat left in this session: join the waitlist instead.',
    });

    // No credit: a member who never bought anything.
    const broke = await createMember(app);
    const brokeBeneficiary = await addBeneficiary(app, broke);
    const open = await scheduleSession(app, catalogue, { capacity: 5 });
    expect(await attempt(open.id, brokeBeneficiary, broke)).toMatchObject({
      code: 'NO_CREDIT',
      message: 'Aucun crédit valable pour cette séance : achetez un pack ou un abonnement.',
    });

    // Someone else's beneficiary.
    expect(await attempt(open.id, m.beneficiaryId, other)).toMatchObject({ code: 'FORBIDDEN' });

    // Age on the session date: an adult in a baby class (003: children's classes check age).
    const babyClass = await activity(catalogue, { audience: 'CHILD', cancellationNoticeHours: 24, minAgeMonths: 6, maxAgeMonths: 36 });
    const babySession = await scheduleSession(app, catalogue, { activityId: babyClass });
    expect(await attempt(babySession.id, m.beneficiaryId)).toMatchObject({ code: 'NOT_ELIGIBLE' });

    // Cancelled session.
    success(
      (await execute(app, CancelSession, { input: { sessionId: open.id, reason: 'Pool closed' } }, { token: catalogue.admin.token })).cancelSession,
      'CancelSessionSuccess',
    );
    expect(await attempt(open.id, m.beneficiaryId)).toMatchObject({ code: 'SESSION_NOT_BOOKABLE' });

    // No seat or credit was taken by any refusal.
    expect(await balance(m)).toBe(4);
    expect(await balance(other)).toBe(5);
  });

  it('a credit only books the activities its offer covers; naming it explicitly says why it does not fit', async () => {
    const catalogue = await createCatalogue(app);
    const otherActivity = await activity(catalogue, { audience: 'ADULT', cancellationNoticeHours: 6 });
    const m = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, m);
    const narrow = await createOffer(app, catalogue, { credits: 2, activityIds: [catalogue.activity.id] });
    await buyCredits(app, catalogue, m, narrow, beneficiaryId);
    const [lot] = (await execute(app, MyCredits, {}, { token: m.token })).viewer!.entitlements;

    const session = await scheduleSession(app, catalogue, { activityId: otherActivity });
    const implicit = (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId } }, { token: m.token })).bookSession;
    expect(implicit).toMatchObject({ code: 'NO_CREDIT' });
    const explicit = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId, entitlementId: lot!.id } }, { token: m.token })
    ).bookSession;
    expect(explicit).toMatchObject({ code: 'NOT_ELIGIBLE' });
  });

  it('SPEC §4: uses the credit that expires first, unless the caller names one', async () => {
    const catalogue = await createCatalogue(app);
    const m = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, m);
    const long = await createOffer(app, catalogue, { credits: 5, validityDays: 365 });
    const short = await createOffer(app, catalogue, { credits: 5, validityDays: 30 });
    await buyCredits(app, catalogue, m, long, beneficiaryId);
    await buyCredits(app, catalogue, m, short, beneficiaryId);
    const lots = (await execute(app, MyCredits, {}, { token: m.token })).viewer!.entitlements;
    const shortLot = lots.find((lot) => lot.offer.id === short)!;
    const longLot = lots.find((lot) => lot.offer.id === long)!;

    const first = await scheduleSession(app, catalogue);
    const used = success(
      (await execute(app, Book, { input: { sessionId: first.id, beneficiaryId } }, { token: m.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    expect(used.entitlement).toMatchObject({ id: shortLot.id, creditsRemaining: 4 });

    const second = await scheduleSession(app, catalogue);
    const chosen = success(
      (await execute(app, Book, { input: { sessionId: second.id, beneficiaryId, entitlementId: longLot.id } }, { token: m.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    expect(chosen.entitlement).toMatchObject({ id: longLot.id, creditsRemaining: 4 });
  });
});

describe('cancelling', () => {
  it('003 §8: an adult class cancelled more than 4 h before is re-credited and frees the seat', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const session = await scheduleSession(app, catalogue, { startsInHours: 5, capacity: 2 });
    const bookingId = await book(app, m, session.id, m.beneficiaryId);
    expect(await balance(m)).toBe(2);

    const result = success((await execute(app, Cancel, { input: { bookingId } }, { token: m.token })).cancelBooking, 'CancelBookingSuccess');
    expect(result).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED', session: { seatsLeft: 2 } } });
    expect(await balance(m)).toBe(3);
    const again = (await execute(app, Cancel, { input: { bookingId } }, { token: m.token })).cancelBooking;
    expect(again).toMatchObject({ code: 'BOOKING_NOT_CANCELLABLE' });
    // The slot is free again for the same beneficiary (the unique index only covers active bookings).
    await book(app, m, session.id, m.beneficiaryId);
  });

  it('003 §8, 004: cancelled within the notice, the booking is LATE_CANCELLED and the credit forfeited (not an error)', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const session = await scheduleSession(app, catalogue, { startsInHours: 3, capacity: 2 });
    const bookingId = await book(app, m, session.id, m.beneficiaryId);
    const result = success((await execute(app, Cancel, { input: { bookingId } }, { token: m.token })).cancelBooking, 'CancelBookingSuccess');
    expect(result).toMatchObject({ creditReturned: false, booking: { status: 'LATE_CANCELLED', session: { seatsLeft: 2 } } });
    expect(await balance(m)).toBe(2);
    const lot = (await execute(app, MyCredits, {}, { token: m.token })).viewer!.entitlements[0]!;
    expect(lot.ledger.edges.map((e) => [e.node.reason, e.node.delta])).toEqual([
      ['GRANT', 3],
      ['DEBIT', -1],
      ['FORFEIT', 0],
    ]);
  });

  it('000: annual aquabike members are re-credited even when late (activity policy RECREDIT)', async () => {
    const catalogue = await createCatalogue(app);
    const aquabike = await activity(catalogue, { audience: 'ADULT', cancellationNoticeHours: 6, lateCancellation: 'RECREDIT' });
    const m = await member(catalogue, 3);
    const session = await scheduleSession(app, catalogue, { startsInHours: 2, activityId: aquabike });
    const bookingId = await book(app, m, session.id, m.beneficiaryId);
    const result = success((await execute(app, Cancel, { input: { bookingId } }, { token: m.token })).cancelBooking, 'CancelBookingSuccess');
    expect(result).toMatchObject({ creditReturned: true, booking: { status: 'LATE_CANCELLED' } });
    expect(await balance(m)).toBe(3);
  });

  it("someone else's booking cannot be cancelled; staff can cancel on a member's behalf", async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const stranger = await createMember(app);
    const session = await scheduleSession(app, catalogue);
    const bookingId = await book(app, m, session.id, m.beneficiaryId);
    expect((await execute(app, Cancel, { input: { bookingId } }, { token: stranger.token })).cancelBooking).toMatchObject({ code: 'FORBIDDEN' });
    const byStaff = success(
      (await execute(app, Cancel, { input: { bookingId } }, { token: catalogue.admin.token })).cancelBooking,
      'CancelBookingSuccess',
    );
    expect(byStaff).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED' } });
    expect(await balance(m)).toBe(3);
  });

  // A member's own cancellation takes the one-statement path (src/services/booking/booking-fast-path.ts);
  // staff cancelling for a member take the general one. Both must leave the same records.
  it.each([
    ['in time', 30, 'CANCELLED', true],
    ['late', 2, 'LATE_CANCELLED', false],
  ] as const)('%s, a member cancelling and staff cancelling for a member leave the same ledger, seats and email', async (_, startsInHours, status, creditReturned) => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { startsInHours, capacity: 3 });
    const self = await member(catalogue, 3);
    const helped = await member(catalogue, 3);
    const bookings = [await book(app, self, session.id, self.beneficiaryId), await book(app, helped, session.id, helped.beneficiaryId)];
    const answers = [
      (await execute(app, Cancel, { input: { bookingId: bookings[0]! } }, { token: self.token })).cancelBooking,
      (await execute(app, Cancel, { input: { bookingId: bookings[1]! } }, { token: catalogue.admin.token })).cancelBooking,
    ].map((answer) => success(answer, 'CancelBookingSuccess'));
    expect(answers).toMatchObject([
      { creditReturned, booking: { status, session: { seatsLeft: 2 } } },
      { creditReturned, booking: { status, session: { seatsLeft: 3 } } },
    ]);
    const records = async (globalId: string) => {
      const bookingId = decodeGlobalID(globalId).id;
      const ledger = await prisma.creditLedgerEntry.findMany({ where: { bookingId }, orderBy: { createdAt: 'asc' } });
      const emails = await prisma.outboxEmail.findMany({ where: { dedupeKey: `booking-cancelled:${bookingId}` } });
      return {
        ledger: ledger.map((entry) => [entry.reason, entry.delta, entry.note]),
        emails: emails.map((email) => ({ template: email.template, payload: { ...(email.payload as object), bookingId: undefined } })),
      };
    };
    const [own, onBehalf] = [await records(bookings[0]!), await records(bookings[1]!)];
    expect(own).toEqual(onBehalf);
    expect(own.emails).toEqual([
      { template: 'booking-cancelled', payload: expect.objectContaining({ late: !creditReturned, creditReturned, activity: expect.any(String) }) },
    ]);
    expect(own.ledger.map(([reason, delta]) => [reason, delta])).toEqual(creditReturned ? [['DEBIT', -1], ['RECREDIT', 1]] : [['DEBIT', -1], ['FORFEIT', 0]]);
    expect([await balance(self), await balance(helped)]).toEqual(creditReturned ? [3, 3] : [2, 2]);
  });

  it('a credit returned to a lot that expired meanwhile is recorded, then expires with it', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const session = await scheduleSession(app, catalogue, { startsInHours: 30 });
    const bookingId = decodeGlobalID(await book(app, m, session.id, m.beneficiaryId)).id;
    // The lot's validity ended after the booking (staff shortened it, or its end came and went).
    const { entitlementId } = await prisma.booking.findUniqueOrThrow({ where: { id: bookingId } });
    await prisma.entitlement.update({ where: { id: entitlementId! }, data: { validFrom: new Date(Date.now() - 120_000), validUntil: new Date(Date.now() - 60_000) } });
    const result = success(
      (await execute(app, Cancel, { input: { bookingId: encodeGlobalID('Booking', bookingId) } }, { token: m.token })).cancelBooking,
      'CancelBookingSuccess',
    );
    expect(result).toMatchObject({ booking: { status: 'CANCELLED' } });
    const ledger = await prisma.creditLedgerEntry.findMany({ where: { bookingId }, orderBy: { createdAt: 'asc' } });
    expect(ledger.map((entry) => [entry.reason, entry.delta])).toEqual([['DEBIT', -1], ['RECREDIT', 1], ['EXPIRE', -1]]);
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id: entitlementId! } })).creditsRemaining).toBe(2);
  });
});

const Restore = graphql(`
  mutation BookingsRestore($input: RestoreCreditInput!) {
    restoreCredit(input: $input) {
      __typename
      ... on RestoreCreditSuccess { booking { id status creditRestoredAt entitlement { creditsRemaining } } }
      ... on Error { code message }
    }
  }
`);

const Reschedule = graphql(`
  mutation BookingsReschedule($input: RescheduleBookingInput!) {
    rescheduleBooking(input: $input) {
      __typename
      ... on RescheduleBookingSuccess {
        booking { id status session { id seatsLeft } entitlement { creditsRemaining } rescheduledFrom { id status session { seatsLeft } } }
      }
      ... on Error { code message }
    }
  }
`);

const Attendance = graphql(`
  mutation BookingsAttendance($input: MarkAttendanceInput!) {
    markAttendance(input: $input) {
      __typename
      ... on MarkAttendanceSuccess { booking { id status attendanceAt } }
      ... on Error { code message }
    }
  }
`);

const MyBookings = graphql(`
  query BookingsMine($filter: BookingFilter) {
    viewer { bookings(filter: $filter) { edges { node { id status session { id startsAt } } } } }
  }
`);

const Register = graphql(`
  query BookingsRegister($id: ID!) {
    node(id: $id) { ... on Session { bookings { id status beneficiary { firstName } } } }
  }
`);

const BookingNode = graphql(`
  query BookingsNode($id: ID!) {
    node(id: $id) { __typename ... on Booking { id status beneficiary { id firstName } } }
  }
`);

describe('restoring a forfeited credit (medical certificate)', () => {
  it('003 §8, 004: staff restore once per booking; members cannot; an in-time cancellation has nothing to restore', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 2);
    const late = await scheduleSession(app, catalogue, { startsInHours: 1 });
    const lateBooking = await book(app, m, late.id, m.beneficiaryId);
    success((await execute(app, Cancel, { input: { bookingId: lateBooking } }, { token: m.token })).cancelBooking, 'CancelBookingSuccess');
    expect(await balance(m)).toBe(1);

    const note = 'Certificat médical du Dr Martin';
    expect((await execute(app, Restore, { input: { bookingId: lateBooking, note } }, { token: m.token })).restoreCredit).toMatchObject({
      code: 'FORBIDDEN',
    });
    // Two staff clicks at once: one restore.
    const [a, b] = await Promise.all([
      execute(app, Restore, { input: { bookingId: lateBooking, note } }, { token: catalogue.admin.token }),
      execute(app, Restore, { input: { bookingId: lateBooking, note } }, { token: catalogue.admin.token }),
    ]);
    const outcomes = [a.restoreCredit.__typename, b.restoreCredit.__typename].sort();
    expect(outcomes).toEqual(['CreditNotRestorableError', 'RestoreCreditSuccess']);
    expect(await balance(m)).toBe(2);
    const lot = (await execute(app, MyCredits, {}, { token: m.token })).viewer!.entitlements[0]!;
    expect(lot.ledger.edges.at(-1)!.node).toMatchObject({ reason: 'RECREDIT', delta: 1, note });

    const inTime = await scheduleSession(app, catalogue, { startsInHours: 48 });
    const inTimeBooking = await book(app, m, inTime.id, m.beneficiaryId);
    success((await execute(app, Cancel, { input: { bookingId: inTimeBooking } }, { token: m.token })).cancelBooking, 'CancelBookingSuccess');
    expect((await execute(app, Restore, { input: { bookingId: inTimeBooking, note } }, { token: catalogue.admin.token })).restoreCredit).toMatchObject({
      code: 'CREDIT_NOT_RESTORABLE',
    });
    expect(await balance(m)).toBe(2);
  });
});

describe('rescheduling (000 “Modifier / Reprogrammer”)', () => {
  it('moves a booking atomically, keeping its credit, while a free cancellation is still possible', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const from = await scheduleSession(app, catalogue, { startsInHours: 24, capacity: 2 });
    const to = await scheduleSession(app, catalogue, { startsInHours: 30, capacity: 2 });
    const bookingId = await book(app, m, from.id, m.beneficiaryId);
    const moved = success(
      (await execute(app, Reschedule, { input: { bookingId, sessionId: to.id } }, { token: m.token })).rescheduleBooking,
      'RescheduleBookingSuccess',
    ).booking;
    expect(moved).toMatchObject({
      status: 'CONFIRMED',
      session: { id: to.id, seatsLeft: 1 },
      entitlement: { creditsRemaining: 2 },
      rescheduledFrom: { id: bookingId, status: 'CANCELLED', session: { seatsLeft: 2 } },
    });
    expect(await balance(m)).toBe(2);
  });

  it('is refused past the notice deadline, and into a full session; the original booking stays intact', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const soon = await scheduleSession(app, catalogue, { startsInHours: 2 });
    const later = await scheduleSession(app, catalogue, { startsInHours: 30 });
    const soonBooking = await book(app, m, soon.id, m.beneficiaryId);
    const refused = (
      await request(app, Reschedule, { input: { bookingId: soonBooking, sessionId: later.id } }, { token: m.token, locale: 'en' })
    ).data!.rescheduleBooking;
    expect(refused).toMatchObject({ code: 'RESCHEDULE_NOT_ALLOWED' });
    expect(refused.__typename === 'RescheduleNotAllowedError' && refused.message).toMatch(/^The free cancellation deadline has passed \(it was /);

    const full = await scheduleSession(app, catalogue, { startsInHours: 40, capacity: 1 });
    const other = await member(catalogue, 1);
    await book(app, other, full.id, other.beneficiaryId);
    const movable = await book(app, m, later.id, m.beneficiaryId);
    expect((await execute(app, Reschedule, { input: { bookingId: movable, sessionId: full.id } }, { token: m.token })).rescheduleBooking).toMatchObject({
      code: 'SESSION_FULL',
    });
    const bookings = (await execute(app, MyBookings, { filter: { upcoming: true } }, { token: m.token })).viewer!.bookings.edges.map((e) => e.node);
    expect(bookings.map((b) => [b.session.id, b.status])).toEqual([
      [soon.id, 'CONFIRMED'],
      [later.id, 'CONFIRMED'],
    ]);
    expect(await balance(m)).toBe(1);
  });
});

describe('staff', () => {
  it('book on a member’s behalf and take attendance from one hour before the start; members cannot', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const now = await scheduleSession(app, catalogue, { startsInHours: 0.5 });
    const later = await scheduleSession(app, catalogue, { startsInHours: 5 });
    const booked = success(
      (await execute(app, Book, { input: { sessionId: now.id, beneficiaryId: m.beneficiaryId } }, { token: catalogue.admin.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    expect(booked).toMatchObject({ status: 'CONFIRMED', bookedByStaff: true, entitlement: { creditsRemaining: 2 } });
    // Staff see the booking and its beneficiary; a stranger does not.
    const seen = await execute(app, BookingNode, { id: booked.id }, { token: catalogue.admin.token });
    expect(seen.node).toMatchObject({ __typename: 'Booking', beneficiary: { id: m.beneficiaryId, firstName: 'Ada' } });
    const stranger = await createMember(app);
    expect((await execute(app, BookingNode, { id: booked.id }, { token: stranger.token })).node).toBeNull();
    // The register lists it for staff only.
    expect((await execute(app, Register, { id: now.id }, { token: catalogue.admin.token })).node).toEqual({
      bookings: [{ id: booked.id, status: 'CONFIRMED', beneficiary: { firstName: 'Ada' } }],
    });
    const denied = await request(app, Register, { id: now.id }, { token: m.token });
    expect(denied.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });

    expect((await execute(app, Attendance, { input: { bookingId: booked.id, status: 'ATTENDED' } }, { token: m.token })).markAttendance).toMatchObject({
      code: 'FORBIDDEN',
    });
    const noShow = success(
      (await execute(app, Attendance, { input: { bookingId: booked.id, status: 'NO_SHOW' } }, { token: catalogue.admin.token })).markAttendance,
      'MarkAttendanceSuccess',
    ).booking;
    expect(noShow.status).toBe('NO_SHOW');
    // A no-show's credit can be restored on a certificate.
    const restored = success(
      (await execute(app, Restore, { input: { bookingId: booked.id, note: 'Certificat' } }, { token: catalogue.admin.token })).restoreCredit,
      'RestoreCreditSuccess',
    ).booking;
    expect(restored.entitlement).toMatchObject({ creditsRemaining: 3 });

    const laterBooking = await book(app, m, later.id, m.beneficiaryId);
    expect(
      (await execute(app, Attendance, { input: { bookingId: laterBooking, status: 'ATTENDED' } }, { token: catalogue.admin.token })).markAttendance,
    ).toMatchObject({ code: 'ATTENDANCE_NOT_ALLOWED' });
  });

  it('003 §8, 004: cancelling a session re-credits everyone (late cancellers too), frees every seat and emails every booked member', async () => {
    const catalogue = await createCatalogue(app);
    const members = await Promise.all([member(catalogue, 2), member(catalogue, 2), member(catalogue, 2)]);
    const session = await scheduleSession(app, catalogue, { startsInHours: 1, capacity: 3 });
    const bookingIds = await Promise.all(members.map((m) => book(app, m, session.id, m.beneficiaryId)));
    // One member had already cancelled late: the class does not take place, so that credit comes back too.
    success((await execute(app, Cancel, { input: { bookingId: bookingIds[2]! } }, { token: members[2]!.token })).cancelBooking, 'CancelBookingSuccess');

    expect((await execute(app, CancelSession, { input: { sessionId: session.id, reason: 'Pool closed' } }, { token: members[0]!.token })).cancelSession).toMatchObject({
      code: 'FORBIDDEN',
    });
    const cancelled = success(
      (await execute(app, CancelSession, { input: { sessionId: session.id, reason: 'Bassin fermé' } }, { token: catalogue.admin.token })).cancelSession,
      'CancelSessionSuccess',
    ).session;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', seatsLeft: 3 });
    expect(await balance(members[0]!)).toBe(2);
    expect(await balance(members[1]!)).toBe(2);
    expect(await balance(members[2]!)).toBe(2);
    const emails = await prisma.outboxEmail.findMany({
      where: { template: 'session-cancelled', toAddress: { in: members.map((m) => m.email) } },
    });
    expect(emails.map((e) => e.toAddress).sort()).toEqual([members[0]!.email, members[1]!.email].sort());
    expect(emails[0]!.payload).toMatchObject({ reason: 'Bassin fermé', venue: { name: 'Pool', city: 'Paris' } });
    expect((await execute(app, CancelSession, { input: { sessionId: session.id, reason: 'again' } }, { token: catalogue.admin.token })).cancelSession).toMatchObject({
      code: 'SESSION_ALREADY_CANCELLED',
    });
  });
});

const IssueCreditNote = graphql(`
  mutation BookingsIssueCreditNote($input: IssueCreditNoteInput!) {
    issueCreditNote(input: $input) {
      __typename
      ... on IssueCreditNoteSuccess { creditNote { id amount { amountCents } remaining { amountCents } issuedAt expiresAt } }
      ... on Error { code message }
    }
  }
`);

const MyCreditNotes = graphql(`
  query BookingsMyCreditNotes {
    viewer { creditNotes { id remaining { amountCents } reason } }
  }
`);

describe('credit notes ("avoir", 003 §6.1, 004)', () => {
  it('are issued by staff for a year and spent as a payment method, never beyond their balance', async () => {
    const catalogue = await createCatalogue(app);
    const buyer = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, buyer);
    const offerId = await createOffer(app, catalogue, { credits: 5, priceCents: 6_000 });
    const staff = { token: catalogue.admin.token };
    // Ordering makes the buyer one of the club's members, whom its staff may issue credit notes to.
    const order = success(
      (await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer,
      'PurchaseOfferSuccess',
    ).order;

    expect(
      (await execute(app, IssueCreditNote, { input: { organizationId: catalogue.organization.id, memberEmail: buyer.email, amountCents: 5_000, reason: 'x' } }, { token: buyer.token }))
        .issueCreditNote,
    ).toMatchObject({ code: 'FORBIDDEN' });
    const note = success(
      (
        await execute(
          app,
          IssueCreditNote,
          { input: { organizationId: catalogue.organization.id, memberEmail: buyer.email.toUpperCase(), amountCents: 5_000, reason: 'Piscine fermée' } },
          staff,
        )
      ).issueCreditNote,
      'IssueCreditNoteSuccess',
    ).creditNote;
    const days = (Date.parse(note.expiresAt) - Date.parse(note.issuedAt)) / 86_400_000;
    expect(days).toBeGreaterThan(364.9);
    expect(days).toBeLessThan(365.1);
    expect((await execute(app, MyCreditNotes, {}, { token: buyer.token })).viewer!.creditNotes).toEqual([
      { id: note.id, remaining: { amountCents: 5_000 }, reason: 'Piscine fermée' },
    ]);

    const missing = (await execute(app, Pay, { input: { orderId: order.id, method: 'CREDIT_NOTE', amountCents: 1_000 } }, staff)).recordPayment;
    expect(missing).toMatchObject({ code: 'VALIDATION' });
    const beyond = (
      await request(app, Pay, { input: { orderId: order.id, method: 'CREDIT_NOTE', amountCents: 5_001, creditNoteId: note.id } }, { ...staff, locale: 'en' })
    ).data!.recordPayment;
    expect(beyond).toMatchObject({ code: 'VALIDATION', message: 'This credit note does not cover this amount (€50.00 left).' });

    const part = success(
      (await execute(app, Pay, { input: { orderId: order.id, method: 'CREDIT_NOTE', amountCents: 5_000, creditNoteId: note.id } }, staff)).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(part).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 1_000 } });
    const paid = success(
      (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 1_000 } }, staff)).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(paid.status).toBe('PAID');
    expect((await execute(app, MyCreditNotes, {}, { token: buyer.token })).viewer!.creditNotes[0]!.remaining.amountCents).toBe(0);

    // Someone else's order cannot be paid with this member's credit note.
    const other = await createMember(app);
    const otherOrder = success(
      (await execute(app, Purchase, { input: { offerId, beneficiaryId: await addBeneficiary(app, other) } }, { token: other.token })).purchaseOffer,
      'PurchaseOfferSuccess',
    ).order;
    const foreign = (await execute(app, Pay, { input: { orderId: otherOrder.id, method: 'CREDIT_NOTE', amountCents: 1, creditNoteId: note.id } }, staff))
      .recordPayment;
    expect(foreign).toMatchObject({ code: 'VALIDATION' });
  });
});

describe('staff reach only their own organisation’s members', () => {
  it('staff of another organisation get NOT_FOUND for a stranger’s beneficiary, credit or email; a started session cannot be cancelled', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 2);
    const [lot] = (await execute(app, MyCredits, {}, { token: m.token })).viewer!.entitlements;

    // Anyone can create an organisation and be its admin: that must not reach other clubs' members.
    const rogue = await createCatalogue(app);
    const rogueOffer = await createOffer(app, rogue, { credits: 1 });
    const rogueSession = await scheduleSession(app, rogue);
    const asRogue = { token: rogue.admin.token };
    expect((await execute(app, Purchase, { input: { offerId: rogueOffer, beneficiaryId: m.beneficiaryId } }, asRogue)).purchaseOffer).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await execute(app, Book, { input: { sessionId: rogueSession.id, beneficiaryId: m.beneficiaryId } }, asRogue)).bookSession).toMatchObject({
      code: 'NOT_FOUND',
    });
    const probe = (
      await execute(
        app,
        IssueCreditNote,
        { input: { organizationId: rogue.organization.id, memberEmail: m.email, amountCents: 100, reason: 'probe' } },
        asRogue,
      )
    ).issueCreditNote;
    expect(probe).toMatchObject({ code: 'NOT_FOUND' });

    // Another member naming this member's credit learns nothing about it.
    const other = await member(catalogue, 1);
    const session = await scheduleSession(app, catalogue);
    const borrowed = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: other.beneficiaryId, entitlementId: lot!.id } }, { token: other.token })
    ).bookSession;
    expect(borrowed).toMatchObject({ code: 'NOT_FOUND' });
    expect(await balance(m)).toBe(2);

    // The club's own staff can act for its member.
    const own = success(
      (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: catalogue.admin.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    expect(own.bookedByStaff).toBe(true);

    // A session that has started (moved into the past in the database: the API refuses to schedule one).
    const started = await scheduleSession(app, catalogue, { startsInHours: 2 });
    const startedId = Buffer.from(started.id, 'base64').toString().split(':')[1]!;
    await prisma.session.update({ where: { id: startedId }, data: { startsAt: new Date(Date.now() - 60_000) } });
    expect(
      (await execute(app, CancelSession, { input: { sessionId: started.id, reason: 'too late' } }, { token: catalogue.admin.token })).cancelSession,
    ).toMatchObject({ code: 'SESSION_NOT_BOOKABLE' });
  });
});
