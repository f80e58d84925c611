import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transactionThen, type Tx } from '../../db/transaction.js';
import { bookingBlocker, fitsAudience } from '../../domain/booking.js';
import {
  AlreadyBookedError,
  AlreadyOnWaitlistError,
  NotEligibleError,
  NotFoundError,
  OfferExpiredError,
  OfferTakenError,
  SessionNotBookableError,
  SessionNotFullError,
  ValidationError,
  WaitlistClosedError,
} from '../../domain/errors.js';
import { claimDeadline, freedSeatGoesTo, offerExpiresAt, waitlistOpen, type WaitlistSettings } from '../../domain/waitlist.js';
import { publishWaitlistOfferChanged } from '../../events/pubsub.js';
import { claimLink } from '../../links.js';
import type { Booking, DueJob, Session, WaitlistEntry, WaitlistOffer } from '../../generated/prisma/client.js';
import { enqueue } from '../../jobs/queue.js';
import type { AfterCommit } from '../../jobs/worker.js';
import { holdLiveMember, joinOrganization, requireOwnerOrStaff } from '../access.js';
import { insertUnique } from '../errors.js';
import { appendEntry, lockEntitlement, lockEntitlements } from '../credit/ledger.js';
import { notifyMember } from '../notifications.js';
import { bookingEvent, emitEvent, globalId } from '../integration/webhook-events.js';
import {
  changed,
  loadSession,
  lockSessions,
  sessionSummary,
  takeCredit,
  type SessionWithRules,
} from './seating.js';

// The waitlist (SPEC §6, seed 002, 003 §7). Joining a full session holds one credit (HOLD). A freed
// seat is held for the waitlist as a "round" (it counts in seatsTaken, so nobody else can book it)
// and offered according to the organisation's policy; the first claim wins the round under the
// session's row lock, so there is exactly one winner per freed seat however many claim at once, on
// whichever instance. At the claim deadline every remaining entry closes and its credit is released.
// Every change to a session's waitlist locks the session row first (see seating.ts).

const settingsOf = (session: SessionWithRules): WaitlistSettings => session.organization;

/** Post-commit notifications collected during a transaction. */
type Effects = AfterCommit[];

function offerChanged(effects: Effects, memberId: string, offerId: string): void {
  effects.push(() => publishWaitlistOfferChanged({ memberId, offerId }));
}

async function lockSession(tx: Tx, id: string): Promise<Session> {
  await lockSessions(tx, [id]);
  return tx.session.findUniqueOrThrow({ where: { id } });
}

/** Releases an entry's held credit (RELEASE), and expires it again if its lot is no longer valid. */
async function releaseHold(tx: Tx, entry: WaitlistEntry, note: string, now: Date): Promise<void> {
  if (!entry.entitlementId) return;
  const lot = await lockEntitlement(tx, entry.entitlementId);
  if (!lot) return;
  const dedupeKey = `release:${entry.id}`;
  await appendEntry(tx, { entitlementId: lot.id, delta: 1, reason: 'RELEASE', waitlistEntryId: entry.id, note, dedupeKey, createdAt: now });
  if (lot.status !== 'ACTIVE' || lot.validUntil.getTime() <= now.getTime()) {
    await appendEntry(tx, {
      entitlementId: lot.id,
      delta: -1,
      reason: 'EXPIRE',
      waitlistEntryId: entry.id,
      note: 'Released to a lot that is no longer valid.',
      dedupeKey: `${dedupeKey}:expired`,
      createdAt: now,
    });
  }
}

async function waitingEntries(tx: Tx, sessionId: string): Promise<WaitlistEntry[]> {
  return tx.waitlistEntry.findMany({ where: { sessionId, status: 'WAITING' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

async function createOffer(
  tx: Tx,
  session: SessionWithRules,
  roundId: string,
  entry: WaitlistEntry,
  now: Date,
  effects: Effects,
): Promise<WaitlistOffer> {
  const expiresAt = offerExpiresAt(settingsOf(session), session, now);
  const offer = await tx.waitlistOffer.create({
    data: { roundId, sessionId: session.id, waitlistEntryId: entry.id, expiresAt, createdAt: now },
  });
  if (session.organization.waitlistPolicy === 'ONE_AT_A_TIME') {
    await enqueue(tx, {
      kind: 'WAITLIST_OFFER_WINDOW',
      runAt: expiresAt,
      organizationId: session.organizationId,
      dedupeKey: `offer-window:${offer.id}`,
      payload: { offerId: offer.id },
    });
  }
  const beneficiary = await tx.beneficiary.findUniqueOrThrow({ where: { id: entry.beneficiaryId }, select: { firstName: true } });
  await notifyMember(tx, entry.memberId, {
    organizationId: session.organizationId,
    template: 'waitlist-offer',
    payload: {
      offerId: offer.id,
      claimUrl: claimLink(offer.id),
      expiresAt: expiresAt.toISOString(),
      beneficiary: beneficiary.firstName,
      ...sessionSummary(session),
    },
    dedupeKey: `waitlist-offer:${offer.id}`,
    at: now,
  });
  offerChanged(effects, entry.memberId, offer.id);
  return offer;
}

/**
 * Books a waiting entry into a seat already counted in seatsTaken (a round's, or a freed seat on
 * AUTO_PROMOTE): its held credit pays for the booking (RELEASE then DEBIT, linked to both).
 */
async function promote(tx: Tx, session: SessionWithRules, entry: WaitlistEntry, now: Date, effects: Effects): Promise<Booking> {
  const booking: Booking = await insertUnique(
    () =>
      tx.booking.create({
        data: {
          organizationId: session.organizationId,
          sessionId: session.id,
          beneficiaryId: entry.beneficiaryId,
          memberId: entry.memberId,
          entitlementId: entry.entitlementId,
          createdAt: now,
        },
      }),
    () => new AlreadyBookedError(),
  );
  if (entry.entitlementId) {
    await lockEntitlement(tx, entry.entitlementId);
    await appendEntry(tx, {
      entitlementId: entry.entitlementId,
      delta: 1,
      reason: 'RELEASE',
      waitlistEntryId: entry.id,
      bookingId: booking.id,
      note: 'The held credit pays for the seat.',
      dedupeKey: `release:${entry.id}`,
      createdAt: now,
    });
    await appendEntry(tx, { entitlementId: entry.entitlementId, delta: -1, reason: 'DEBIT', bookingId: booking.id, createdAt: now });
  }
  await tx.waitlistEntry.update({ where: { id: entry.id }, data: { status: 'PROMOTED', closedAt: now } });
  await tx.session.update({ where: { id: session.id }, data: { waitlistLength: { decrement: 1 } } });
  await expireOpenOffers(tx, entry, now, effects);
  const beneficiary = await tx.beneficiary.findUniqueOrThrow({ where: { id: entry.beneficiaryId }, select: { firstName: true } });
  await notifyMember(tx, entry.memberId, {
    organizationId: session.organizationId,
    template: 'booking-confirmed',
    payload: { bookingId: booking.id, beneficiary: beneficiary.firstName, fromWaitlist: true, ...sessionSummary(session) },
    dedupeKey: `booking-confirmed:${booking.id}`,
    at: now,
  });
  await emitEvent(tx, bookingEvent('booking.created', booking, now, { fromWaitlist: true }));
  return booking;
}

/**
 * Seats were just freed in this transaction (the session row is locked and seatsTaken already
 * lowered): hand each to the waitlist per the organisation's policy, or leave it bookable by all.
 */
export async function offerFreedSeats(
  tx: Tx,
  session: SessionWithRules,
  freed: number,
  now: Date,
): Promise<Effects> {
  const effects: Effects = [];
  for (let seat = 0; seat < freed; seat += 1) {
    const waiting = await waitingEntries(tx, session.id);
    const openRounds = await tx.waitlistRound.count({ where: { sessionId: session.id, status: 'OPEN' } });
    const fate = freedSeatGoesTo(settingsOf(session), {
      waiting: waiting.length,
      openRounds,
      open: waitlistOpen(session, settingsOf(session), now),
    });
    if (fate === 'PUBLIC') break;
    // The seat is held for the waitlist: nobody else can book it meanwhile.
    await tx.session.update({ where: { id: session.id }, data: { seatsTaken: { increment: 1 } } });
    if (fate === 'PROMOTE_FIRST') {
      await promote(tx, session, waiting[0]!, now, effects);
      await settleRounds(tx, session, now, effects);
      continue;
    }
    const round = await tx.waitlistRound.create({ data: { sessionId: session.id, createdAt: now } });
    // ONE_AT_A_TIME: the first in line who is not already being offered a seat.
    const offered = fate === 'OFFER_ALL' ? waiting : (await notBeingOffered(tx, waiting)).slice(0, 1);
    for (const entry of offered) await createOffer(tx, session, round.id, entry, now, effects);
    if (offered.length === 0) await settleRounds(tx, session, now, effects);
  }
  return effects;
}

/** The entries, in line order, that hold no OPEN offer right now. */
async function notBeingOffered(tx: Tx, entries: WaitlistEntry[]): Promise<WaitlistEntry[]> {
  const busy = new Set(
    (
      await tx.waitlistOffer.findMany({
        where: { waitlistEntryId: { in: entries.map((entry) => entry.id) }, status: 'OPEN' },
        select: { waitlistEntryId: true },
      })
    ).map((offer) => offer.waitlistEntryId),
  );
  return entries.filter((entry) => !busy.has(entry.id));
}

/** Closes an entry's OPEN offers (it left, won a seat, or booked one directly). */
async function expireOpenOffers(tx: Tx, entry: WaitlistEntry, now: Date, effects: Effects): Promise<void> {
  const open = await tx.waitlistOffer.findMany({ where: { waitlistEntryId: entry.id, status: 'OPEN' } });
  for (const offer of open) {
    await tx.waitlistOffer.update({ where: { id: offer.id }, data: { status: 'EXPIRED', resolvedAt: now } });
    offerChanged(effects, entry.memberId, offer.id);
  }
}

/**
 * A beneficiary who waits for a session books a seat of it directly (a seat anyone could book):
 * their place in line closes with its credit released, so they never hold two seats' worth.
 * The session row is locked by the caller.
 */
export async function leaveOnBooking(tx: Tx, session: SessionWithRules, beneficiaryId: string, now: Date): Promise<Effects> {
  const effects: Effects = [];
  const entry = await tx.waitlistEntry.findFirst({ where: { sessionId: session.id, beneficiaryId, status: 'WAITING' } });
  if (!entry) return effects;
  await tx.waitlistEntry.update({ where: { id: entry.id }, data: { status: 'LEFT', closedAt: now } });
  await releaseHold(tx, entry, 'Booked a seat directly.', now);
  await tx.session.update({ where: { id: session.id }, data: { waitlistLength: { decrement: 1 } } });
  await expireOpenOffers(tx, entry, now, effects);
  await settleRounds(tx, session, now, effects);
  return effects;
}

/**
 * Rounds left with no open offer: under ONE_AT_A_TIME the next in line (not yet offered this
 * round) gets the seat in turn; otherwise the round closes and its seat becomes bookable by all.
 */
async function settleRounds(tx: Tx, session: SessionWithRules, now: Date, effects: Effects): Promise<void> {
  const rounds = await tx.waitlistRound.findMany({
    where: { sessionId: session.id, status: 'OPEN', offers: { none: { status: 'OPEN' } } },
    include: { offers: { select: { waitlistEntryId: true } } },
    orderBy: { createdAt: 'asc' },
  });
  for (const round of rounds) {
    if (session.organization.waitlistPolicy === 'ONE_AT_A_TIME' && waitlistOpen(session, settingsOf(session), now)) {
      const offeredIds = new Set(round.offers.map((offer) => offer.waitlistEntryId));
      const candidates = (await waitingEntries(tx, session.id)).filter((entry) => !offeredIds.has(entry.id));
      const [next] = await notBeingOffered(tx, candidates);
      if (next) {
        await createOffer(tx, session, round.id, next, now, effects);
        continue;
      }
    }
    await closeRound(tx, session, round.id, now, effects);
  }
  // Never more seats held than people waiting (someone left, or won elsewhere): the newest go
  // back to everyone.
  const waiting = await tx.waitlistEntry.count({ where: { sessionId: session.id, status: 'WAITING' } });
  const open = await tx.waitlistRound.findMany({ where: { sessionId: session.id, status: 'OPEN' }, orderBy: { createdAt: 'desc' } });
  for (const round of open.slice(0, Math.max(0, open.length - waiting))) await closeRound(tx, session, round.id, now, effects);
}

async function closeRound(tx: Tx, session: SessionWithRules, roundId: string, now: Date, effects: Effects): Promise<void> {
  const offers = await tx.waitlistOffer.findMany({
    where: { roundId, status: 'OPEN' },
    include: { waitlistEntry: { select: { memberId: true } } },
  });
  for (const offer of offers) {
    await tx.waitlistOffer.update({ where: { id: offer.id }, data: { status: 'EXPIRED', resolvedAt: now } });
    offerChanged(effects, offer.waitlistEntry.memberId, offer.id);
  }
  await tx.waitlistRound.update({ where: { id: roundId }, data: { status: 'EXPIRED', closedAt: now } });
  await tx.session.update({ where: { id: session.id }, data: { seatsTaken: { decrement: 1 } } });
}

export async function joinWaitlist(
  context: Context,
  input: { sessionId: string; beneficiaryId: string; entitlementId?: string | null },
): Promise<WaitlistEntry> {
  const [session, beneficiary] = await Promise.all([
    loadSession(input.sessionId, 'sessionId'),
    prisma.beneficiary.findUnique({ where: { id: input.beneficiaryId } }),
  ]);
  if (!beneficiary || beneficiary.erasedAt || beneficiary.removedAt) throw new NotFoundError('entity.beneficiary', ['beneficiaryId']);
  await requireOwnerOrStaff(
    context,
    { memberId: beneficiary.memberId, entity: 'entity.beneficiary', field: 'beneficiaryId' },
    session.organizationId,
  );
  const now = context.clock.now();
  const blocker = bookingBlocker(session, now);
  if (blocker) throw new SessionNotBookableError(blocker);
  if (!waitlistOpen(session, settingsOf(session), now)) throw new WaitlistClosedError();
  if (!fitsAudience(session.activity, beneficiary.birthDate, session.startsAt, session.organization.timeZone)) {
    throw new NotEligibleError('error.notEligible.age');
  }

  const entry = await transactionThen(async (tx, effects) => {
    await holdLiveMember(tx, beneficiary.memberId, { entity: 'entity.beneficiary', field: 'beneficiaryId' });
    const locked = await lockSession(tx, session.id);
    // Decided again under the lock: the deadline job or a cancellation may have run meanwhile.
    const lockedNow = context.clock.now();
    if (locked.status !== 'SCHEDULED') throw new SessionNotBookableError('cancelled');
    if (!waitlistOpen(locked, settingsOf(session), lockedNow)) throw new WaitlistClosedError();
    const booked = await tx.booking.count({
      where: { sessionId: session.id, beneficiaryId: beneficiary.id, status: { in: ['CONFIRMED', 'ATTENDED', 'NO_SHOW', 'PENDING_PAYMENT'] } },
    });
    if (booked > 0) throw new AlreadyBookedError();
    const waiting = await tx.waitlistEntry.count({ where: { sessionId: session.id, beneficiaryId: beneficiary.id, status: 'WAITING' } });
    if (waiting > 0) throw new AlreadyOnWaitlistError();
    if (locked.seatsTaken < locked.capacity) throw new SessionNotFullError();
    const lot = await takeCredit(tx, session, beneficiary.id, input.entitlementId, now);
    const created: WaitlistEntry = await insertUnique(
      () =>
        tx.waitlistEntry.create({
          data: {
            sessionId: session.id,
            beneficiaryId: beneficiary.id,
            memberId: beneficiary.memberId,
            entitlementId: lot.id,
            createdAt: now,
          },
        }),
      () => new AlreadyOnWaitlistError(),
    );
    await appendEntry(tx, {
      entitlementId: lot.id,
      delta: -1,
      reason: 'HOLD',
      waitlistEntryId: created.id,
      note: 'Held while waiting for a seat.',
      createdAt: now,
    });
    await tx.session.update({ where: { id: session.id }, data: { waitlistLength: { increment: 1 } } });
    await joinOrganization(tx, beneficiary.memberId, session.organizationId);
    // A seat already being offered is offered to newcomers too (first click wins among all waiting).
    if (session.organization.waitlistPolicy === 'FIRST_CLICK_WINS') {
      const rounds = await tx.waitlistRound.findMany({ where: { sessionId: session.id, status: 'OPEN' } });
      for (const round of rounds) await createOffer(tx, session, round.id, created, now, effects);
    }
    await scheduleDeadline(tx, session);
    return created;
  });
  changed(session)();
  return entry;
}

async function loadEntry(id: string) {
  const entry = await prisma.waitlistEntry.findUnique({ where: { id } });
  if (!entry) throw new NotFoundError('entity.waitlistEntry', ['waitlistEntryId']);
  return entry;
}

/** Leaves the waitlist: the held credit is released, and open offers to this entry close. */
export async function leaveWaitlist(context: Context, input: { waitlistEntryId: string }): Promise<WaitlistEntry> {
  const found = await loadEntry(input.waitlistEntryId);
  const session = await loadSession(found.sessionId, 'waitlistEntryId');
  await requireOwnerOrStaff(context, { memberId: found.memberId, entity: 'entity.waitlistEntry', field: 'waitlistEntryId' }, session.organizationId);
  const now = context.clock.now();
  const left = await transactionThen(async (tx, effects) => {
    await lockSession(tx, session.id);
    const entry = await tx.waitlistEntry.findUniqueOrThrow({ where: { id: found.id } });
    if (entry.status !== 'WAITING') throw new ValidationError([{ field: ['waitlistEntryId'], messageKey: 'validation.notWaiting' }]);
    return leaveLockedEntry(tx, session, entry, now, effects);
  });
  changed(session)();
  return left;
}

/**
 * Leaves the waitlist for a WAITING entry whose session row the caller locked: the held credit is
 * released, open offers to it close and seats held for the line are settled again. Shared by
 * `leaveWaitlist` and the erasure of an account (personal-data.ts); post-commit work goes to
 * `effects`, and the caller publishes `changed(session)` after commit.
 */
export async function leaveLockedEntry(
  tx: Tx,
  session: SessionWithRules,
  entry: WaitlistEntry,
  now: Date,
  effects: Effects,
): Promise<WaitlistEntry> {
  const updated = await tx.waitlistEntry.update({ where: { id: entry.id }, data: { status: 'LEFT', closedAt: now } });
  await releaseHold(tx, entry, 'Left the waitlist.', now);
  await tx.session.update({ where: { id: session.id }, data: { waitlistLength: { decrement: 1 } } });
  await expireOpenOffers(tx, entry, now, effects);
  await settleRounds(tx, session, now, effects);
  return updated;
}

/**
 * Claims a freed seat (002: first click wins). Under the session's row lock: the offer must be
 * OPEN and unexpired and its entry still waiting; the first open round this entry was offered
 * (its own first) is won; the entry is booked with its held credit. Everyone else's offers in that
 * round become TAKEN (they stay on the list); when no round is left, the answer is OFFER_TAKEN.
 */
export async function claimWaitlistOffer(context: Context, input: { offerId: string }): Promise<Booking> {
  const found = await prisma.waitlistOffer.findUnique({ where: { id: input.offerId }, include: { waitlistEntry: true } });
  if (!found) throw new NotFoundError('entity.waitlistOffer', ['offerId']);
  const session = await loadSession(found.sessionId, 'offerId');
  await requireOwnerOrStaff(context, { memberId: found.waitlistEntry.memberId, entity: 'entity.waitlistOffer', field: 'offerId' }, session.organizationId);
  const now = context.clock.now();
  const booking = await transactionThen(async (tx, effects) => {
    await holdLiveMember(tx, found.waitlistEntry.memberId, { entity: 'entity.waitlistOffer', field: 'offerId' });
    await lockSession(tx, session.id);
    const offer = await tx.waitlistOffer.findUniqueOrThrow({ where: { id: found.id } });
    const entry = await tx.waitlistEntry.findUniqueOrThrow({ where: { id: offer.waitlistEntryId } });
    // Clicking again after winning answers the booking already made.
    if (offer.status === 'CLAIMED' && offer.bookingId) return tx.booking.findUniqueOrThrow({ where: { id: offer.bookingId } });
    if (entry.status !== 'WAITING' || !waitlistOpen(session, settingsOf(session), now)) throw new OfferExpiredError();
    if (offer.status === 'OPEN' && offer.expiresAt.getTime() <= now.getTime()) throw new OfferExpiredError();

    // The round of this offer if still open, else another open round this entry was offered
    // (two seats freed: losing one still leaves the other to claim).
    const candidates = await tx.waitlistOffer.findMany({
      where: { waitlistEntryId: entry.id, status: 'OPEN', expiresAt: { gt: now }, round: { status: 'OPEN' } },
      orderBy: { createdAt: 'asc' },
    });
    const won = candidates.find((candidate) => candidate.id === offer.id) ?? candidates[0];
    if (!won) throw offer.status === 'OPEN' || offer.status === 'TAKEN' ? new OfferTakenError() : new OfferExpiredError();
    await tx.waitlistRound.update({ where: { id: won.roundId }, data: { status: 'CLAIMED', winnerEntryId: entry.id, closedAt: now } });
    await tx.waitlistOffer.update({ where: { id: won.id }, data: { status: 'CLAIMED', resolvedAt: now } });
    offerChanged(effects, entry.memberId, won.id);
    // Booked with the held credit; the winner's other offers close.
    const created = await promote(tx, session, entry, now, effects);
    await tx.waitlistOffer.update({ where: { id: won.id }, data: { bookingId: created.id } });
    await emitEvent(tx, {
      organizationId: session.organizationId,
      type: 'waitlist.offer_claimed',
      dedupeKey: `waitlist.offer_claimed:${won.id}`,
      at: now,
      data: {
        waitlistOffer: { id: globalId('WaitlistOffer', won.id), status: 'CLAIMED' },
        waitlistEntryId: globalId('WaitlistEntry', entry.id),
        booking: { id: globalId('Booking', created.id), sessionId: globalId('Session', session.id), beneficiaryId: globalId('Beneficiary', entry.beneficiaryId), memberId: globalId('Member', entry.memberId) },
      },
    });
    // Everyone else's offers for this seat are TAKEN; they stay in line.
    const losers = await tx.waitlistOffer.findMany({
      where: { roundId: won.roundId, status: 'OPEN' },
      include: { waitlistEntry: { select: { memberId: true } } },
    });
    for (const loser of losers) {
      await tx.waitlistOffer.update({ where: { id: loser.id }, data: { status: 'TAKEN', resolvedAt: now } });
      offerChanged(effects, loser.waitlistEntry.memberId, loser.id);
    }
    await settleRounds(tx, session, now, effects);
    return created;
  });
  changed(session)();
  return booking;
}

/**
 * Closes a session's waitlist (at the claim deadline, or when the session is cancelled): every
 * waiting entry closes with its credit released and its member told, open offers expire, and the
 * seats held for them become bookable by all (unless the session was cancelled).
 */
export async function closeWaitlist(
  tx: Tx,
  session: SessionWithRules,
  reason: 'deadline' | 'session-cancelled',
  now: Date,
): Promise<Effects> {
  const effects: Effects = [];
  const entries = await waitingEntries(tx, session.id);
  await lockEntitlements(tx, entries.flatMap((entry) => (entry.entitlementId ? [entry.entitlementId] : [])));
  for (const entry of entries) {
    await tx.waitlistEntry.update({
      where: { id: entry.id },
      data: { status: reason === 'deadline' ? 'EXPIRED' : 'CANCELLED', closedAt: now },
    });
    await releaseHold(tx, entry, reason === 'deadline' ? 'Claims closed before the session.' : 'The session was cancelled.', now);
    await notifyMember(tx, entry.memberId, {
      organizationId: session.organizationId,
      template: 'waitlist-closed',
      payload: { waitlistEntryId: entry.id, reason, ...sessionSummary(session) },
      dedupeKey: `waitlist-closed:${entry.id}`,
      at: now,
    });
  }
  const offers = await tx.waitlistOffer.findMany({
    where: { sessionId: session.id, status: 'OPEN' },
    include: { waitlistEntry: { select: { memberId: true } } },
  });
  for (const offer of offers) {
    await tx.waitlistOffer.update({ where: { id: offer.id }, data: { status: 'EXPIRED', resolvedAt: now } });
    offerChanged(effects, offer.waitlistEntry.memberId, offer.id);
  }
  const rounds = await tx.waitlistRound.updateMany({ where: { sessionId: session.id, status: 'OPEN' }, data: { status: 'EXPIRED', closedAt: now } });
  await tx.session.update({
    where: { id: session.id },
    data: {
      waitlistLength: 0,
      ...(reason === 'deadline' && rounds.count > 0 ? { seatsTaken: { decrement: rounds.count } } : {}),
    },
  });
  return effects;
}

/** Stores the session's claim deadline as due work (once per deadline instant). */
export async function scheduleDeadline(
  tx: Tx,
  session: Pick<Session, 'id' | 'organizationId' | 'startsAt'> & { organization: Pick<WaitlistSettings, 'waitlistClaimDeadlineHours'> },
): Promise<void> {
  const deadline = claimDeadline(session, session.organization);
  await enqueue(tx, {
    kind: 'WAITLIST_DEADLINE',
    runAt: deadline,
    organizationId: session.organizationId,
    dedupeKey: `waitlist-deadline:${session.id}:${deadline.toISOString()}`,
    payload: { sessionId: session.id },
  });
}

/** WAITLIST_DEADLINE job: claims close (002: 12 hours before the session). */
export async function waitlistDeadlineJob(tx: Tx, job: DueJob, now: Date): Promise<AfterCommit[]> {
  const { sessionId } = job.payload as { sessionId: string };
  const session = await tx.session.findUnique({ where: { id: sessionId }, include: { activity: true, venue: true, organization: true } });
  if (!session || session.status !== 'SCHEDULED') return [];
  await lockSessions(tx, [sessionId]);
  const full = await tx.session.findUniqueOrThrow({ where: { id: sessionId }, include: { activity: true, venue: true, organization: true } });
  // Staff may have moved the deadline since this job was stored: not due yet means later.
  if (now.getTime() < claimDeadline(full, full.organization).getTime()) {
    await scheduleDeadline(tx, full);
    return [];
  }
  const effects = await closeWaitlist(tx, full, 'deadline', now);
  return [...effects, changed(full)];
}

/** WAITLIST_OFFER_WINDOW job (ONE_AT_A_TIME): an unclaimed offer expires and the next in line gets the seat. */
export async function offerWindowJob(tx: Tx, job: DueJob, now: Date): Promise<AfterCommit[]> {
    const { offerId } = job.payload as { offerId: string };
    const offer = await tx.waitlistOffer.findUnique({ where: { id: offerId }, include: { waitlistEntry: { select: { memberId: true } } } });
    if (!offer || offer.status !== 'OPEN') return [];
    await lockSessions(tx, [offer.sessionId]);
    const current = await tx.waitlistOffer.findUniqueOrThrow({ where: { id: offerId } });
    if (current.status !== 'OPEN' || current.expiresAt.getTime() > now.getTime()) return [];
    const session = await tx.session.findUniqueOrThrow({ where: { id: offer.sessionId }, include: { activity: true, venue: true, organization: true } });
    const effects: Effects = [];
    await tx.waitlistOffer.update({ where: { id: offerId }, data: { status: 'EXPIRED', resolvedAt: now } });
    offerChanged(effects, offer.waitlistEntry.memberId, offerId);
    await settleRounds(tx, session, now, effects);
    return [...effects, changed(session)];
}
