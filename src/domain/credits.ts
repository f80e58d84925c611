import type { BillingPeriod, EntitlementStatus } from '../generated/prisma/enums.js';
import { addLocalDays, addLocalMonths, startOfLocalDay } from './time.js';

// Credit rules of SPEC §4: validity, which credit a booking uses, and subscription rollover.

/**
 * A pack is valid from its purchase through the end of the local day `validityDays` days later
 * (003 §9.1, 004: validity starts on the purchase date): bought on 10 January with 30 days, it
 * books sessions starting up to 9 February 23:59:59 in the organisation's zone.
 */
export function packValidity(purchasedAt: Date, validityDays: number, timeZone: string): { validFrom: Date; validUntil: Date } {
  return {
    validFrom: purchasedAt,
    validUntil: startOfLocalDay(addLocalDays(purchasedAt, validityDays + 1, timeZone), timeZone),
  };
}

/** A subscription's periods are anchored at the local midnight of the day it started (its billing date). */
export function subscriptionAnchor(startedAt: Date, timeZone: string): Date {
  return startOfLocalDay(startedAt, timeZone);
}

/**
 * Bounds of period `index` (0 for the first). MONTH: calendar months from the anchor in the zone
 * (003), clamped to short months but always computed from the anchor; FOUR_WEEKS: 28 local days
 * (004). Both follow the wall clock, so a period spanning a daylight-saving change is an hour
 * shorter or longer in elapsed time.
 */
export function subscriptionPeriod(
  anchor: Date,
  index: number,
  period: BillingPeriod,
  timeZone: string,
): { start: Date; end: Date } {
  const at = (i: number) =>
    period === 'MONTH' ? addLocalMonths(anchor, i, timeZone) : addLocalDays(anchor, 28 * i, timeZone);
  return { start: at(index), end: at(index + 1) };
}

/** One entitlement as the credit rules see it: a lot of credits with its own validity. */
export interface CreditLot {
  id: string;
  beneficiaryId: string;
  organizationId: string;
  status: EntitlementStatus;
  validFrom: Date;
  validUntil: Date;
  creditsRemaining: number;
  /** How many period boundaries these credits were carried across (0 for fresh credits). */
  rolloverCount: number;
  /** Activities the credits can book; empty means every activity of the organisation. */
  activityIds: string[];
  /** Venues the credits can book; empty means every venue. */
  venueIds: string[];
  /** A subscription whose booking is suspended (unpaid past the grace period). */
  suspended: boolean;
}

export interface SessionToBook {
  organizationId: string;
  activityId: string;
  venueId: string;
  startsAt: Date;
}

export type LotFit = 'OK' | 'OTHER_BENEFICIARY' | 'OTHER_ORGANIZATION' | 'NOT_COVERED' | 'NOT_VALID' | 'EMPTY';

/**
 * Whether a lot can pay for a session at `now`: active, with credits left, still valid now, the
 * session starting within its validity, and the activity and venue among those the offer covers.
 */
export function lotFit(lot: CreditLot, session: SessionToBook, beneficiaryId: string, now: Date): LotFit {
  if (lot.beneficiaryId !== beneficiaryId) return 'OTHER_BENEFICIARY';
  if (lot.organizationId !== session.organizationId) return 'OTHER_ORGANIZATION';
  if (lot.activityIds.length > 0 && !lot.activityIds.includes(session.activityId)) return 'NOT_COVERED';
  if (lot.venueIds.length > 0 && !lot.venueIds.includes(session.venueId)) return 'NOT_COVERED';
  const start = session.startsAt.getTime();
  if (start < lot.validFrom.getTime() || start >= lot.validUntil.getTime()) return 'NOT_COVERED';
  if (lot.status !== 'ACTIVE' || lot.suspended || now.getTime() >= lot.validUntil.getTime()) return 'NOT_VALID';
  if (lot.creditsRemaining <= 0) return 'EMPTY';
  return 'OK';
}

/**
 * The order in which credits are used: the one that expires first; at equal expiry, credits carried
 * over from an earlier period before fresh ones (003 §9.2: "a booking uses the credits that expire
 * first", and carried credits are the ones cancelled at the next boundary); then the oldest.
 */
export function creditOrder(a: CreditLot, b: CreditLot): number {
  return (
    a.validUntil.getTime() - b.validUntil.getTime() ||
    b.rolloverCount - a.rolloverCount ||
    a.validFrom.getTime() - b.validFrom.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export type CreditChoice =
  | { ok: true; candidates: CreditLot[] }
  | { ok: false; reason: 'NO_CREDIT' | 'NOT_ELIGIBLE' | 'OTHER_BENEFICIARY' | 'OTHER_ORGANIZATION' };

/**
 * Which credits may pay for a booking, best first. With `requestedId` the caller chose one lot
 * explicitly: it is the only candidate, and the reason it does not fit is reported precisely.
 * Otherwise every fitting lot is a candidate, expiring first (the service locks the first one and
 * moves on to the next if a concurrent booking emptied it meanwhile).
 */
export function chooseCredits(
  lots: CreditLot[],
  session: SessionToBook,
  beneficiaryId: string,
  now: Date,
  requestedId?: string | null,
): CreditChoice {
  if (requestedId) {
    const lot = lots.find((candidate) => candidate.id === requestedId);
    if (!lot) return { ok: false, reason: 'NO_CREDIT' };
    const fit = lotFit(lot, session, beneficiaryId, now);
    if (fit === 'OK') return { ok: true, candidates: [lot] };
    if (fit === 'OTHER_BENEFICIARY' || fit === 'OTHER_ORGANIZATION') return { ok: false, reason: fit };
    return { ok: false, reason: fit === 'NOT_COVERED' ? 'NOT_ELIGIBLE' : 'NO_CREDIT' };
  }
  const candidates = lots.filter((lot) => lotFit(lot, session, beneficiaryId, now) === 'OK').sort(creditOrder);
  return candidates.length > 0 ? { ok: true, candidates } : { ok: false, reason: 'NO_CREDIT' };
}

export interface RolloverPolicy {
  /** Credits granted per period. */
  allowance: number;
  /** The available total never exceeds this multiple of the allowance (003 §9.2: 2). */
  capMultiplier: number;
  /** How many boundaries credits may be carried across (003: 1, "le mois suivant uniquement"). */
  carryPeriods: number;
}

export interface LotAtBoundary {
  id: string;
  remaining: number;
  rolloverCount: number;
}

export interface RolloverDecision {
  id: string;
  /** Credits moved into a lot valid through the next period (ledger: ROLLOVER). */
  carry: number;
  /** Credits beyond the cap (ledger: FORFEIT). */
  forfeit: number;
  /** Credits carried as long as allowed, cancelled at this boundary (ledger: EXPIRE). */
  expire: number;
}

/**
 * What happens at a subscription's period boundary to the lots whose validity ends there
 * (003 §9.2). Unused credits carry into the next period only; carried credits older than
 * `carryPeriods` are cancelled; and the next period's total (its fresh allowance plus everything
 * carried) never exceeds `capMultiplier × allowance`, so at most `(capMultiplier − 1) × allowance`
 * credits are carried, the youngest first. The seed's example: 8 a month, 5 used in March → 3
 * carried, April has 11; 1 used → 10. The seed then says May is "back to 8", which its own rule
 * contradicts: April's unused credits carry into May up to the cap, and this follows the rule.
 */
export function rollover(policy: RolloverPolicy, lots: LotAtBoundary[]): RolloverDecision[] {
  let room = Math.max(0, (policy.capMultiplier - 1) * policy.allowance);
  const youngestFirst = [...lots].sort((a, b) => a.rolloverCount - b.rolloverCount || (a.id < b.id ? -1 : 1));
  const decisions = new Map<string, RolloverDecision>();
  for (const lot of youngestFirst) {
    const remaining = Math.max(0, lot.remaining);
    if (lot.rolloverCount >= policy.carryPeriods) {
      decisions.set(lot.id, { id: lot.id, carry: 0, forfeit: 0, expire: remaining });
      continue;
    }
    const carry = Math.min(remaining, room);
    room -= carry;
    decisions.set(lot.id, { id: lot.id, carry, forfeit: remaining - carry, expire: 0 });
  }
  return lots.map((lot) => decisions.get(lot.id)!);
}
