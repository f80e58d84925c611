import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, transactionThen, type Tx } from '../../db/transaction.js';
import {
  MAX_CLOSURE_SESSIONS,
  NEARBY_VENUE_RADIUS_KM,
  closureRange,
  closuresOverlap,
  creditNoteRefundRefusal,
  formatKm,
  moveTermination,
  unusedCreditsCents,
  type VenueForDistance,
} from '../../domain/closures.js';
import {
  CreditNoteNotRefundableError,
  EarlyTerminationNotAllowedError,
  NotFoundError,
  ValidationError,
  VenueAlreadyClosedError,
} from '../../domain/errors.js';
import { validCoordinates } from '../../domain/geo.js';
import { MAX_NOTE_LENGTH } from '../../domain/input-limits.js';
import { addLocalDays } from '../../domain/time.js';
import { Issues } from '../../domain/validation.js';
import type { CreditNote, CreditNoteRefund, Entitlement, Session, Subscription, VenueClosure } from '../../generated/prisma/client.js';
import type { Locale } from '../../i18n/messages.js';
import { requireOwnerOrStaff, requireStaff } from '../access.js';
import { cancelLockedSessions } from '../booking/bookings.js';
import { extendLockedLot } from '../credit/entitlements.js';
import { insertUnique } from '../errors.js';
import { appendEntry, lockEntitlements } from '../credit/ledger.js';
import { notifyMember } from '../notifications.js';
import { changed, sessionWithRules } from '../booking/seating.js';

// Venue closures and the 15 km rules (SPEC §11; 004). A closure cancels the venue's sessions in
// its range exactly as `cancelSession` does (the same code: `cancelLockedSessions`), in one
// transaction under the venue's row lock (which serialises closures of one venue, so overlaps are
// decided there), then extends the affected lots or, for a definitive closure, turns their unused
// credits into credit notes. Lock order: venue, sessions by id, bookings by id, entitlements by id.

export interface CloseVenueInput {
  venueId: string;
  from: Date;
  until: Date | null;
  reason: string;
  extendValidity: boolean;
  definitive: boolean;
}

export interface CloseVenueResult {
  closure: VenueClosure;
  sessionsCancelled: number;
  /** Lots whose validity moved by the closure's length (`extendValidity`). */
  entitlementsExtended: number;
  /** Credit notes issued (definitive closure), one per member with paid unused credits. */
  creditNotes: CreditNote[];
}

/** A day as staff wrote it (YYYY-MM-DD), for messages. */
const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Staff close a venue from `from` through `until` (local days), or for good from `from` on
 * (`definitive`). Every scheduled session there that has not started is cancelled as
 * `cancelSession` cancels one (credits back, members emailed, waitlists closed). The members
 * affected are those with a booking, a late-cancelled credit or a waitlist place in those sessions,
 * and those whose lot can only be used at this venue: with `extendValidity` their lots still
 * valid are extended by the closure's length in days; after a definitive closure each of them gets
 * a credit note, valid the organisation's `creditNoteValidityDays`, for what their unused credits
 * were paid, and those credits are removed from the ledger.
 */
export async function closeVenue(context: Context, input: CloseVenueInput): Promise<CloseVenueResult> {
  const venue = await prisma.venue.findUnique({
    where: { id: input.venueId },
    include: { organization: { select: { id: true, timeZone: true, currency: true, creditNoteValidityDays: true } } },
  });
  if (!venue) throw new NotFoundError('entity.venue', ['venueId']);
  const staffId = await requireStaff(context, venue.organizationId);
  const timeZone = venue.organization.timeZone;
  const now = context.clock.now();
  const range = closureRange(input, timeZone, now);
  // A definitive closure has no end: its range runs on past any session.
  const rangeEnd = range.endsAt ?? new Date('9999-12-31T00:00:00Z');

  const cancelled: Session[] = [];
  const result = await transactionThen(
    async (tx, effects) => {
      cancelled.length = 0;
      await tx.$queryRaw`SELECT 1 FROM "Venue" WHERE "id" = ${venue.id}::uuid FOR UPDATE`;
      const existing = await tx.venueClosure.findMany({ where: { venueId: venue.id }, orderBy: { startsAt: 'asc' } });
      if (existing.some((closure) => closure.definitive)) throw new VenueAlreadyClosedError('definitive');
      // A definitive closure supersedes temporary ones; two temporary closures never overlap.
      const clash = input.definitive ? undefined : existing.find((closure) => closuresOverlap(closure, range));
      if (clash) throw new VenueAlreadyClosedError('overlap', { from: day(clash.fromDate), until: clash.untilDate ? day(clash.untilDate) : '…' });

      const [{ count } = { count: 0 }] = await tx.$queryRaw<{ count: number }[]>`
        SELECT count(*)::int AS count FROM "Session"
         WHERE "venueId" = ${venue.id}::uuid AND "status" = 'SCHEDULED'
           AND "startsAt" >= ${range.startsAt} AND "startsAt" < ${rangeEnd} AND "startsAt" > ${now}`;
      if (count > MAX_CLOSURE_SESSIONS) {
        throw new ValidationError([
          { field: [input.definitive ? 'from' : 'until'], messageKey: 'validation.closureTooManySessions', params: { count, max: MAX_CLOSURE_SESSIONS } },
        ]);
      }
      // Sessions first (id order), re-checked under their locks: one cancelled or moved meanwhile drops out.
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "Session"
         WHERE "venueId" = ${venue.id}::uuid AND "status" = 'SCHEDULED'
           AND "startsAt" >= ${range.startsAt} AND "startsAt" < ${rangeEnd} AND "startsAt" > ${now}
         ORDER BY "id" FOR UPDATE`;
      const sessions = await tx.session.findMany({
        where: { id: { in: locked.map((row) => row.id) } },
        include: sessionWithRules,
        orderBy: { id: 'asc' },
      });
      // Lots usable only here (their offer lists this venue and no other still open): hurt by the
      // closure even without a booking in it.
      const venueOnly = await tx.$queryRaw<{ id: string; memberId: string }[]>`
        SELECT e."id", e."memberId" FROM "Entitlement" e
         WHERE e."organizationId" = ${venue.organizationId}::uuid AND e."status" = 'ACTIVE'
           AND e."validUntil" > ${now} AND e."validUntil" > ${range.startsAt} AND e."validFrom" < ${rangeEnd}
           AND EXISTS (SELECT 1 FROM "OfferVenue" ov WHERE ov."offerId" = e."offerId" AND ov."venueId" = ${venue.id}::uuid)
           AND NOT EXISTS (
             SELECT 1 FROM "OfferVenue" ov
              WHERE ov."offerId" = e."offerId" AND ov."venueId" <> ${venue.id}::uuid
                AND NOT EXISTS (SELECT 1 FROM "VenueClosure" c WHERE c."venueId" = ov."venueId" AND c."definitive" AND c."startsAt" <= ${range.startsAt}))`;

      const { sessions: done, affected } = await cancelLockedSessions(
        tx,
        sessions,
        { reason: range.reason, actorId: staffId, now, alsoLock: venueOnly.map((row) => row.id) },
        effects,
      );
      cancelled.push(...done);

      const closure = await insertUnique(
        () =>
          tx.venueClosure.create({
            data: {
              organizationId: venue.organizationId,
              venueId: venue.id,
              fromDate: range.fromDate,
              untilDate: range.untilDate,
              startsAt: range.startsAt,
              endsAt: range.endsAt,
              reason: range.reason,
              definitive: input.definitive,
              extensionDays: input.extendValidity && range.days ? range.days : 0,
              sessionsCancelled: done.length,
              closedById: staffId,
              createdAt: now,
            },
          }),
        () => new VenueAlreadyClosedError('definitive'),
      );

      // The affected lots as they are now (credits returned above), each once.
      const lotIds = [...new Set([...affected.map((credit) => credit.entitlementId), ...venueOnly.map((row) => row.id)])];
      const lots = (await lockEntitlements(tx, lotIds)).filter(
        (lot) =>
          lot.organizationId === venue.organizationId &&
          lot.status === 'ACTIVE' &&
          lot.validUntil.getTime() > now.getTime() &&
          lot.validUntil.getTime() > range.startsAt.getTime(),
      );

      let entitlementsExtended = 0;
      if (input.extendValidity && range.days) {
        const reason = `Venue closure (${venue.name}, ${day(range.fromDate)} to ${day(range.untilDate!)}): ${range.reason}`;
        for (const lot of lots) {
          await extendLockedLot(tx, lot, { days: range.days, reason, actorId: staffId, timeZone, now, venueClosureId: closure.id });
          entitlementsExtended += 1;
        }
      }

      const creditNotes = input.definitive ? await issueClosureCreditNotes(tx, { closure, venueName: venue.name, lots, staffId, now, timeZone, currency: venue.organization.currency, validityDays: venue.organization.creditNoteValidityDays }) : [];
      return { closure, sessionsCancelled: done.length, entitlementsExtended, creditNotes };
    },
    // A closure may cancel up to MAX_CLOSURE_SESSIONS sessions in one transaction.
    { timeoutMs: 120_000 },
  );
  for (const session of cancelled) changed(session)();
  return result;
}

/**
 * 004: after a definitive closure, each affected member gets "un avoir valable 1 an" for their
 * unused credits: each lot's remaining credits are valued at their share of what was paid for the
 * credits the lot was granted (a carried-over lot at its original purchase's), removed from the
 * ledger (FORFEIT, the lot REVOKED) and summed into one credit note per member. Unpaid or free
 * credits are worth nothing and stay where they are.
 */
async function issueClosureCreditNotes(
  tx: Tx,
  {
    closure,
    venueName,
    lots,
    staffId,
    now,
    timeZone,
    currency,
    validityDays,
  }: { closure: VenueClosure; venueName: string; lots: Entitlement[]; staffId: string; now: Date; timeZone: string; currency: string; validityDays: number },
): Promise<CreditNote[]> {
  const totals = new Map<string, number>();
  for (const lot of lots) {
    if (lot.creditsRemaining <= 0) continue;
    const cents = unusedCreditsCents({ creditsRemaining: lot.creditsRemaining, ...(await valueBasis(tx, lot)) });
    if (cents <= 0) continue;
    await appendEntry(tx, {
      entitlementId: lot.id,
      delta: -lot.creditsRemaining,
      reason: 'FORFEIT',
      note: `Exchanged for a credit note: definitive closure of ${venueName}.`,
      actorId: staffId,
      dedupeKey: `closure:${closure.id}:${lot.id}`,
      createdAt: now,
    });
    await tx.entitlement.update({ where: { id: lot.id }, data: { status: 'REVOKED' } });
    totals.set(lot.memberId, (totals.get(lot.memberId) ?? 0) + cents);
  }
  const notes: CreditNote[] = [];
  const expiresAt = addLocalDays(now, validityDays, timeZone);
  for (const [memberId, amountCents] of [...totals.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const note = await tx.creditNote.create({
      data: {
        organizationId: closure.organizationId,
        memberId,
        amountCents,
        remainingCents: amountCents,
        reason: `Definitive closure of ${venueName}: ${closure.reason}`,
        issuedById: staffId,
        issuedAt: now,
        expiresAt,
        venueClosureId: closure.id,
      },
    });
    notes.push(note);
    await notifyMember(tx, memberId, {
      organizationId: closure.organizationId,
      template: 'closure-credit-note',
      payload: { creditNoteId: note.id, venue: venueName, reason: closure.reason, amountCents, currency, expiresAt: expiresAt.toISOString(), timeZone },
      dedupeKey: `closure-credit-note:${note.id}`,
      at: now,
    });
  }
  return notes;
}

/** What a lot's credits were bought for: its purchase's (or, carried over, its original lot's) paid amount and granted credits. */
async function valueBasis(tx: Tx, lot: Entitlement): Promise<{ paidCents: number; creditsGranted: number }> {
  let root = lot;
  while (!root.orderId && root.carriedFromId) root = await tx.entitlement.findUniqueOrThrow({ where: { id: root.carriedFromId } });
  if (!root.orderId) return { paidCents: 0, creditsGranted: 0 };
  const order = await tx.order.findUniqueOrThrow({ where: { id: root.orderId }, select: { paidCents: true } });
  const granted = await tx.creditLedgerEntry.aggregate({ where: { entitlementId: root.id, reason: 'GRANT' }, _sum: { delta: true } });
  return { paidCents: order.paidCents, creditsGranted: granted._sum.delta ?? 0 };
}

/** The organisation's venues with where they are and since when they are closed for good. */
async function venuesForDistance(tx: Tx, organizationId: string): Promise<VenueForDistance[]> {
  const venues = await tx.venue.findMany({
    where: { organizationId },
    select: { id: true, name: true, latitude: true, longitude: true, closures: { where: { definitive: true }, select: { startsAt: true } } },
  });
  return venues.map((venue) => ({
    id: venue.id,
    name: venue.name,
    latitude: venue.latitude,
    longitude: venue.longitude,
    closedForGoodFrom: venue.closures[0]?.startsAt ?? null,
  }));
}

function formatDay(instant: Date, timeZone: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeZone }).format(instant);
}

/**
 * Staff pay back what is left of a definitive closure's credit note (004: "remboursable au-delà
 * de cette période si aucune piscine n'a rouvert dans un rayon de 15 kilomètres"): once it has
 * expired, once, and only when no venue of the organisation open now lies within 15 km of the
 * closed one (CREDIT_NOTE_NOT_REFUNDABLE otherwise, naming the venue and its distance). The money
 * goes back outside the API (transfer, cheque): `reference` records how. The note's row lock and
 * a unique refund per note make a second refund impossible.
 */
export async function refundCreditNote(
  context: Context,
  input: { creditNoteId: string; reference?: string | null },
): Promise<{ creditNote: CreditNote; refund: CreditNoteRefund }> {
  const existing = await prisma.creditNote.findUnique({
    where: { id: input.creditNoteId },
    select: { organizationId: true, organization: { select: { timeZone: true } } },
  });
  if (!existing) throw new NotFoundError('entity.creditNote', ['creditNoteId']);
  const staffId = await requireStaff(context, existing.organizationId);
  const reference = input.reference?.trim() || null;
  new Issues().text('reference', reference, { required: false, max: 200 }).throwIfAny();
  const now = context.clock.now();
  return transaction(async (tx) => {
    const [note] = await tx.$queryRaw<CreditNote[]>`SELECT * FROM "CreditNote" WHERE "id" = ${input.creditNoteId}::uuid FOR UPDATE`;
    const closure = note!.venueClosureId
      ? await tx.venueClosure.findUniqueOrThrow({ where: { id: note!.venueClosureId }, include: { venue: true } })
      : null;
    const refused = creditNoteRefundRefusal({
      note: {
        fromClosure: closure !== null,
        expiresAt: note!.expiresAt,
        remainingCents: note!.remainingCents,
        refunded: (await tx.creditNoteRefund.count({ where: { creditNoteId: note!.id } })) > 0,
      },
      closedVenue: closure?.venue ?? null,
      venues: await venuesForDistance(tx, note!.organizationId),
      radiusKm: NEARBY_VENUE_RADIUS_KM,
      now,
    });
    if (refused?.reason === 'venueNearby') {
      throw new CreditNoteNotRefundableError('venueNearby', { venue: refused.venue.name, km: formatKm(refused.km, context.locale) });
    }
    if (refused) {
      throw new CreditNoteNotRefundableError(refused.reason, { expiresAt: formatDay(note!.expiresAt, existing.organization.timeZone, context.locale) });
    }
    const refund = await insertUnique(
      () =>
        tx.creditNoteRefund.create({
          data: { creditNoteId: note!.id, amountCents: note!.remainingCents, reference, refundedById: staffId, createdAt: now },
        }),
      () => new CreditNoteNotRefundableError('alreadyRefunded'),
    );
    const creditNote = await tx.creditNote.update({ where: { id: note!.id }, data: { remainingCents: 0 } });
    return { creditNote, refund };
  });
}

/**
 * 004: on a move, with proof (employer's certificate, lease), a subscription may end early when
 * no venue of the organisation open now lies within 15 km of the new address. Staff check the
 * proof and record it with the new address's coordinates; the subscription then ends at its next
 * billing date whatever the notice and the commitment (the period under way stays due; its
 * credits stay usable until then). Refused with EARLY_TERMINATION_NOT_ALLOWED, naming the nearest
 * venue and its distance, when one is within 15 km. Recorded once per subscription.
 */
export async function terminateSubscriptionForMove(
  context: Context,
  input: { subscriptionId: string; latitude: number; longitude: number; proof: string },
): Promise<{ subscription: Subscription; nearestVenueKm: number | null }> {
  const existing = await prisma.subscription.findUnique({ where: { id: input.subscriptionId }, select: { organizationId: true, memberId: true } });
  if (!existing) throw new NotFoundError('entity.subscription', ['subscriptionId']);
  // Staff of the member's organisation only (the proof is checked at the desk, like a medical pause).
  await requireStaff(context, existing.organizationId);
  const { viewerId } = await requireOwnerOrStaff(
    context,
    { memberId: existing.memberId, entity: 'entity.subscription', field: 'subscriptionId' },
    existing.organizationId,
  );
  const proof = input.proof.trim();
  new Issues()
    .text('proof', proof, { max: MAX_NOTE_LENGTH })
    .when(!(input.latitude >= -90 && input.latitude <= 90), 'latitude', 'validation.latitude')
    .when(!(input.longitude >= -180 && input.longitude <= 180), 'longitude', 'validation.longitude')
    .throwIfAny();
  const newAddress = { latitude: input.latitude, longitude: input.longitude };
  if (!validCoordinates(newAddress)) throw new ValidationError([{ field: ['latitude'], messageKey: 'validation.latitude' }]);
  const now = context.clock.now();
  return transaction(async (tx) => {
    const [subscription] = await tx.$queryRaw<Subscription[]>`SELECT * FROM "Subscription" WHERE "id" = ${input.subscriptionId}::uuid FOR UPDATE`;
    const decision = moveTermination({
      subscription: subscription!,
      newAddress,
      venues: await venuesForDistance(tx, subscription!.organizationId),
      radiusKm: NEARBY_VENUE_RADIUS_KM,
      now,
    });
    if (!decision.ok) {
      const { refusal } = decision;
      if (refusal.reason === 'venueNearby') {
        throw new EarlyTerminationNotAllowedError('venueNearby', { venue: refusal.venue.name, km: formatKm(refusal.km, context.locale) });
      }
      throw new EarlyTerminationNotAllowedError('ended');
    }
    const nearestVenueKm = decision.nearest ? Math.round(decision.nearest.km * 10) / 10 : null;
    await insertUnique(
      () =>
        tx.subscriptionMove.create({
          data: {
            subscriptionId: subscription!.id,
            latitude: input.latitude,
            longitude: input.longitude,
            proof,
            nearestVenueKm,
            previousEndsAt: subscription!.endsAt,
            endsAt: decision.endsAt,
            recordedById: viewerId,
            createdAt: now,
          },
        }),
      () => new EarlyTerminationNotAllowedError('ended'),
    );
    const ended = await tx.subscription.update({
      where: { id: subscription!.id },
      data: { terminationRequestedAt: subscription!.terminationRequestedAt ?? now, endsAt: decision.endsAt },
    });
    return { subscription: ended, nearestVenueKm };
  });
}
