import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { subscriptionPeriod } from '../../src/domain/credits.js';
import {
  type PauseSpan,
  pausedDaysByYear,
  pauseWithinLimit,
  shiftedPeriod,
  terminationDate,
  withdrawalDeadline,
  withdrawalRefusal,
} from '../../src/domain/subscriptions.js';
import type { BillingPeriod, TerminationNoticeRule } from '../../src/generated/prisma/enums.js';

// Subscription billing rules (SPEC §7): withdrawal (003 §11, 004), termination notice (003 §12,
// 004) and pauses (003 §12A), with the seeds' rules as worked examples. Dates are Paris wall-clock.

const PARIS = 'Europe/Paris';
/** A Paris wall-clock time ("2026-03-01 10:00" or "2026-03-01") as an instant. */
const at = (local: string) => DateTime.fromSQL(local, { zone: PARIS }).toJSDate();
const day = (local: string) => DateTime.fromSQL(local, { zone: PARIS }).toJSDate();

describe('withdrawalDeadline and withdrawalRefusal (14 jours francs)', () => {
  it('closes at the end of the 14th local day after the purchase', () => {
    expect(withdrawalDeadline(at('2026-03-01 10:00'), 14, PARIS)).toEqual(day('2026-03-16'));
    // Bought just after midnight: the day of purchase still does not count.
    expect(withdrawalDeadline(at('2026-03-01 00:05'), 14, PARIS)).toEqual(day('2026-03-16'));
    // Across the change to summer time (29 March 2026): still local midnight.
    expect(withdrawalDeadline(at('2026-03-20 18:00'), 14, PARIS)).toEqual(day('2026-04-04'));
  });

  const base = { status: 'PAID', renewal: false, purchasedAt: at('2026-03-01 10:00'), withdrawalDays: 14, timeZone: PARIS, everBooked: false };
  it.each<[string, Partial<typeof base> & { now: Date }, ReturnType<typeof withdrawalRefusal>]>([
    ['day 14, last minute', { now: at('2026-03-15 23:59') }, null],
    ['day 15', { now: at('2026-03-16 00:00') }, 'late'],
    ['a class booked (003: "réserver/consommer un premier cours")', { now: at('2026-03-05 10:00'), everBooked: true }, 'used'],
    ['late and used: late', { now: at('2026-03-20 10:00'), everBooked: true }, 'late'],
    ['not paid', { now: at('2026-03-02 10:00'), status: 'PENDING' }, 'status'],
    ['already refunded (a second request)', { now: at('2026-03-02 10:00'), status: 'REFUNDED' }, 'status'],
    ['a renewal order', { now: at('2026-03-02 10:00'), renewal: true }, 'status'],
  ])('%s', (_name, input, expected) => {
    expect(withdrawalRefusal({ ...base, ...input })).toBe(expected);
  });
});

describe('terminationDate', () => {
  const monthly = (anchor: string) => (index: number) => subscriptionPeriod(day(anchor), index, 'MONTH', PARIS).start;
  const fourWeeks = (anchor: string) => (index: number) => subscriptionPeriod(day(anchor), index, 'FOUR_WEEKS', PARIS).start;
  it.each<[string, TerminationNoticeRule, (i: number) => Date, number, string, string | null, string]>([
    // 003 §12: one month before the monthly anniversary; else one more cycle.
    ['003: 5 April for the 10 May anniversary', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-03-10'), 1, '2026-04-05 10:00', null, '2026-05-10'],
    ['003: on the anniversary day itself, a month ahead', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-03-10'), 1, '2026-04-10 18:00', null, '2026-05-10'],
    ['003: one day late → one more cycle', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-03-10'), 1, '2026-04-11 09:00', null, '2026-06-10'],
    ['003: anchored on the 31st, February clamps', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-01-31'), 0, '2026-01-28 12:00', null, '2026-02-28'],
    ['003: anchored on the 31st, too late for February', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-01-31'), 0, '2026-01-29 12:00', null, '2026-03-31'],
    ['003: with a 12-month commitment, at its end', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-03-10'), 1, '2026-04-05 10:00', '2027-03-10', '2027-03-10'],
    ['003: commitment end, notice missed → one month later', 'MONTH_BEFORE_ANNIVERSARY', monthly('2026-03-10'), 11, '2027-02-20 10:00', '2027-03-10', '2027-04-10'],
    // 004: 15 days before the next billing date (four-week periods: 1 Mar, 29 Mar, 26 Apr, 24 May).
    ['004: 15 days before 29 March', 'DAYS_BEFORE_BILLING', fourWeeks('2026-03-01'), 0, '2026-03-14 20:00', null, '2026-03-29'],
    ['004: 14 days before → one period later', 'DAYS_BEFORE_BILLING', fourWeeks('2026-03-01'), 0, '2026-03-15 08:00', null, '2026-04-26'],
    ['004: with commitment (3 periods), at its end', 'DAYS_BEFORE_BILLING', fourWeeks('2026-03-01'), 0, '2026-03-02 08:00', '2026-05-24', '2026-05-24'],
    ['004: beyond the commitment, the nearest date with notice', 'DAYS_BEFORE_BILLING', fourWeeks('2026-03-01'), 2, '2026-05-10 08:00', '2026-05-24', '2026-06-21'],
    ['004 rule on monthly billing', 'DAYS_BEFORE_BILLING', monthly('2026-03-10'), 0, '2026-03-20 10:00', null, '2026-04-10'],
  ])('%s', (_name, rule, billingDate, currentPeriodIndex, requestedAt, commitmentEndsAt, expected) => {
    const endsAt = terminationDate({
      rule,
      noticeDays: 15,
      requestedAt: at(requestedAt),
      currentPeriodIndex,
      billingDate,
      commitmentEndsAt: commitmentEndsAt ? day(commitmentEndsAt) : null,
      timeZone: PARIS,
    });
    expect(endsAt).toEqual(day(expected));
  });
});

describe('pauseWithinLimit (003 §12A.1: two months per calendar year, unless medical)', () => {
  const pause = (start: string, months: number, medical = false): PauseSpan => ({
    startsAt: day(start),
    endsAt: DateTime.fromSQL(start, { zone: PARIS }).plus({ months }).toJSDate(),
    medical,
  });
  it.each<[string, PauseSpan, PauseSpan[], boolean]>([
    ['one month', pause('2026-03-01', 1), [], true],
    ['two months (61 days)', pause('2026-07-01', 2), [], true],
    ['three months', pause('2026-03-01', 3), [], false],
    ['three months, medical', pause('2026-03-01', 3, true), [], true],
    ['one month after another one in the year', pause('2026-07-01', 1), [pause('2026-03-01', 1)], true],
    ['a second month after two', pause('2026-09-01', 1), [pause('2026-03-01', 2)], false],
    ['after a medical pause, which does not count', pause('2026-09-01', 2), [pause('2026-03-01', 4, true)], true],
    ['the next year has its own two months', pause('2027-03-01', 2), [pause('2026-03-01', 2)], true],
    ['across New Year: each year counts its days', pause('2026-12-01', 2), [pause('2026-03-01', 1)], true],
    ['after a pause across New Year, two more months in January’s year', pause('2027-03-01', 2), [pause('2026-12-01', 2)], false],
    ['after a pause across New Year, one more month', pause('2027-06-01', 1), [pause('2026-12-01', 2)], true],
  ])('%s', (_name, requested, existing, expected) => {
    expect(pauseWithinLimit(requested, existing, 2, PARIS)).toBe(expected);
  });

  it('counts local days per calendar year', () => {
    expect([...pausedDaysByYear(pause('2026-12-01', 2), PARIS)]).toEqual([
      [2026, 31],
      [2027, 31],
    ]);
  });
});

describe('shiftedPeriod (003 §12A.3: the billing date moves by the pause)', () => {
  it.each<[string, string, number, number, BillingPeriod, string, string]>([
    ['no shift is subscriptionPeriod', '2026-03-10', 0, 2, 'MONTH', '2026-05-10', '2026-06-10'],
    ['one month of pause moves period 2 by a month', '2026-03-10', 1, 2, 'MONTH', '2026-06-10', '2026-07-10'],
    ['anchored on the 31st, shifted from the anchor (no drift)', '2026-01-31', 1, 1, 'MONTH', '2026-03-31', '2026-04-30'],
    ['four weeks after the anchor moved by a month', '2026-03-01', 1, 1, 'FOUR_WEEKS', '2026-04-29', '2026-05-27'],
  ])('%s', (_name, anchor, shift, index, period, start, end) => {
    expect(shiftedPeriod(day(anchor), shift, index, period, PARIS)).toEqual({ start: day(start), end: day(end) });
  });
});
