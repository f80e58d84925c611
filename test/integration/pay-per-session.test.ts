import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { addBeneficiary, book, createCatalogue, createMember, memberWithCredits, scheduleSession } from '../support/factories.js';

// Pay-per-session (SPEC §11, 000 "Payer pour cette séance" / "Payer en personne") and booking
// straight onto the waitlist of a full session (SPEC §6), through the API on PostgreSQL.

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

const Book = graphql(`
  mutation PayPerSessionBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { clientSecret booking { id status paymentHoldUntil entitlement { id } order { id status total { amountCents } } session { seatsLeft } } }
      ... on BookSessionWaitlisted { waitlistEntry { id status position session { seatsLeft waitlistLength } } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation PayPerSessionCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { status } }
      ... on Error { code message }
    }
  }
`);

const Reschedule = graphql(`
  mutation PayPerSessionReschedule($input: RescheduleBookingInput!) {
    rescheduleBooking(input: $input) {
      __typename
      ... on RescheduleBookingSuccess { booking { id status session { id } order { id } } }
      ... on Error { code message }
    }
  }
`);

const Record = graphql(`
  mutation PayPerSessionRecord($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status invoiceNumber amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const raw = (globalId: string) => decodeGlobalID(globalId).id;

describe('bookSession with joinWaitlistIfFull', () => {
  it('on a full session puts the beneficiary in line holding one credit, as joinWaitlist does; without the flag it is SESSION_FULL', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const first = await memberWithCredits(app, catalogue, 1);
    await book(app, first, session.id, first.beneficiaryId);
    const second = await memberWithCredits(app, catalogue, 2);

    const refused = (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: second.beneficiaryId } }, { token: second.token })).bookSession;
    expect(refused).toMatchObject({ __typename: 'SessionFullError', code: 'SESSION_FULL' });

    const answer = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: second.beneficiaryId, joinWaitlistIfFull: true } }, { token: second.token })
    ).bookSession;
    const { waitlistEntry } = success(answer, 'BookSessionWaitlisted');
    expect(waitlistEntry).toMatchObject({ status: 'WAITING', position: 1, session: { seatsLeft: 0, waitlistLength: 1 } });
    const ledger = await prisma.creditLedgerEntry.findMany({ where: { waitlistEntryId: raw(waitlistEntry.id) } });
    expect(ledger.map((entry) => [entry.reason, entry.delta])).toEqual([['HOLD', -1]]);
    const lot = await prisma.entitlement.findFirstOrThrow({ where: { beneficiaryId: raw(second.beneficiaryId) } });
    expect(lot.creditsRemaining).toBe(1);

    // Asked again: the same rules as joinWaitlist (already waiting).
    const again = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: second.beneficiaryId, joinWaitlistIfFull: true } }, { token: second.token })
    ).bookSession;
    expect(again).toMatchObject({ code: 'ALREADY_ON_WAITLIST' });
  });

  it('books a seat as usual while the session has room', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const member = await memberWithCredits(app, catalogue, 1);
    const answer = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: member.beneficiaryId, joinWaitlistIfFull: true } }, { token: member.token })
    ).bookSession;
    expect(success(answer, 'BookSessionSuccess').booking).toMatchObject({ status: 'CONFIRMED', session: { seatsLeft: 0 } });
  });
});

/** A priced session (20 €) of a fresh organisation, and a member with a beneficiary and no credit. */
async function pricedSession(options: { inPersonPaymentAllowed?: boolean; startsInHours?: number; capacity?: number } = {}) {
  const catalogue = await createCatalogue(app);
  const organizationId = raw(catalogue.organization.id);
  await prisma.organization.update({ where: { id: organizationId }, data: { inPersonPaymentAllowed: options.inPersonPaymentAllowed ?? true } });
  const session = await scheduleSession(app, catalogue, { startsInHours: options.startsInHours ?? 48, capacity: options.capacity ?? 5 });
  await prisma.session.update({ where: { id: raw(session.id) }, data: { priceCents: 2_000 } });
  const member = await createMember(app);
  const beneficiaryId = await addBeneficiary(app, member);
  return { catalogue, session, member, beneficiaryId };
}

async function bookInPerson(setup: Awaited<ReturnType<typeof pricedSession>>) {
  const answer = (
    await execute(app, Book, { input: { sessionId: setup.session.id, beneficiaryId: setup.beneficiaryId, payWith: 'IN_PERSON' } }, { token: setup.member.token })
  ).bookSession;
  const { booking } = success(answer, 'BookSessionSuccess');
  // The member sees what is due at the desk on the booking itself.
  expect(booking.order).toMatchObject({ status: 'PENDING', total: { amountCents: 2_000 } });
  expect(booking.paymentHoldUntil).toBeNull();
  const order = await prisma.order.findUniqueOrThrow({ where: { id: raw(booking.order!.id) } });
  return { booking, order };
}

async function payAtDesk(setup: Awaited<ReturnType<typeof pricedSession>>, orderId: string) {
  const answer = (
    await execute(app, Record, { input: { orderId: encodeGlobalID('Order', orderId), method: 'CASH', amountCents: 2_000 } }, { token: setup.catalogue.admin.token })
  ).recordPayment;
  return success(answer, 'RecordPaymentSuccess').order;
}

async function cancel(setup: Awaited<ReturnType<typeof pricedSession>>, bookingId: string) {
  return success((await execute(app, Cancel, { input: { bookingId } }, { token: setup.member.token })).cancelBooking, 'CancelBookingSuccess');
}

describe('pay-per-session in person (000 "Payer en personne")', () => {
  it('is refused where the organization does not allow it, and on a session without a price', async () => {
    const setup = await pricedSession({ inPersonPaymentAllowed: false });
    const refused = (
      await execute(app, Book, { input: { sessionId: setup.session.id, beneficiaryId: setup.beneficiaryId, payWith: 'IN_PERSON' } }, { token: setup.member.token })
    ).bookSession;
    expect(refused).toMatchObject({ __typename: 'InPersonPaymentNotAllowedError', code: 'IN_PERSON_PAYMENT_NOT_ALLOWED' });

    await prisma.session.update({ where: { id: raw(setup.session.id) }, data: { priceCents: null } });
    const unpriced = (
      await execute(app, Book, { input: { sessionId: setup.session.id, beneficiaryId: setup.beneficiaryId, payWith: 'IN_PERSON' } }, { token: setup.member.token })
    ).bookSession;
    expect(unpriced).toMatchObject({ code: 'VALIDATION' });
    expect(await prisma.order.count({ where: { sessionId: raw(setup.session.id) } })).toBe(0);
    expect(await prisma.session.findUniqueOrThrow({ where: { id: raw(setup.session.id) } })).toMatchObject({ seatsTaken: 0 });
  });

  it('confirms at once with no credit and an order for the price; the desk payment invoices it and grants nothing', async () => {
    const setup = await pricedSession();
    const { booking, order } = await bookInPerson(setup);
    expect(booking).toMatchObject({ status: 'CONFIRMED', entitlement: null, session: { seatsLeft: 4 } });
    expect(order).toMatchObject({ sessionId: raw(setup.session.id), status: 'PENDING', totalCents: 2_000, paidCents: 0, offerId: null });
    expect(await prisma.creditLedgerEntry.count({ where: { bookingId: raw(booking.id) } })).toBe(0);

    const paid = await payAtDesk(setup, order.id);
    expect(paid).toMatchObject({ status: 'PAID', amountDue: { amountCents: 0 } });
    expect(paid.invoiceNumber).toBe(1);
    expect(await prisma.entitlement.count({ where: { beneficiaryId: raw(setup.beneficiaryId) } })).toBe(0);
    expect(await prisma.outboxEmail.count({ where: { template: 'order-paid', dedupeKey: { contains: order.id } } })).toBe(1);
  });

  it('moves to another session of the same price keeping its order; to a session of another price it is NOT_ELIGIBLE and nothing moves', async () => {
    const setup = await pricedSession();
    const { booking, order } = await bookInPerson(setup);
    const samePrice = await scheduleSession(app, setup.catalogue, { startsInHours: 72 });
    await prisma.session.update({ where: { id: raw(samePrice.id) }, data: { priceCents: 2_000 } });
    const dearer = await scheduleSession(app, setup.catalogue, { startsInHours: 96 });
    await prisma.session.update({ where: { id: raw(dearer.id) }, data: { priceCents: 2_500 } });

    const refused = (await execute(app, Reschedule, { input: { bookingId: booking.id, sessionId: dearer.id } }, { token: setup.member.token })).rescheduleBooking;
    expect(refused).toMatchObject({ __typename: 'NotEligibleError', code: 'NOT_ELIGIBLE' });
    expect(await prisma.booking.findUniqueOrThrow({ where: { id: raw(booking.id) } })).toMatchObject({ status: 'CONFIRMED' });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: raw(dearer.id) } })).toMatchObject({ seatsTaken: 0 });

    const moved = (await execute(app, Reschedule, { input: { bookingId: booking.id, sessionId: samePrice.id } }, { token: setup.member.token })).rescheduleBooking;
    expect(success(moved, 'RescheduleBookingSuccess').booking).toMatchObject({
      status: 'CONFIRMED',
      session: { id: samePrice.id },
      order: { id: encodeGlobalID('Order', order.id) },
    });
  });

  it('cancelled in time: a paid session is refunded to its method, an unpaid order is cancelled; the seat is freed', async () => {
    const setup = await pricedSession();
    const paidBooking = await bookInPerson(setup);
    await payAtDesk(setup, paidBooking.order.id);
    const cancelled = await cancel(setup, paidBooking.booking.id);
    expect(cancelled).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED' } });
    const refunded = await prisma.order.findUniqueOrThrow({ where: { id: paidBooking.order.id }, include: { payments: { include: { refunds: true } } } });
    expect(refunded).toMatchObject({ status: 'REFUNDED', paidCents: 0 });
    expect(refunded.payments.flatMap((payment) => payment.refunds.map((refund) => [refund.status, refund.amountCents]))).toEqual([['SUCCEEDED', 2_000]]);

    const unpaidBooking = await bookInPerson(setup);
    expect(await cancel(setup, unpaidBooking.booking.id)).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED' } });
    expect(await prisma.order.findUniqueOrThrow({ where: { id: unpaidBooking.order.id } })).toMatchObject({ status: 'CANCELLED' });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: raw(setup.session.id) } })).toMatchObject({ seatsTaken: 0 });
  });

  it('cancelled late: nothing is refunded, and an unpaid order stays due', async () => {
    const setup = await pricedSession({ startsInHours: 2 });
    const paidBooking = await bookInPerson(setup);
    await payAtDesk(setup, paidBooking.order.id);
    expect(await cancel(setup, paidBooking.booking.id)).toMatchObject({ creditReturned: false, booking: { status: 'LATE_CANCELLED' } });
    expect(await prisma.order.findUniqueOrThrow({ where: { id: paidBooking.order.id } })).toMatchObject({ status: 'PAID', paidCents: 2_000 });
    expect(await prisma.refund.count({ where: { payment: { orderId: paidBooking.order.id } } })).toBe(0);

    const unpaidBooking = await bookInPerson(setup);
    expect(await cancel(setup, unpaidBooking.booking.id)).toMatchObject({ creditReturned: false, booking: { status: 'LATE_CANCELLED' } });
    expect(await prisma.order.findUniqueOrThrow({ where: { id: unpaidBooking.order.id } })).toMatchObject({ status: 'PENDING', paidCents: 0 });
  });
});
