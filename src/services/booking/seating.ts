import { prisma } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { bookingBlocker } from '../../domain/booking.js';
import { chooseCredits, lotFit } from '../../domain/credits.js';
import { NoCreditError, NotEligibleError, NotFoundError, SessionFullError, SessionNotBookableError } from '../../domain/errors.js';
import { publishSessionChanged, sessionChanged } from '../../events/pubsub.js';
import type { Booking, Entitlement } from '../../generated/prisma/client.js';
import { loadCreditLots, lockEntitlements } from '../credit/ledger.js';
import { bookingEvent, emitEvent } from '../integration/webhook-events.js';
import { notifyMember } from '../notifications.js';

// Seats and credits as bookings and the waitlist take and free them. Every use case that changes
// a session's bookings or waitlist locks the session row first (sessions by id, then bookings,
// then entitlements by id), so concurrent use cases serialise per session and cannot deadlock.

export const sessionWithRules = {
  activity: true,
  venue: true,
  organization: {
    select: {
      id: true,
      timeZone: true,
      slug: true,
      waitlistPolicy: true,
      waitlistClaimDeadlineHours: true,
      waitlistOfferWindowMinutes: true,
      currency: true,
      inPersonPaymentAllowed: true,
      paymentHoldMinutes: true,
    },
  },
} as const;

export async function loadSession(id: string, field: string) {
  const session = await prisma.session.findUnique({ where: { id }, include: sessionWithRules });
  if (!session) throw new NotFoundError('entity.session', [field]);
  return session;
}

export function changed(session: Parameters<typeof sessionChanged>[0]): () => void {
  return () => publishSessionChanged(sessionChanged(session));
}

/** Takes one seat by compare-and-swap; explains precisely why when none could be taken. */
export async function takeSeat(tx: Tx, sessionId: string, now: Date): Promise<void> {
  const taken = await tx.$executeRaw`
    UPDATE "Session" SET "seatsTaken" = "seatsTaken" + 1
     WHERE "id" = ${sessionId}::uuid AND "status" = 'SCHEDULED' AND "startsAt" > ${now}
       AND "seatsTaken" < "capacity"`;
  if (taken === 1) return;
  const current = await tx.session.findUniqueOrThrow({ where: { id: sessionId } });
  const blocker = bookingBlocker(current, now);
  if (blocker) throw new SessionNotBookableError(blocker);
  throw new SessionFullError();
}

/** Locks session rows in id order (the first lock of every use case that changes bookings). */
export async function lockSessions(tx: Tx, ids: string[]): Promise<void> {
  for (const id of [...ids].sort()) {
    await tx.$queryRaw`SELECT 1 FROM "Session" WHERE "id" = ${id}::uuid FOR UPDATE`;
  }
}

export async function freeSeat(tx: Tx, sessionId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE "Session" SET "seatsTaken" = "seatsTaken" - 1 WHERE "id" = ${sessionId}::uuid AND "seatsTaken" > 0`;
}

/**
 * Picks and locks the credit a booking uses: the one that expires first unless the caller named
 * one. The chosen lot is re-read under its row lock; if a concurrent booking emptied it
 * meanwhile, the next candidate is tried.
 */
export async function takeCredit(
  tx: Tx,
  session: { id: string; organizationId: string; activityId: string; venueId: string; startsAt: Date },
  beneficiaryId: string,
  requestedId: string | null | undefined,
  now: Date,
): Promise<Entitlement> {
  const lots = await loadCreditLots(tx, beneficiaryId, session.organizationId);
  if (requestedId && !lots.some((lot) => lot.id === requestedId)) {
    // Not among the usable lots: say whether it exists, is someone else's, or is empty/expired.
    // Someone else's lot answers like one that does not exist: ids reveal nothing.
    const named = await tx.entitlement.findUnique({ where: { id: requestedId } });
    if (!named || named.beneficiaryId !== beneficiaryId) throw new NotFoundError('entity.entitlement', ['entitlementId']);
    if (named.organizationId !== session.organizationId) throw new NotEligibleError('error.notEligible.otherOrganization');
    throw new NoCreditError();
  }
  const choice = chooseCredits(lots, session, beneficiaryId, now, requestedId);
  if (!choice.ok) {
    if (choice.reason === 'NOT_ELIGIBLE') throw new NotEligibleError('error.notEligible.credit');
    throw new NoCreditError();
  }
  // Every candidate is locked at once in id order (the fixed lock order), then the first that
  // still fits, in credit order, is used: a concurrent booking may have emptied one meanwhile.
  const locked = new Map((await lockEntitlements(tx, choice.candidates.map((lot) => lot.id))).map((row) => [row.id, row]));
  for (const candidate of choice.candidates) {
    const row = locked.get(candidate.id);
    if (!row) continue;
    const fresh = { ...candidate, status: row.status, validUntil: row.validUntil, creditsRemaining: row.creditsRemaining };
    if (lotFit(fresh, session, beneficiaryId, now) === 'OK') return row;
  }
  throw new NoCreditError();
}


export type SessionWithRules = Awaited<ReturnType<typeof loadSession>>;

/**
 * A confirmed booking's effects, in its transaction: the member's confirmation email and the
 * `booking.created` event (booked at once, or once its online payment succeeded).
 */
export async function announceBooking(tx: Tx, booking: Booking, beneficiaryFirstName: string, session: SessionWithRules, now: Date): Promise<void> {
  await notifyMember(tx, booking.memberId, {
    organizationId: booking.organizationId,
    template: 'booking-confirmed',
    payload: { bookingId: booking.id, beneficiary: beneficiaryFirstName, ...sessionSummary(session) },
    dedupeKey: `booking-confirmed:${booking.id}`,
    at: now,
  });
  await emitEvent(tx, bookingEvent('booking.created', booking, now));
}

export function sessionSummary(session: SessionWithRules) {
  return {
    sessionId: session.id,
    activity: session.activity.name,
    startsAt: session.startsAt.toISOString(),
    timeZone: session.organization.timeZone,
    venue: { name: session.venue.name, address: session.venue.address, city: session.venue.city, postalCode: session.venue.postalCode },
  };
}

