import { DateTime } from 'luxon';
import { type Coordinates, nearest } from './geo.js';
import { MAX_NOTE_LENGTH } from './input-limits.js';
import { calendarDate } from './time.js';
import { Issues } from './validation.js';

// Venue closures and the 15 km rules (SPEC §11; 004 "fermeture", "déménagement"). Pure functions
// of their inputs; `now` is passed in.

/** 004: the radius within which another venue makes a refund (closure) or an early termination (move) unnecessary. */
export const NEARBY_VENUE_RADIUS_KM = 15;
/** Longest temporary closure, in days: one transaction cancels its sessions. */
export const MAX_CLOSURE_DAYS = 366;
/** Most sessions one closure may cancel (one transaction); a longer or busier range is closed in parts. */
export const MAX_CLOSURE_SESSIONS = 1000;
/** How far ahead a closure may start. */
export const MAX_CLOSURE_LEAD_DAYS = 730;

export interface ClosureRequest {
  /** First closed day and last closed day (inclusive), as calendar dates (UTC midnight). */
  from: Date;
  until: Date | null;
  definitive: boolean;
  extendValidity: boolean;
  reason: string;
}

export interface ClosureRange {
  fromDate: Date;
  untilDate: Date | null;
  /** Local midnight starting the first day. */
  startsAt: Date;
  /** Local midnight after the last day (exclusive); null for a definitive closure. */
  endsAt: Date | null;
  /** Closed days (the extension granted with `extendValidity`); null for a definitive closure. */
  days: number | null;
  reason: string;
}

const DAY_MS = 86_400_000;

function localMidnight(date: Date, timeZone: string): Date {
  return DateTime.fromObject(
    { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() },
    { zone: timeZone },
  ).toJSDate();
}

/**
 * Checks a closure and computes its range in the organisation's zone. A temporary closure names
 * its last day (at most MAX_CLOSURE_DAYS days in all); a definitive one has none and cannot extend
 * validity (its members get a credit note instead). It starts today at the earliest: what already
 * took place stays as it was.
 */
export function closureRange(input: ClosureRequest, timeZone: string, now: Date): ClosureRange {
  const reason = input.reason.trim();
  const today = calendarDate(now, timeZone).getTime();
  const from = input.from.getTime();
  const days = input.until ? Math.round((input.until.getTime() - from) / DAY_MS) + 1 : null;
  new Issues()
    .text('reason', reason, { max: MAX_NOTE_LENGTH })
    .when(from < today, 'from', 'validation.closureInPast')
    .when(from > today + MAX_CLOSURE_LEAD_DAYS * DAY_MS, 'from', 'validation.closureTooFar', { days: MAX_CLOSURE_LEAD_DAYS })
    .when(input.definitive && input.until !== null, 'until', 'validation.closureDefinitiveUntil')
    .when(!input.definitive && input.until === null, 'until', 'validation.required')
    .when(days !== null && days < 1, 'until', 'validation.closureUntilBeforeFrom')
    .when(days !== null && days > MAX_CLOSURE_DAYS, 'until', 'validation.closureTooLong', { max: MAX_CLOSURE_DAYS })
    .when(input.definitive && input.extendValidity, 'extendValidity', 'validation.closureExtendDefinitive')
    .throwIfAny();
  return {
    fromDate: input.from,
    untilDate: input.until,
    startsAt: localMidnight(input.from, timeZone),
    endsAt: input.until ? localMidnight(new Date(input.until.getTime() + DAY_MS), timeZone) : null,
    days: input.definitive ? null : days,
    reason,
  };
}

/** Whether two closure ranges share an instant (a null end runs for ever). */
export function closuresOverlap(a: { startsAt: Date; endsAt: Date | null }, b: { startsAt: Date; endsAt: Date | null }): boolean {
  const aEnd = a.endsAt?.getTime() ?? Infinity;
  const bEnd = b.endsAt?.getTime() ?? Infinity;
  return a.startsAt.getTime() < bEnd && b.startsAt.getTime() < aEnd;
}

/**
 * What a lot's unused credits are worth: their share of what was paid for the credits granted
 * (004: a definitive closure gives "un avoir" for them). Unpaid or free credits are worth nothing.
 */
export function unusedCreditsCents(lot: { creditsRemaining: number; creditsGranted: number; paidCents: number }): number {
  if (lot.creditsGranted <= 0 || lot.creditsRemaining <= 0 || lot.paidCents <= 0) return 0;
  return Math.floor((lot.paidCents * Math.min(lot.creditsRemaining, lot.creditsGranted)) / lot.creditsGranted);
}

/** A venue as the 15 km rules see it: where it is, and since when it is closed for good (if it is). */
export interface VenueForDistance extends Coordinates {
  id: string;
  name: string;
  closedForGoodFrom: Date | null;
}

/** Venues open at `now`: not closed for good, or not yet. A venue opened since counts ("rouvert"). */
export function openVenues<T extends VenueForDistance>(venues: readonly T[], now: Date): T[] {
  return venues.filter((venue) => !venue.closedForGoodFrom || venue.closedForGoodFrom.getTime() > now.getTime());
}

/** The nearest open venue within the radius of a point, with its distance; null when none is. */
export function openVenueWithin<T extends VenueForDistance>(
  point: Coordinates,
  venues: readonly T[],
  radiusKm: number,
  now: Date,
): { venue: T; km: number } | null {
  const found = nearest(point, openVenues(venues, now));
  // Compared to the metre: a venue exactly on the circle is within it, whatever floating point says.
  return found && Math.round(found.km * 1000) / 1000 <= radiusKm ? { venue: found.place, km: found.km } : null;
}

export type CreditNoteRefundRefusal<T> =
  | { reason: 'notClosure' | 'alreadyRefunded' | 'stillValid' | 'nothingLeft' }
  | { reason: 'venueNearby'; venue: T; km: number };

/**
 * 004: the credit note of a definitive closure is "remboursable au-delà de cette période si aucune
 * piscine n'a rouvert dans un rayon de 15 kilomètres": refundable once expired, for what is left
 * of it, once only, and only when no venue of the organisation open at the request lies within
 * the radius of the closed one ("systématiquement refusée" otherwise). Null when refundable.
 */
export function creditNoteRefundRefusal<T extends VenueForDistance>(input: {
  note: { fromClosure: boolean; expiresAt: Date; remainingCents: number; refunded: boolean };
  closedVenue: Coordinates | null;
  venues: readonly T[];
  radiusKm: number;
  now: Date;
}): CreditNoteRefundRefusal<T> | null {
  const { note, now } = input;
  if (!note.fromClosure || !input.closedVenue) return { reason: 'notClosure' };
  if (note.refunded) return { reason: 'alreadyRefunded' };
  if (now.getTime() < note.expiresAt.getTime()) return { reason: 'stillValid' };
  if (note.remainingCents <= 0) return { reason: 'nothingLeft' };
  const near = openVenueWithin(input.closedVenue, input.venues, input.radiusKm, now);
  return near ? { reason: 'venueNearby', venue: near.venue, km: near.km } : null;
}

export type MoveTerminationRefusal<T> = { reason: 'ended' } | { reason: 'venueNearby'; venue: T; km: number };

/**
 * 004: "en cas de déménagement, un contrat d'abonnement pourra être résilié de manière anticipée
 * avec preuve … si la ou les piscines du réseau ne sont pas accessibles dans un rayon de 15
 * kilomètres". Allowed when no open venue of the organisation lies within the radius of the new
 * address; the subscription then ends at its next billing date, notice and commitment waived
 * (the period under way was started, so it stays due: SPEC §7). An end already set earlier stays.
 */
export function moveTermination<T extends VenueForDistance>(input: {
  subscription: { status: string; currentPeriodEnd: Date; endsAt: Date | null };
  newAddress: Coordinates;
  venues: readonly T[];
  radiusKm: number;
  now: Date;
}): { ok: true; endsAt: Date; nearest: { venue: T; km: number } | null } | { ok: false; refusal: MoveTerminationRefusal<T> } {
  const { subscription, now } = input;
  if (subscription.status === 'TERMINATED' || (subscription.endsAt && subscription.endsAt.getTime() <= now.getTime())) {
    return { ok: false, refusal: { reason: 'ended' } };
  }
  const near = openVenueWithin(input.newAddress, input.venues, input.radiusKm, now);
  if (near) return { ok: false, refusal: { reason: 'venueNearby', venue: near.venue, km: near.km } };
  const endsAt =
    subscription.endsAt && subscription.endsAt.getTime() < subscription.currentPeriodEnd.getTime() ? subscription.endsAt : subscription.currentPeriodEnd;
  const closest = nearest(input.newAddress, openVenues(input.venues, now));
  return { ok: true, endsAt, nearest: closest ? { venue: closest.place, km: closest.km } : null };
}

/** A distance as people read it: one decimal, in the locale's style ("12,3" / "12.3"). */
export function formatKm(km: number, locale: 'fr' | 'en'): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(km);
}
