import { randomUUID } from 'node:crypto';
import type { Context } from '../../context.js';
import { driverQuery } from '../../db/client.js';
import { bookingBlocker, bookingCancellationPolicy, cancellationOutcome, fitsAudience } from '../../domain/booking.js';
import { chooseCredits, type CreditLot } from '../../domain/credits.js';
import { AlreadyBookedError, NoCreditError, NotEligibleError, SessionFullError, SessionNotBookableError } from '../../domain/errors.js';
import type { Booking } from '../../generated/prisma/client.js';
import type { Audience, EntitlementStatus, LateCancellation, SessionStatus } from '../../generated/prisma/enums.js';
import { publishSessionChanged, sessionChanged } from '../../events/pubsub.js';
import { isUniqueViolation } from '../errors.js';

// Issue 13: the common booking in two statements instead of two dozen. A member books one of
// their own beneficiaries with a credit, nothing unusual about it: one read gathers everything the
// rules need (the session with its activity, venue and organisation rules, the beneficiary, an
// active booking already there, the credit lots), the pure rules of src/domain answer as they do
// on the general path, and one call of `book_session_with_credit` (migration
// 20261203040000_booking_fast_path) takes the seat, debits the credit and writes the booking, its
// ledger entry and its email atomically, in the general path's lock order. Anything else (staff on
// someone's behalf, a named credit, a paid session, a beneficiary on the waitlist, an erased
// account, an organisation with a webhook endpoint for booking.created (its event is written in the
// booking's transaction, src/services/integration/webhook-events.ts), a refusal whose precedence the general path decides) answers `null`, and bookSeat runs
// the general path, which answers exactly as before.

interface Row {
  ctx: {
    session: { id: string; organizationId: string; activityId: string; venueId: string; startsAt: string; status: SessionStatus; full: boolean };
    activity: { name: string; audience: Audience; minAgeMonths: number | null; maxAgeMonths: number | null };
    venue: { name: string; address: string; city: string; postalCode: string | null };
    timeZone: string;
    beneficiary: { memberId: string; firstName: string; birthDate: string; gone: boolean };
    booked: boolean;
    webhooks: boolean;
    lots: (Omit<CreditLot, 'validFrom' | 'validUntil' | 'status'> & { status: EntitlementStatus; validFrom: string; validUntil: string })[];
  };
}

/** Everything the rules of a credit booking need, in one statement; null when the session or beneficiary does not exist. */
async function readBookingContext(sessionId: string, beneficiaryId: string) {
  // A function (migration 20261204000000_booking_context), so that PostgreSQL plans it once per
  // connection rather than on every booking.
  const [row] = await driverQuery<Row>('SELECT "booking_context"($1::uuid, $2::uuid) AS ctx', [sessionId, beneficiaryId]);
  return row?.ctx ?? null;
}

/**
 * Books with a credit on the fast path, or answers null for the general path (see above). Throws
 * the same typed errors the general path would for the refusals it decides itself.
 */
export async function bookWithCreditFast(
  context: Context,
  input: { sessionId: string; beneficiaryId: string },
): Promise<{ booking: Booking; clientSecret: null } | null> {
  const viewerId = context.viewer?.memberId;
  if (!viewerId) return null;
  const ctx = await readBookingContext(input.sessionId, input.beneficiaryId);
  if (!ctx || ctx.beneficiary.gone || ctx.beneficiary.memberId !== viewerId || ctx.webhooks) return null;
  const now = context.clock.now();
  const session = { ...ctx.session, startsAt: new Date(ctx.session.startsAt) };
  const blocker = bookingBlocker(session, now);
  if (blocker) throw new SessionNotBookableError(blocker);
  const birthDate = new Date(`${ctx.beneficiary.birthDate}T00:00:00Z`);
  if (!fitsAudience(ctx.activity, birthDate, session.startsAt, ctx.timeZone)) throw new NotEligibleError('error.notEligible.age');
  if (ctx.booked) throw new AlreadyBookedError();
  const lots: CreditLot[] = ctx.lots.map((lot) => ({ ...lot, validFrom: new Date(lot.validFrom), validUntil: new Date(lot.validUntil) }));
  const choice = chooseCredits(lots, session, input.beneficiaryId, now);
  if (!choice.ok) return null;
  // Full when read (migration 20261205010000): refused here, where the call's seat update would
  // have refused it, without the call. Not full: the call's UPDATE takes the seat or says why not.
  if (ctx.session.full) throw new SessionFullError();

  const memberId = ctx.beneficiary.memberId;
  const bookingId = uuidv7();
  const payload = {
    bookingId,
    beneficiary: ctx.beneficiary.firstName,
    sessionId: session.id,
    activity: ctx.activity.name,
    startsAt: session.startsAt.toISOString(),
    timeZone: ctx.timeZone,
    venue: ctx.venue,
  };
  let answer: string;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const [row] = await driverQuery<{ answer: string }>(
        `SELECT "book_session_with_credit"($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::timestamptz, $6::uuid[], $7::timestamptz,
                                           $8::uuid, $9::uuid, $10::uuid, $11::uuid, $12::jsonb) AS "answer"`,
        [
          session.id, input.beneficiaryId, memberId, session.organizationId, session.startsAt, choice.candidates.map((lot) => lot.id), now,
          bookingId, uuidv7(), uuidv7(), uuidv7(), JSON.stringify(payload),
        ],
      );
      answer = row!.answer;
      break;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes('booking:no-credit')) throw new NoCreditError();
      if (message.includes('booking:on-waitlist')) return null;
      if (isUniqueViolation(error) || /\b23505\b|duplicate key/.test(message)) throw new AlreadyBookedError();
      // A deadlock broken by PostgreSQL rolled the whole statement back: running it again is safe.
      if (attempt < 3 && /\b40P01\b|deadlock detected/.test(message)) continue;
      throw error;
    }
  }
  if (answer === 'member-gone') return null;
  if (answer.startsWith('no-seat ')) {
    // The session as the refusal found it (migration 20261204020000_booking_no_seat_reason).
    const current = JSON.parse(answer.slice('no-seat '.length)) as { status: SessionStatus; startsAt: string };
    const why = bookingBlocker({ status: current.status, startsAt: new Date(current.startsAt) }, now);
    throw why ? new SessionNotBookableError(why) : new SessionFullError();
  }
  const entitlementId = answer;
  publishSessionChanged(sessionChanged(session));
  const booking: Booking = {
    id: bookingId,
    organizationId: session.organizationId,
    sessionId: session.id,
    beneficiaryId: input.beneficiaryId,
    memberId,
    bookedById: null,
    entitlementId,
    orderId: null,
    status: 'CONFIRMED',
    rescheduledFromId: null,
    createdAt: now,
    cancelledAt: null,
    creditRestoredAt: null,
    attendanceAt: null,
    paymentHoldUntil: null,
  };
  return { booking, clientSecret: null };
}

/**
 * A version 7 UUID (time-ordered), as Prisma's `uuid(7)` default makes them: the milliseconds in
 * the first 48 bits, the rest from `randomUUID` (random, with the RFC 9562 variant), which draws
 * from a buffer of entropy instead of a system call per id (`randomBytes` cost 60 µs for a
 * booking's four ids).
 */
function uuidv7(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`;
}

// The common cancellation the same way: a member cancels their own credit booking, in time or
// late, nobody waiting for the seat. One read gathers the booking, its session's rules and the
// offer's late-cancellation rule; `cancellationOutcome` decides as on the general path; one call
// of `cancel_booking_with_credit` (migration 20261203070000_cancel_fast_path) cancels under the
// general path's locks, or answers 'general' having written nothing when what the outcome rests
// on changed meanwhile or when the general path has more to do (a waitlist, a webhook endpoint).
// Staff cancelling for a member, a booking paid per session, any refusal: the general path.

interface CancelRow {
  ctx: {
    booking: Omit<Booking, 'createdAt' | 'cancelledAt' | 'creditRestoredAt' | 'attendanceAt' | 'paymentHoldUntil'> & {
      createdAt: string;
      creditRestoredAt: string | null;
      attendanceAt: string | null;
      paymentHoldUntil: string | null;
    };
    session: { id: string; organizationId: string; activityId: string; venueId: string; startsAt: string; changedAt: string | null };
    activity: { name: string; cancellationNoticeHours: number; lateCancellation: LateCancellation };
    offerLateCancellation: LateCancellation | null;
    venue: { name: string; address: string; city: string; postalCode: string | null };
    timeZone: string;
  };
}

async function readCancellationContext(bookingId: string) {
  // A function (migration 20261204010000_cancellation_context): planned once per connection.
  const [row] = await driverQuery<CancelRow>('SELECT "cancellation_context"($1::uuid) AS ctx', [bookingId]);
  return row?.ctx ?? null;
}

/** Cancels on the fast path, or answers null for the general path (see above). */
export async function cancelWithCreditFast(
  context: Context,
  input: { bookingId: string },
): Promise<{ booking: Booking; creditReturned: boolean } | null> {
  const viewerId = context.viewer?.memberId;
  if (!viewerId) return null;
  const ctx = await readCancellationContext(input.bookingId);
  const found = ctx?.booking;
  if (!ctx || !found || found.memberId !== viewerId || found.status !== 'CONFIRMED' || !found.entitlementId || found.orderId) return null;
  const now = context.clock.now();
  const session = {
    ...ctx.session,
    startsAt: new Date(ctx.session.startsAt),
    changedAt: ctx.session.changedAt === null ? null : new Date(ctx.session.changedAt),
  };
  const booking = {
    ...found,
    createdAt: new Date(found.createdAt),
    creditRestoredAt: found.creditRestoredAt === null ? null : new Date(found.creditRestoredAt),
    attendanceAt: found.attendanceAt === null ? null : new Date(found.attendanceAt),
    paymentHoldUntil: found.paymentHoldUntil === null ? null : new Date(found.paymentHoldUntil),
  };
  const outcome = cancellationOutcome(session, bookingCancellationPolicy(ctx.activity, { lateCancellation: ctx.offerLateCancellation }), now, booking);
  if (outcome.kind === 'STARTED') return null;
  const payload = {
    bookingId: booking.id,
    late: outcome.kind === 'LATE',
    creditReturned: outcome.creditReturned,
    sessionId: session.id,
    activity: ctx.activity.name,
    startsAt: session.startsAt.toISOString(),
    timeZone: ctx.timeZone,
    venue: ctx.venue,
  };
  const note = outcome.creditReturned
    ? outcome.kind === 'LATE'
      ? 'Late cancellation, re-credited by the offer or activity policy.'
      : 'Cancelled in time.'
    : `Late cancellation: less than ${ctx.activity.cancellationNoticeHours} h before the start.`;
  const [row] = await driverQuery<{ answer: string }>(
    `SELECT "cancel_booking_with_credit"($1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::timestamptz, $6::timestamptz, $7::text,
                                         $8::boolean, $9::text, $10::uuid, $11::uuid, $12::uuid, $13::jsonb) AS "answer"`,
    [
      booking.id, session.id, session.organizationId, session.startsAt, session.changedAt, now, outcome.status, outcome.creditReturned,
      note, uuidv7(), uuidv7(), uuidv7(), JSON.stringify(payload),
    ],
  );
  if (row?.answer !== 'ok') return null;
  publishSessionChanged(sessionChanged(session));
  return { booking: { ...booking, status: outcome.status, cancelledAt: now }, creditReturned: outcome.creditReturned };
}
