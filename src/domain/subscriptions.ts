import type { BillingPeriod, TerminationNoticeRule } from '../generated/prisma/enums.js';
import { addLocalDays, addLocalMonths, startOfLocalDay } from './time.js';

// Subscription billing rules (SPEC §7; 003 §11, §12, §12A; 004): withdrawal, termination notice,
// pauses. Pure functions of their inputs; `now` is passed in.

/**
 * Bounds of period `index` of a subscription whose billing dates were moved by pauses of
 * `shiftMonths` whole months in total (003 §12A.3: "la date de prélèvement est décalée"). MONTH:
 * the calendar months from the anchor, `shiftMonths` further on (always computed from the anchor,
 * so a series anchored on the 31st keeps returning to the 31st); FOUR_WEEKS: 28 local days each,
 * from the anchor moved by `shiftMonths` months. Without a shift this is `subscriptionPeriod`.
 * Only the periods after a pause's start use the shift; the ones before are already past.
 */
export function shiftedPeriod(
  anchor: Date,
  shiftMonths: number,
  index: number,
  period: BillingPeriod,
  timeZone: string,
): { start: Date; end: Date } {
  const at = (i: number) =>
    period === 'MONTH'
      ? addLocalMonths(anchor, i + shiftMonths, timeZone)
      : addLocalDays(addLocalMonths(anchor, shiftMonths, timeZone), 28 * i, timeZone);
  return { start: at(index), end: at(index + 1) };
}

// ─── Withdrawal (003 §11, 004: "quatorze jours francs") ─────────────────────────────────────────

/**
 * The instant the withdrawal period closes: the end of the `withdrawalDays`-th local day after the
 * purchase ("jours francs": the day of purchase does not count). Bought on 1 March at 10:00 with
 * 14 days: withdrawal is possible through 15 March 23:59:59.999, refused from 16 March 00:00.
 */
export function withdrawalDeadline(purchasedAt: Date, withdrawalDays: number, timeZone: string): Date {
  return startOfLocalDay(addLocalDays(purchasedAt, withdrawalDays + 1, timeZone), timeZone);
}

export type WithdrawalRefusal = 'status' | 'late' | 'used';

/**
 * Whether a purchase can still be withdrawn: the order must be paid (and not yet refunded), the
 * request inside the period, and no class booked with it, cancelled or not (003 §11: "réserver ou
 * consommer un premier cours"; 004: "prendre un premier cours").
 */
export function withdrawalRefusal(input: {
  status: string;
  /** A renewal order (a later period of a subscription) is not a purchase that can be withdrawn. */
  renewal: boolean;
  purchasedAt: Date | null;
  withdrawalDays: number;
  timeZone: string;
  everBooked: boolean;
  now: Date;
}): WithdrawalRefusal | null {
  if (input.status !== 'PAID' || input.renewal || !input.purchasedAt) return 'status';
  if (input.now.getTime() >= withdrawalDeadline(input.purchasedAt, input.withdrawalDays, input.timeZone).getTime()) return 'late';
  if (input.everBooked) return 'used';
  return null;
}

// ─── Termination (003 §12, 004) ─────────────────────────────────────────────────────────────────

export interface TerminationInput {
  rule: TerminationNoticeRule;
  /** DAYS_BEFORE_BILLING: the notice in days (004: 15). */
  noticeDays: number;
  requestedAt: Date;
  /** The index of the period running at `requestedAt`. */
  currentPeriodIndex: number;
  /** The start of period `index` (its billing date, the monthly anniversary). */
  billingDate: (index: number) => Date;
  commitmentEndsAt: Date | null;
  timeZone: string;
}

/**
 * When a subscription ends if terminated at `requestedAt`: at the first billing date after the
 * request that both respects the notice and is not before the end of the commitment. The period
 * that ends there is the last one; every period started before is due ("chaque mois entamé est
 * dû"), so the subscription never ends in the middle of a period.
 *
 * - MONTH_BEFORE_ANNIVERSARY (003 §12): the request's local date is at least one calendar month
 *   before the anniversary (for 1 April: on 1 March or before); otherwise one more cycle runs.
 * - DAYS_BEFORE_BILLING (004): the request's local date is at least `noticeDays` days before the
 *   next billing date (for 29 March with 15 days: on 14 March or before); otherwise one more period.
 *
 * Notice is counted in calendar days of the organisation's zone: a request any time on the last
 * allowed day is in time.
 */
export function terminationDate(input: TerminationInput): Date {
  const requestDay = startOfLocalDay(input.requestedAt, input.timeZone).getTime();
  const lastNoticeDay = (billing: Date) =>
    input.rule === 'MONTH_BEFORE_ANNIVERSARY'
      ? addLocalMonths(billing, -1, input.timeZone)
      : addLocalDays(billing, -input.noticeDays, input.timeZone);
  // A commitment is at most MAX_COMMITMENT_PERIODS (validated with the offer): a sure bound.
  for (let index = input.currentPeriodIndex + 1; index <= input.currentPeriodIndex + 1_000; index += 1) {
    const billing = input.billingDate(index);
    if (billing.getTime() <= input.requestedAt.getTime()) continue;
    if (input.commitmentEndsAt && billing.getTime() < input.commitmentEndsAt.getTime()) continue;
    if (startOfLocalDay(lastNoticeDay(billing), input.timeZone).getTime() >= requestDay) return billing;
  }
  throw new Error('no billing date satisfies the termination notice');
}

// ─── Pauses (003 §12A) ─────────────────────────────────────────────────────────────────────────

/** A month of pause counts as 31 days against the yearly limit, so any whole months fit in it. */
export const PAUSE_DAYS_PER_MONTH = 31;

export interface PauseSpan {
  startsAt: Date;
  endsAt: Date;
  medical: boolean;
}

/** Local calendar days of [startsAt, endsAt) in each calendar year of the zone. */
export function pausedDaysByYear(pause: Pick<PauseSpan, 'startsAt' | 'endsAt'>, timeZone: string): Map<number, number> {
  const days = new Map<number, number>();
  let day = startOfLocalDay(pause.startsAt, timeZone);
  while (day.getTime() < pause.endsAt.getTime()) {
    const year = Number(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric' }).format(day));
    days.set(year, (days.get(year) ?? 0) + 1);
    day = addLocalDays(day, 1, timeZone);
  }
  return days;
}

/**
 * Whether a non-medical pause fits the yearly limit (003 §12A.1: "deux mois par année civile"):
 * in every calendar year it touches, the non-medical paused days (this pause and the earlier
 * ones) stay within `maxMonths` × 31 days. Medical pauses (granted by staff on a certificate) do
 * not count and have no limit.
 */
export function pauseWithinLimit(requested: PauseSpan, existing: PauseSpan[], maxMonths: number, timeZone: string): boolean {
  if (requested.medical) return true;
  const limit = maxMonths * PAUSE_DAYS_PER_MONTH;
  const totals = new Map<number, number>();
  for (const pause of [...existing.filter((p) => !p.medical), requested]) {
    for (const [year, days] of pausedDaysByYear(pause, timeZone)) totals.set(year, (totals.get(year) ?? 0) + days);
  }
  return [...pausedDaysByYear(requested, timeZone).keys()].every((year) => (totals.get(year) ?? 0) <= limit);
}

/** Whether two pauses overlap (a subscription is paused once at a time). */
export function pausesOverlap(a: Pick<PauseSpan, 'startsAt' | 'endsAt'>, b: Pick<PauseSpan, 'startsAt' | 'endsAt'>): boolean {
  return a.startsAt.getTime() < b.endsAt.getTime() && b.startsAt.getTime() < a.endsAt.getTime();
}
