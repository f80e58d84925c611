import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, transactionThen, type Tx } from '../../db/transaction.js';
import {
  attendanceOpen,
  bookingBlocker,
  bookingCancellationPolicy,
  paymentRefusal,
  type PayWith,
  cancellationOutcome,
  fitsAudience,
  rescheduleAllowed,
  type CancellationOutcome,
  type CancellationPolicy,
} from '../../domain/booking.js';
import { lotFit } from '../../domain/credits.js';
import {
  AlreadyBookedError,
  AttendanceNotAllowedError,
  BookingNotCancellableError,
  CreditNotRestorableError,
  ForbiddenError,
  NotEligibleError,
  NotFoundError,
  RescheduleNotAllowedError,
  SessionAlreadyCancelledError,
  SessionFullError,
  SessionNotBookableError,
  SessionNotFullError,
  ValidationError,
} from '../../domain/errors.js';
import type { Booking, DueJob, Session, WaitlistEntry } from '../../generated/prisma/client.js';
import type { BookingStatus } from '../../generated/prisma/enums.js';
import type { Locale } from '../../i18n/messages.js';
import { holdLiveMember, isCoachOfSession, isStaff, joinOrganization, requireOwnerOrStaff, requireStaff, requireViewer } from '../access.js';
import { insertUnique } from '../errors.js';
import { appendEntry, loadCreditLot, lockEntitlement, lockEntitlements, returnCredit } from '../credit/ledger.js';
import {
  announceBooking,
  changed,
  freeSeat,
  loadSession,
  lockSessions,
  sessionSummary,
  sessionWithRules,
  takeCredit,
  takeSeat,
  type SessionWithRules,
} from './seating.js';
import { notifyMember } from '../notifications.js';
import { bookingEvent, emitEvent, globalId, orderEvent, sessionCancelledEvent } from '../integration/webhook-events.js';
import { closeWaitlist, joinWaitlist, leaveOnBooking, offerFreedSeats } from './waitlist.js';
import type { AfterCommit } from '../../jobs/worker.js';
import { enqueue } from '../../jobs/queue.js';
import { lockOrder } from '../order/orders.js';
import { refundOrderPayments } from '../order/refunds.js';
import { startOnlinePayment } from '../order/payments.js';
import { bookWithCreditFast, cancelWithCreditFast } from './booking-fast-path.js';

// Bookings (SPEC §5). Seats and credits are decided by PostgreSQL inside one transaction per use
// case: a seat is taken by a compare-and-swap UPDATE on the session, a credit by locking its
// entitlement row and appending a ledger entry (a CHECK refuses a negative balance), and a second
// active booking by a partial unique index. Locks are always taken in the same order (sessions by
// id, then bookings by id, then entitlements) so that concurrent use cases cannot deadlock.
// Events are published only after the transaction commits.

export type { PayWith };

/** What booking answered: a seat, or (asked for, on a full session) a place on the waitlist. */
export type BookOutcome = { kind: 'BOOKED'; booking: Booking; clientSecret?: string | null } | { kind: 'WAITLISTED'; waitlistEntry: WaitlistEntry };

/** Statuses that hold a seat and count for "one active booking per beneficiary per session". */
export const ACTIVE_BOOKING_STATUSES: BookingStatus[] = ['CONFIRMED', 'ATTENDED', 'NO_SHOW', 'PENDING_PAYMENT'];

/**
 * Books a seat. `joinWaitlistIfFull` (credit bookings only: the waitlist holds a credit): a full
 * session puts the beneficiary on its waitlist exactly as `joinWaitlist` does, under its rules.
 */
export async function bookSession(
  context: Context,
  input: {
    sessionId: string;
    beneficiaryId: string;
    entitlementId?: string | null;
    payWith?: PayWith | null;
    joinWaitlistIfFull?: boolean | null;
  },
): Promise<BookOutcome> {
  const payWith = input.payWith ?? 'CREDIT';
  if (!input.joinWaitlistIfFull || payWith !== 'CREDIT') return { kind: 'BOOKED', ...(await bookSeat(context, { ...input, payWith })) };
  // A seat freed between the two answers is booked on the next try; never more than a few.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return { kind: 'BOOKED', ...(await bookSeat(context, { ...input, payWith })) };
    } catch (error) {
      if (!(error instanceof SessionFullError)) throw error;
    }
    try {
      return { kind: 'WAITLISTED', waitlistEntry: await joinWaitlist(context, input) };
    } catch (error) {
      if (!(error instanceof SessionNotFullError) || attempt >= 2) throw error;
    }
  }
}

async function bookSeat(
  context: Context,
  input: { sessionId: string; beneficiaryId: string; entitlementId?: string | null; payWith: PayWith },
): Promise<{ booking: Booking; clientSecret: string | null }> {
  // The common case (a member’s own credit booking) in two statements; null: the general path.
  if (input.payWith === 'CREDIT' && !input.entitlementId) {
    const fast = await bookWithCreditFast(context, input);
    if (fast) return fast;
  }
  const [session, beneficiary] = await Promise.all([
    loadSession(input.sessionId, 'sessionId'),
    prisma.beneficiary.findUnique({ where: { id: input.beneficiaryId } }),
  ]);
  if (!beneficiary || beneficiary.erasedAt || beneficiary.removedAt) throw new NotFoundError('entity.beneficiary', ['beneficiaryId']);
  const { viewerId, onBehalf } = await requireOwnerOrStaff(
    context,
    { memberId: beneficiary.memberId, entity: 'entity.beneficiary', field: 'beneficiaryId' },
    session.organizationId,
  );
  const now = context.clock.now();
  const { payWith } = input;

  // Answers that need no lock come first, so a refused request costs no seat or credit lock.
  const blocker = bookingBlocker(session, now);
  if (blocker) throw new SessionNotBookableError(blocker);
  if (!fitsAudience(session.activity, beneficiary.birthDate, session.startsAt, session.organization.timeZone)) {
    throw new NotEligibleError('error.notEligible.age');
  }
  const refusal = paymentRefusal({ priceCents: session.priceCents, inPersonPaymentAllowed: session.organization.inPersonPaymentAllowed }, payWith, input.entitlementId, Boolean(context.stripe));
  if (refusal) throw refusal;
  // A friendly answer for the common case; the partial unique index is what guarantees it.
  const active = await prisma.booking.findFirst({
    where: { sessionId: session.id, beneficiaryId: beneficiary.id, status: { in: ACTIVE_BOOKING_STATUSES } },
    select: { id: true },
  });
  if (active) throw new AlreadyBookedError();

  const booked = await transactionThen(async (tx, effects) => {
    // First lock: an erasure of this account (which locks the member row) cannot interleave.
    await holdLiveMember(tx, beneficiary.memberId, { entity: 'entity.beneficiary', field: 'beneficiaryId' });
    await takeSeat(tx, session.id, now);
    await joinOrganization(tx, beneficiary.memberId, session.organizationId);
    // Booking a seat anyone could book ends this beneficiary's wait for it (and frees its hold).
    effects.push(...(await leaveOnBooking(tx, session, beneficiary.id, now)));
    const entitlement = payWith === 'CREDIT' ? await takeCredit(tx, session, beneficiary.id, input.entitlementId, now) : null;
    // Paid per session (000): the order for the session's price, due at the desk or paid online.
    const order =
      payWith === 'CREDIT'
        ? null
        : await tx.order.create({
            data: {
              organizationId: session.organizationId,
              memberId: beneficiary.memberId,
              beneficiaryId: beneficiary.id,
              sessionId: session.id,
              currency: session.organization.currency,
              subtotalCents: session.priceCents!,
              totalCents: session.priceCents!,
              status: 'PENDING',
              createdAt: now,
            },
          });
    // Paid online: the seat is held while the member pays, then expires unless the webhook confirms it.
    const holdUntil = payWith === 'ONLINE' ? new Date(now.getTime() + session.organization.paymentHoldMinutes * 60_000) : null;
    const created: Booking = await insertUnique(
      () =>
        tx.booking.create({
          data: {
            organizationId: session.organizationId,
            sessionId: session.id,
            beneficiaryId: beneficiary.id,
            memberId: beneficiary.memberId,
            bookedById: onBehalf ? viewerId : null,
            entitlementId: entitlement?.id ?? null,
            orderId: order?.id ?? null,
            ...(holdUntil ? { status: 'PENDING_PAYMENT' as const, paymentHoldUntil: holdUntil } : {}),
            createdAt: now,
          },
        }),
      () => new AlreadyBookedError(),
    );
    if (entitlement) {
      await appendEntry(tx, {
        entitlementId: entitlement.id,
        delta: -1,
        reason: 'DEBIT',
        bookingId: created.id,
        actorId: onBehalf ? viewerId : null,
        createdAt: now,
      });
    }
    if (holdUntil) {
      await enqueue(tx, {
        kind: 'PAYMENT_HOLD_EXPIRY',
        runAt: holdUntil,
        organizationId: session.organizationId,
        dedupeKey: `payment-hold:${created.id}`,
        payload: { bookingId: created.id },
      });
      return { booking: created, order };
    }
    await announceBooking(tx, created, beneficiary.firstName, session, now);
    return { booking: created, order };
  });
  changed(session)();
  if (input.payWith !== 'ONLINE' || !booked.order) return { booking: booked.booking, clientSecret: null };
  // The card payment of the held seat, through the same code as any order's card payment.
  const { clientSecret } = await startOnlinePayment(context, { orderId: booked.order.id, amountCents: booked.order.totalCents, method: 'CARD' });
  return { booking: booked.booking, clientSecret };
}

/**
 * PAYMENT_HOLD_EXPIRY job, at a PENDING_PAYMENT booking's `paymentHoldUntil`: unless the webhook
 * confirmed it meanwhile (both decide under the session's row lock, so exactly one of them acts),
 * the booking is EXPIRED and its hold released (`releaseLockedHold`).
 */
export async function expirePaymentHold(tx: Tx, job: DueJob, now: Date): Promise<AfterCommit[]> {
  const { bookingId } = job.payload as { bookingId: string };
  const found = await tx.booking.findUnique({ where: { id: bookingId } });
  if (!found) return [];
  const session = await loadSession(found.sessionId, 'bookingId');
  await lockSessions(tx, [found.sessionId]);
  const booking = await lockBooking(tx, found.id);
  if (booking.status !== 'PENDING_PAYMENT') return [];
  const effects = await releaseLockedHold(tx, { booking, session, status: 'EXPIRED', now });
  return [changed(session), ...effects];
}

/**
 * Ends a seat held while paying online, for a PENDING_PAYMENT booking whose session and booking
 * rows the caller locked (in that order): the booking becomes `status` (EXPIRED when the hold ran
 * out, CANCELLED when the account is erased), its seat is freed and handed to the waitlist as a
 * cancellation's is, and its unpaid order CANCELLED (a card payment succeeding later is refunded
 * as one its order did not need). The caller publishes `changed(session)` after commit.
 */
export async function releaseLockedHold(
  tx: Tx,
  { booking, session, status, now }: { booking: Booking; session: SessionWithRules; status: 'EXPIRED' | 'CANCELLED'; now: Date },
): Promise<AfterCommit[]> {
  await tx.booking.update({ where: { id: booking.id }, data: { status, cancelledAt: now } });
  await freeSeat(tx, session.id);
  const effects = await offerFreedSeats(tx, session, 1, now);
  if (booking.orderId) {
    const order = await lockOrder(tx, booking.orderId);
    if (order.status === 'PENDING' && order.paidCents === 0) {
      await tx.order.update({ where: { id: order.id }, data: { status: 'CANCELLED', cancelledAt: now } });
    }
  }
  return effects;
}

/** A locked session's start and last change, as they are now (the cancellation rule reads them). */
async function sessionTimes(tx: Tx, sessionId: string) {
  return tx.session.findUniqueOrThrow({ where: { id: sessionId }, select: { startsAt: true, endsAt: true, changedAt: true } });
}

/** Locks a booking row and returns it as it is now. */
async function lockBooking(tx: Tx, id: string): Promise<Booking> {
  const [row] = await tx.$queryRaw<Booking[]>`SELECT * FROM "Booking" WHERE "id" = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('entity.booking', ['bookingId']);
  return row;
}

/**
 * The cancellation policy of a booking: its activity's notice, and the late-cancellation rule of
 * the offer whose credit paid for it when that offer has one, else the activity's (SPEC §11).
 */
export async function cancellationPolicyOf(
  tx: Tx,
  booking: Pick<Booking, 'entitlementId'>,
  activity: CancellationPolicy,
): Promise<CancellationPolicy> {
  const entitlement = booking.entitlementId
    ? await tx.entitlement.findUnique({ where: { id: booking.entitlementId }, select: { offer: { select: { lateCancellation: true } } } })
    : null;
  return bookingCancellationPolicy(activity, entitlement?.offer);
}

async function loadBooking(id: string) {
  const booking = await prisma.booking.findUnique({ where: { id }, include: { session: { include: sessionWithRules } } });
  if (!booking) throw new NotFoundError('entity.booking', ['bookingId']);
  return booking;
}

export interface CancelResult {
  booking: Booking;
  creditReturned: boolean;
}

/**
 * Cancels a booking under the activity's notice (003 §8, 004, 000): in time the credit comes
 * back; late the booking is LATE_CANCELLED and the credit forfeited (a FORFEIT entry records it;
 * the booking's DEBIT stands), unless the booking's offer, or else its activity, re-credits late
 * cancellations (`cancellationPolicyOf`). The seat is
 * freed either way.
 */
export async function cancelBooking(context: Context, input: { bookingId: string }): Promise<CancelResult> {
  const fast = await cancelWithCreditFast(context, input);
  if (fast) return fast;
  const found = await loadBooking(input.bookingId);
  const { viewerId, onBehalf } = await requireOwnerOrStaff(
    context,
    { memberId: found.memberId, entity: 'entity.booking', field: 'bookingId' },
    found.organizationId,
  );
  let session = found.session;
  const now = context.clock.now();

  const result = await transactionThen(async (tx, effects) => {
    await lockSessions(tx, [found.sessionId]);
    // Staff may have moved the session meanwhile (updateSession): the rule reads it as locked.
    session = { ...found.session, ...(await sessionTimes(tx, found.sessionId)) };
    const booking = await lockBooking(tx, found.id);
    if (booking.status !== 'CONFIRMED') throw new BookingNotCancellableError('inactive');
    const outcome = cancellationOutcome(session, await cancellationPolicyOf(tx, booking, session.activity), now, booking);
    return cancelLockedBooking(tx, { booking, session, outcome, actorId: onBehalf ? viewerId : null, now }, effects);
  });
  changed(session)();
  return result;
}

/**
 * The cancellation itself, for a CONFIRMED booking whose session and booking rows the caller
 * locked (in that order) and whose outcome is not STARTED: the seat is freed (and offered to the
 * waitlist), the credit comes back or is forfeited, and the member is told. Shared by
 * `cancelBooking` and the erasure of an account (personal-data.ts); post-commit work goes to
 * `effects`, and the caller publishes `changed(session)` after commit.
 */
export async function cancelLockedBooking(
  tx: Tx,
  {
    booking,
    session,
    outcome,
    actorId,
    now,
  }: { booking: Booking; session: SessionWithRules; outcome: CancellationOutcome; actorId: string | null; now: Date },
  effects: AfterCommit[],
): Promise<CancelResult> {
  if (outcome.kind === 'STARTED') throw new BookingNotCancellableError('started');
  const cancelled = await tx.booking.update({ where: { id: booking.id }, data: { status: outcome.status, cancelledAt: now } });
  await freeSeat(tx, session.id);
  effects.push(...(await offerFreedSeats(tx, session, 1, now)));
  if (booking.orderId && !booking.entitlementId) {
    const settled = await settleSessionOrder(tx, booking.orderId, outcome.kind === 'IN_TIME', now);
    await notifyMember(tx, booking.memberId, {
      organizationId: booking.organizationId,
      template: 'booking-cancelled',
      payload: { bookingId: booking.id, late: outcome.kind === 'LATE', creditReturned: false, ...sessionSummary(session) },
      dedupeKey: `booking-cancelled:${booking.id}`,
      at: now,
    });
    await emitEvent(tx, bookingEvent('booking.cancelled', cancelled, now, { late: outcome.kind === 'LATE', creditReturned: false }));
    return { booking: cancelled, creditReturned: settled };
  }
  if (booking.entitlementId) {
    if (outcome.creditReturned) {
      await returnCredit(
        tx,
        {
          entitlementId: booking.entitlementId,
          bookingId: booking.id,
          dedupeKey: `cancel:${booking.id}`,
          note: outcome.kind === 'LATE' ? 'Late cancellation, re-credited by the offer or activity policy.' : 'Cancelled in time.',
          actorId,
        },
        now,
      );
    } else {
      await appendEntry(tx, {
        entitlementId: booking.entitlementId,
        delta: 0,
        reason: 'FORFEIT',
        bookingId: booking.id,
        actorId,
        note: `Late cancellation: less than ${session.activity.cancellationNoticeHours} h before the start.`,
        dedupeKey: `cancel:${booking.id}`,
        createdAt: now,
      });
    }
  }
  await notifyMember(tx, booking.memberId, {
    organizationId: booking.organizationId,
    template: 'booking-cancelled',
    payload: { bookingId: booking.id, late: outcome.kind === 'LATE', creditReturned: outcome.creditReturned, ...sessionSummary(session) },
    dedupeKey: `booking-cancelled:${booking.id}`,
    at: now,
  });
  await emitEvent(tx, bookingEvent('booking.cancelled', cancelled, now, { late: outcome.kind === 'LATE', creditReturned: outcome.creditReturned }));
  return { booking: cancelled, creditReturned: outcome.creditReturned };
}

/**
 * A session paid per session (000) is cancelled. In time, what was paid goes back to its method
 * (desk payments recorded as refunded, card payments refunded through Stripe by a due job) and
 * an order nothing was paid on is cancelled; late, the order stands: paid stays paid, and a desk
 * order still unpaid stays due, as a late-cancelled credit is lost. Returns whether the member
 * lost nothing.
 */
async function settleSessionOrder(tx: Tx, orderId: string, inTime: boolean, now: Date): Promise<boolean> {
  const order = await lockOrder(tx, orderId);
  if (!inTime || !order.sessionId) return false;
  if (order.status === 'PENDING' && order.paidCents === 0) {
    await tx.order.update({ where: { id: order.id }, data: { status: 'CANCELLED', cancelledAt: now } });
    // A card payment still under way for it is refunded when it succeeds (not needed any more).
    return true;
  }
  if (order.status !== 'PAID' && order.status !== 'PARTIALLY_PAID') return false;
  const { refundedCents, online } = await refundOrderPayments(tx, order, 'Session cancelled in time', now);
  for (const part of online) {
    await enqueue(tx, {
      kind: 'EXCESS_REFUND',
      runAt: now,
      organizationId: order.organizationId,
      dedupeKey: `session-refund:${part.paymentId}`,
      payload: { paymentId: part.paymentId },
    });
  }
  const refunded = await tx.order.update({
    where: { id: order.id },
    data: { status: 'REFUNDED', refundedAt: now, paidCents: order.paidCents - refundedCents },
  });
  await emitEvent(tx, orderEvent('order.refunded', refunded, now));
  return true;
}

function formatDeadline(outcome: CancellationOutcome, timeZone: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone,
  }).format(outcome.deadline);
}

/**
 * Moves a booking to another session atomically (000 "Reprogrammer"), keeping its credit: the
 * old booking becomes CANCELLED and a new one, linked to it, takes a seat in the new session.
 * Allowed only while cancelling would cost nothing.
 */
export async function rescheduleBooking(context: Context, input: { bookingId: string; sessionId: string }): Promise<Booking> {
  const found = await loadBooking(input.bookingId);
  const { viewerId, onBehalf } = await requireOwnerOrStaff(
    context,
    { memberId: found.memberId, entity: 'entity.booking', field: 'bookingId' },
    found.organizationId,
  );
  const target = await loadSession(input.sessionId, 'sessionId');
  if (target.organizationId !== found.organizationId) {
    throw new ValidationError([{ field: ['sessionId'], messageKey: 'validation.otherOrganization' }]);
  }
  if (target.id === found.sessionId) throw new ValidationError([{ field: ['sessionId'], messageKey: 'validation.sameSession' }]);
  const now = context.clock.now();
  const timeZone = target.organization.timeZone;
  const beneficiary = await prisma.beneficiary.findUniqueOrThrow({ where: { id: found.beneficiaryId } });
  const blocker = bookingBlocker(target, now);
  if (blocker) throw new SessionNotBookableError(blocker);
  if (!fitsAudience(target.activity, beneficiary.birthDate, target.startsAt, timeZone)) throw new NotEligibleError('error.notEligible.age');

  const moved = await transactionThen(async (tx, effects) => {
    await holdLiveMember(tx, found.memberId, { entity: 'entity.booking', field: 'bookingId' });
    await lockSessions(tx, [found.sessionId, target.id]);
    const booking = await lockBooking(tx, found.id);
    if (booking.status !== 'CONFIRMED') throw new BookingNotCancellableError('inactive');
    const current = { ...found.session, ...(await sessionTimes(tx, found.sessionId)) };
    const outcome = cancellationOutcome(current, await cancellationPolicyOf(tx, booking, found.session.activity), now, booking);
    if (!rescheduleAllowed(outcome)) {
      throw new RescheduleNotAllowedError({ deadline: formatDeadline(outcome, timeZone, context.locale) });
    }
    await takeSeat(tx, target.id, now);
    effects.push(...(await leaveOnBooking(tx, target, booking.beneficiaryId, now)));
    await freeSeat(tx, booking.sessionId);
    effects.push(...(await offerFreedSeats(tx, found.session, 1, now)));
    if (booking.entitlementId) {
      const lot = await loadCreditLot(tx, booking.entitlementId);
      // The credit is already spent on this booking: only whether the lot covers the new session matters.
      const fit = lot ? lotFit({ ...lot, creditsRemaining: 1 }, target, booking.beneficiaryId, now) : 'NOT_VALID';
      if (fit !== 'OK') throw new NotEligibleError('error.notEligible.credit');
    }
    // A session paid for keeps its order (and its invoice): it moves only to a session of the same price.
    if (booking.orderId && target.priceCents !== found.session.priceCents) throw new NotEligibleError('error.notEligible.price');
    const left = await tx.booking.update({ where: { id: booking.id }, data: { status: 'CANCELLED', cancelledAt: now } });
    const created: Booking = await insertUnique(
      () =>
        tx.booking.create({
          data: {
            organizationId: booking.organizationId,
            sessionId: target.id,
            beneficiaryId: booking.beneficiaryId,
            memberId: booking.memberId,
            bookedById: onBehalf ? viewerId : booking.bookedById,
            entitlementId: booking.entitlementId,
            orderId: booking.orderId,
            rescheduledFromId: booking.id,
            createdAt: now,
          },
        }),
      () => new AlreadyBookedError(),
    );
    await notifyMember(tx, booking.memberId, {
      organizationId: booking.organizationId,
      template: 'booking-rescheduled',
      payload: { bookingId: created.id, previousSessionId: booking.sessionId, beneficiary: beneficiary.firstName, ...sessionSummary(target) },
      dedupeKey: `booking-rescheduled:${created.id}`,
      at: now,
    });
    // For integrators a move is the old booking cancelled and a new one created, linked both ways.
    await emitEvent(tx, bookingEvent('booking.cancelled', left, now, { rescheduledToId: globalId('Booking', created.id) }));
    await emitEvent(tx, bookingEvent('booking.created', created, now, { rescheduledFromId: globalId('Booking', booking.id) }));
    return created;
  });
  changed(found.session)();
  changed(target)();
  return moved;
}

/**
 * Staff give back a forfeited credit on a medical certificate (003 §8, 004), once per booking:
 * the booking's row lock serialises attempts and a unique dedupe key on the ledger backs it.
 */
export async function restoreCredit(context: Context, input: { bookingId: string; note: string }): Promise<Booking> {
  const found = await loadBooking(input.bookingId);
  const staffId = await requireStaff(context, found.organizationId);
  const note = input.note.trim();
  if (!note) throw new ValidationError([{ field: ['note'], messageKey: 'validation.reasonRequired' }]);
  if (note.length > 500) throw new ValidationError([{ field: ['note'], messageKey: 'validation.tooLong', params: { max: 500 } }]);
  const now = context.clock.now();
  return transaction(async (tx) => {
    const booking = await lockBooking(tx, found.id);
    if (!booking.entitlementId) throw new CreditNotRestorableError('noCredit');
    if (booking.creditRestoredAt) throw new CreditNotRestorableError('alreadyRestored');
    const forfeited =
      booking.status === 'NO_SHOW' ||
      (booking.status === 'LATE_CANCELLED' &&
        (await tx.creditLedgerEntry.count({ where: { bookingId: booking.id, reason: 'FORFEIT' } })) > 0);
    if (!forfeited) throw new CreditNotRestorableError('notForfeited');
    const lot = await lockEntitlement(tx, booking.entitlementId);
    if (!lot || lot.status !== 'ACTIVE' || lot.validUntil.getTime() <= now.getTime()) throw new CreditNotRestorableError('expired');
    await appendEntry(tx, {
      entitlementId: lot.id,
      delta: 1,
      reason: 'RECREDIT',
      bookingId: booking.id,
      actorId: staffId,
      note,
      dedupeKey: `restore:${booking.id}`,
      createdAt: now,
    });
    return tx.booking.update({ where: { id: booking.id }, data: { creditRestoredAt: now } });
  });
}

/** Staff, or the coach of the session, take attendance: ATTENDED or NO_SHOW (a no-show's credit is spent). */
export async function markAttendance(
  context: Context,
  input: { bookingId: string; status: 'ATTENDED' | 'NO_SHOW' },
): Promise<Booking> {
  const found = await loadBooking(input.bookingId);
  const viewerId = requireViewer(context);
  const allowed = (await isStaff(viewerId, found.organizationId)) || (await isCoachOfSession(viewerId, found.sessionId));
  if (!allowed) throw new ForbiddenError('error.forbidden.staffOrCoach');
  const now = context.clock.now();
  if (!attendanceOpen(found.session, now)) throw new AttendanceNotAllowedError('tooEarly');
  return transaction(async (tx) => {
    const booking = await lockBooking(tx, found.id);
    if (!['CONFIRMED', 'ATTENDED', 'NO_SHOW'].includes(booking.status) || found.session.status !== 'SCHEDULED') {
      throw new AttendanceNotAllowedError('inactive');
    }
    // A no-show whose credit was restored on a certificate stays a no-show.
    if (booking.creditRestoredAt && input.status === 'ATTENDED') throw new AttendanceNotAllowedError('inactive');
    return tx.booking.update({ where: { id: booking.id }, data: { status: input.status, attendanceAt: now } });
  });
}

/**
 * The organisation cancels a session (003 §8, 004): every active booking is cancelled and its
 * credit returned, and every booked member is told, all in one transaction. Credits forfeited by
 * late cancellations of that session are returned as well.
 */
export async function cancelSession(context: Context, input: { sessionId: string; reason: string }): Promise<Session> {
  const found = await loadSession(input.sessionId, 'sessionId');
  const staffId = await requireStaff(context, found.organizationId);
  const reason = input.reason.trim();
  if (!reason) throw new ValidationError([{ field: ['reason'], messageKey: 'validation.reasonRequired' }]);
  if (reason.length > 500) throw new ValidationError([{ field: ['reason'], messageKey: 'validation.tooLong', params: { max: 500 } }]);
  const now = context.clock.now();

  const session = await transactionThen(async (tx, effects) => {
    const [locked] = await tx.$queryRaw<Session[]>`SELECT * FROM "Session" WHERE "id" = ${found.id}::uuid FOR UPDATE`;
    if (!locked || locked.status === 'CANCELLED') throw new SessionAlreadyCancelledError();
    // Once a class has started it took place: its attendance and credits stand.
    if (locked.startsAt.getTime() <= now.getTime()) throw new SessionNotBookableError('started');
    const { sessions } = await cancelLockedSessions(tx, [found], { reason, actorId: staffId, now }, effects);
    return sessions[0]!;
  });
  changed(session)();
  return session;
}

/** An entitlement a cancellation touched: a booking's credit came back to it, or a waitlist hold was released. */
export interface AffectedCredit {
  memberId: string;
  entitlementId: string;
}

/**
 * The cancellation of sessions by the organisation, shared by `cancelSession` and `closeVenue`:
 * the caller locked the session rows (in id order, the first lock) and checked that each is
 * SCHEDULED and not started. Every active booking is CANCELLED with its credit returned (a paid
 * session refunded as a timely cancellation is), every credit lost to a late cancellation of them
 * comes back too, every booked member is emailed, and every waitlist is closed (holds released,
 * waiting members told). Bookings, then entitlements, are locked in id order across all the
 * sessions. Post-commit work goes to `effects`; the caller publishes `changed` for each session.
 */
export async function cancelLockedSessions(
  tx: Tx,
  sessions: SessionWithRules[],
  { reason, actorId, now, alsoLock = [] }: { reason: string; actorId: string | null; now: Date; alsoLock?: string[] },
  effects: AfterCommit[],
): Promise<{ sessions: Session[]; affected: AffectedCredit[] }> {
  if (sessions.length === 0) {
    await lockEntitlements(tx, alsoLock);
    return { sessions: [], affected: [] };
  }
  const ids = sessions.map((session) => session.id);
  const byId = new Map(sessions.map((session) => [session.id, session]));
  const bookings = await tx.$queryRaw<Booking[]>`
    SELECT * FROM "Booking"
     WHERE "sessionId" = ANY(${ids}::uuid[]) AND "status" IN ('CONFIRMED', 'ATTENDED', 'NO_SHOW', 'PENDING_PAYMENT')
     ORDER BY "id" FOR UPDATE`;
  // A credit lost to a late cancellation comes back too: the class it was for does not take place.
  const forfeited = await tx.$queryRaw<Booking[]>`
    SELECT b.* FROM "Booking" b
     WHERE b."sessionId" = ANY(${ids}::uuid[]) AND b."status" = 'LATE_CANCELLED' AND b."creditRestoredAt" IS NULL
       AND b."entitlementId" IS NOT NULL
       AND EXISTS (SELECT 1 FROM "CreditLedgerEntry" l WHERE l."bookingId" = b."id" AND l."reason" = 'FORFEIT')
     ORDER BY b."id" FOR UPDATE`;
  const waiting = await tx.waitlistEntry.findMany({
    where: { sessionId: { in: ids }, status: 'WAITING', entitlementId: { not: null } },
    select: { memberId: true, entitlementId: true },
  });
  const affected: AffectedCredit[] = [...bookings, ...forfeited, ...waiting].flatMap((row) =>
    row.entitlementId ? [{ memberId: row.memberId, entitlementId: row.entitlementId }] : [],
  );
  // Every entitlement at once, in id order (the waitlists' holds too, released below, and the
  // caller's `alsoLock`, e.g. the lots a closure extends).
  await lockEntitlements(tx, [...affected.map((credit) => credit.entitlementId), ...alsoLock]);
  for (const booking of bookings) {
    const session = byId.get(booking.sessionId)!;
    const cancelledBooking = await tx.booking.update({ where: { id: booking.id }, data: { status: 'CANCELLED', cancelledAt: now } });
    let creditReturned = false;
    // Paid per session: refunded (or its order cancelled), as a cancellation in time is.
    if (booking.orderId && !booking.entitlementId) await settleSessionOrder(tx, booking.orderId, true, now);
    if (booking.entitlementId && !booking.creditRestoredAt) {
      creditReturned = await returnCredit(
        tx,
        {
          entitlementId: booking.entitlementId,
          bookingId: booking.id,
          dedupeKey: `session-cancelled:${booking.id}`,
          note: `Session cancelled by the organization: ${reason}`,
          actorId,
        },
        now,
      );
    }
    await notifyMember(tx, booking.memberId, {
      organizationId: booking.organizationId,
      template: 'session-cancelled',
      payload: { bookingId: booking.id, reason, creditReturned, ...sessionSummary(session) },
      dedupeKey: `session-cancelled:${booking.id}`,
      at: now,
    });
    // A seat held for an online payment was never a confirmed booking (no booking.created).
    if (booking.status !== 'PENDING_PAYMENT') {
      await emitEvent(tx, bookingEvent('booking.cancelled', cancelledBooking, now, { sessionCancelled: true, creditReturned }));
    }
  }
  for (const booking of forfeited) {
    await returnCredit(
      tx,
      {
        entitlementId: booking.entitlementId!,
        bookingId: booking.id,
        dedupeKey: `session-cancelled:${booking.id}`,
        note: `Session cancelled by the organization after a late cancellation: ${reason}`,
        actorId,
      },
      now,
    );
    await tx.booking.update({ where: { id: booking.id }, data: { creditRestoredAt: now } });
  }
  const cancelled: Session[] = [];
  for (const session of sessions) {
    effects.push(...(await closeWaitlist(tx, session, 'session-cancelled', now)));
    const updated = await tx.session.update({
      where: { id: session.id },
      data: { status: 'CANCELLED', cancelledAt: now, cancellationReason: reason, seatsTaken: 0 },
    });
    await emitEvent(tx, sessionCancelledEvent(updated, now, reason));
    cancelled.push(updated);
  }
  return { sessions: cancelled, affected };
}
