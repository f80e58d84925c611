import type { Audience, LateCancellation, SessionStatus } from '../generated/prisma/enums.js';
import { type DomainError, InPersonPaymentNotAllowedError, OnlinePaymentUnavailableError, ValidationError } from './errors.js';
import { ageInMonths, calendarDate, hoursBefore } from './time.js';

// The booking rules of SPEC §5, as pure functions of their inputs ("now" is always passed in).

/** Why a session cannot take a new booking right now, or null when it can (seats aside). */
export function bookingBlocker(
  session: { status: SessionStatus; startsAt: Date },
  now: Date,
): 'cancelled' | 'started' | null {
  if (session.status !== 'SCHEDULED') return 'cancelled';
  if (session.startsAt.getTime() <= now.getTime()) return 'started';
  return null;
}

/** An adult class without an explicit minimum takes people from 18; a child class, up to 17. */
export const ADULT_MIN_AGE_MONTHS = 18 * 12;

export interface AudiencePolicy {
  audience: Audience;
  minAgeMonths: number | null;
  maxAgeMonths: number | null;
}

/** The age range an activity accepts, in whole months, with the audience's defaults applied. */
export function ageRange(policy: AudiencePolicy): { min: number; max: number } {
  const adult = policy.audience === 'ADULT';
  return {
    min: policy.minAgeMonths ?? (adult ? ADULT_MIN_AGE_MONTHS : 0),
    max: policy.maxAgeMonths ?? (adult ? Number.POSITIVE_INFINITY : ADULT_MIN_AGE_MONTHS - 1),
  };
}

/**
 * Whether a beneficiary fits an activity's audience on the day of the session, in the
 * organisation's zone (a baby class for 6 to 36 months checks the age on the session date,
 * not on the booking date).
 */
export function fitsAudience(
  policy: AudiencePolicy,
  birthDate: Date,
  sessionStartsAt: Date,
  timeZone: string,
): boolean {
  const age = ageInMonths(birthDate, calendarDate(sessionStartsAt, timeZone));
  const { min, max } = ageRange(policy);
  return age >= min && age <= max;
}

export interface CancellationPolicy {
  /** Elapsed hours of notice (003: adults 4, children 24; 000: 6; private lessons 24). */
  cancellationNoticeHours: number;
  lateCancellation: LateCancellation;
}

export type CancellationOutcome =
  /** `sessionChanged`: free because staff changed the session after it was booked (the deadline is then its start). */
  | { kind: 'IN_TIME'; status: 'CANCELLED'; creditReturned: true; deadline: Date; sessionChanged?: true }
  | { kind: 'LATE'; status: 'LATE_CANCELLED'; creditReturned: boolean; deadline: Date }
  | { kind: 'STARTED'; deadline: Date };

/**
 * Whether staff moved the session or changed its venue or coach after this booking was made: its
 * member did not book what will take place, so they may cancel without loss until the start,
 * whatever the notice (SPEC §11). A booking made after the change booked the new terms.
 */
export function changedSinceBooked(session: { changedAt?: Date | null }, booking: { createdAt: Date } | null | undefined): boolean {
  return !!session.changedAt && !!booking && booking.createdAt.getTime() <= session.changedAt.getTime();
}

/**
 * The last instant a booking can be cancelled (or moved) without loss: the activity's notice before
 * the start, or the start itself when the session changed after it was booked.
 */
export function freeCancellationUntil(
  session: { startsAt: Date; changedAt?: Date | null },
  cancellationNoticeHours: number,
  booking: { createdAt: Date },
): Date {
  return changedSinceBooked(session, booking) ? session.startsAt : hoursBefore(session.startsAt, cancellationNoticeHours);
}

/**
 * What cancelling a booking does at `now`. The deadline is `cancellationNoticeHours` elapsed hours
 * before the start, so a daylight-saving change never moves it; cancelling exactly at the deadline
 * still respects the notice ("un préavis minimum de quatre heures est respecté"). Late: the credit
 * is forfeited unless the policy re-credits anyway (000's annual aquabike members; see
 * `bookingCancellationPolicy` for the offer's override). A booking of a session changed since it
 * was made (`changedSinceBooked`) is in time until the start. Once the
 * session has started, there is nothing left to cancel.
 */
export function cancellationOutcome(
  session: { startsAt: Date; changedAt?: Date | null },
  policy: CancellationPolicy,
  now: Date,
  booking?: { createdAt: Date } | null,
): CancellationOutcome {
  const deadline = hoursBefore(session.startsAt, policy.cancellationNoticeHours);
  if (now.getTime() >= session.startsAt.getTime()) return { kind: 'STARTED', deadline };
  if (changedSinceBooked(session, booking)) {
    return { kind: 'IN_TIME', status: 'CANCELLED', creditReturned: true, deadline: session.startsAt, sessionChanged: true };
  }
  if (now.getTime() <= deadline.getTime()) return { kind: 'IN_TIME', status: 'CANCELLED', creditReturned: true, deadline };
  return { kind: 'LATE', status: 'LATE_CANCELLED', creditReturned: policy.lateCancellation === 'RECREDIT', deadline };
}

/**
 * The late-cancellation rule that applies to a booking: the rule of the offer whose credits paid
 * for it when that offer has one (000: annual aquabike members are re-credited), else the
 * activity's. A booking paid without a credit (pay-per-session) follows the activity.
 */
export function lateCancellationRule(
  activity: { lateCancellation: LateCancellation },
  offer: { lateCancellation: LateCancellation | null } | null | undefined,
): LateCancellation {
  return offer?.lateCancellation ?? activity.lateCancellation;
}

/** The cancellation policy of one booking: the activity's notice, and the rule `lateCancellationRule` picks. */
export function bookingCancellationPolicy(
  activity: CancellationPolicy,
  offer: { lateCancellation: LateCancellation | null } | null | undefined,
): CancellationPolicy {
  return { cancellationNoticeHours: activity.cancellationNoticeHours, lateCancellation: lateCancellationRule(activity, offer) };
}

/**
 * A booking can be moved (000 "Reprogrammer") only while cancelling it would cost nothing: before
 * the notice deadline, or later when the activity re-credits late cancellations, never once started.
 */
export function rescheduleAllowed(outcome: CancellationOutcome): boolean {
  return outcome.kind !== 'STARTED' && outcome.creditReturned;
}

/** Attendance is taken from this long before the start (members arrive 15 minutes early, 003 §7). */
export const ATTENDANCE_OPENS_BEFORE_HOURS = 1;

export function attendanceOpen(session: { startsAt: Date }, now: Date): boolean {
  return now.getTime() >= hoursBefore(session.startsAt, ATTENDANCE_OPENS_BEFORE_HOURS).getTime();
}

/** How a booking is paid: a credit, online for the session's price, or at the desk (000). */
export type PayWith = 'CREDIT' | 'ONLINE' | 'IN_PERSON';

/** Why this way of paying cannot book this session (checked before any lock), or null. */
export function paymentRefusal(
  session: { priceCents: number | null; inPersonPaymentAllowed: boolean },
  payWith: PayWith,
  entitlementId: string | null | undefined,
  onlinePaymentConfigured: boolean,
): DomainError | null {
  if (payWith === 'CREDIT') return null;
  if (entitlementId) return new ValidationError([{ field: ['entitlementId'], messageKey: 'validation.creditOnly' }]);
  if (session.priceCents === null) return new ValidationError([{ field: ['payWith'], messageKey: 'validation.sessionNotPriced' }]);
  if (payWith === 'IN_PERSON' && !session.inPersonPaymentAllowed) return new InPersonPaymentNotAllowedError();
  if (payWith === 'ONLINE' && !onlinePaymentConfigured) return new OnlinePaymentUnavailableError();
  return null;
}
