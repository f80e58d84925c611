import { describe, expect, it } from 'vitest';
import type { LateCancellation, SessionStatus } from '../../src/generated/prisma/enums.js';
import {
  ageRange,
  paymentRefusal,
  type AudiencePolicy,
  attendanceOpen,
  bookingBlocker,
  type CancellationPolicy,
  cancellationOutcome,
  fitsAudience,
  rescheduleAllowed,
} from '../../src/domain/booking.js';

// The booking rules of SPEC §5, checked against the seeds' own examples.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PARIS = 'Europe/Paris';

/** An instant `ms` milliseconds before `at`. */
const before = (at: Date, ms: number) => new Date(at.getTime() - ms);

describe('bookingBlocker', () => {
  const startsAt = new Date('2026-06-10T16:00:00Z');

  it.each<[string, SessionStatus, Date, 'cancelled' | 'started' | null]>([
    ['a scheduled session tomorrow can be booked', 'SCHEDULED', before(startsAt, 24 * HOUR), null],
    ['a scheduled session one minute before its start can still be booked', 'SCHEDULED', before(startsAt, MINUTE), null],
    ['a session at its very start can no longer be booked', 'SCHEDULED', startsAt, 'started'],
    ['a session that started an hour ago cannot be booked', 'SCHEDULED', before(startsAt, -HOUR), 'started'],
    ['a session cancelled by the organisation cannot be booked, even in the future', 'CANCELLED', before(startsAt, 24 * HOUR), 'cancelled'],
    ['a cancelled session in the past reports the cancellation', 'CANCELLED', before(startsAt, -HOUR), 'cancelled'],
  ])('SPEC §5: %s', (_name, status, now, expected) => {
    expect(bookingBlocker({ status, startsAt }, now)).toBe(expected);
  });
});

describe('ageRange', () => {
  it.each<[string, AudiencePolicy, { min: number; max: number }]>([
    ['ADULT class without limits takes people from 18 years, no upper limit', { audience: 'ADULT', minAgeMonths: null, maxAgeMonths: null }, { min: 216, max: Infinity }],
    ['CHILD class without limits takes children up to 17 years 11 months', { audience: 'CHILD', minAgeMonths: null, maxAgeMonths: null }, { min: 0, max: 215 }],
    ['003 baby class 6–36 months keeps its explicit range', { audience: 'CHILD', minAgeMonths: 6, maxAgeMonths: 36 }, { min: 6, max: 36 }],
    ['ADULT class with an explicit minimum of 16 years keeps it', { audience: 'ADULT', minAgeMonths: 192, maxAgeMonths: null }, { min: 192, max: Infinity }],
    ['CHILD class with only a minimum keeps the under-18 default maximum', { audience: 'CHILD', minAgeMonths: 48, maxAgeMonths: null }, { min: 48, max: 215 }],
    ['ADULT class with only a maximum keeps the 18-year default minimum', { audience: 'ADULT', minAgeMonths: null, maxAgeMonths: 65 * 12 }, { min: 216, max: 780 }],
  ])('SPEC §3: %s', (_name, policy, expected) => {
    expect(ageRange(policy)).toEqual(expected);
  });
});

describe('fitsAudience', () => {
  const baby: AudiencePolicy = { audience: 'CHILD', minAgeMonths: 6, maxAgeMonths: 36 };
  const adult: AudiencePolicy = { audience: 'ADULT', minAgeMonths: null, maxAgeMonths: null };
  const child: AudiencePolicy = { audience: 'CHILD', minAgeMonths: null, maxAgeMonths: null };

  // Birth dates are SQL `date`s (UTC midnight). Before 28 March 2027 Paris is UTC+1.
  it.each<[string, AudiencePolicy, string, string, string, boolean]>([
    // Baby class 6–36 months, born 15 September 2026: 6 months old on 15 March 2027.
    ['baby class 6–36 months, session on the day the child turns 6 months', baby, '2026-09-15', '2027-03-15T09:00:00Z', PARIS, true],
    ['baby class 6–36 months, session the day before the child turns 6 months', baby, '2026-09-15', '2027-03-14T09:00:00Z', PARIS, false],
    [
      'baby class, session at 23:30 UTC on 14 March = 00:30 on 15 March in Paris: already 6 months',
      baby, '2026-09-15', '2027-03-14T23:30:00Z', PARIS, true,
    ],
    [
      'baby class, the same session instant read in UTC is still 14 March: 5 months',
      baby, '2026-09-15', '2027-03-14T23:30:00Z', 'UTC', false,
    ],
    ['baby class, 23:30 Paris on 14 March (22:30 UTC) is still the day before: 5 months', baby, '2026-09-15', '2027-03-14T22:30:00Z', PARIS, false],
    ['baby class, a child of exactly 36 months still fits', baby, '2024-03-15', '2027-03-15T09:00:00Z', PARIS, true],
    ['baby class, a child of 36 months and 30 days still fits (whole months)', baby, '2024-02-16', '2027-03-15T09:00:00Z', PARIS, true],
    ['baby class, a child of 37 months is too old', baby, '2024-02-15', '2027-03-15T09:00:00Z', PARIS, false],
    ['baby class, born 31 August: 6 months on the last day of February', baby, '2026-08-31', '2027-02-28T09:00:00Z', PARIS, true],
    ['baby class, born 31 August: 5 months on 27 February', baby, '2026-08-31', '2027-02-27T09:00:00Z', PARIS, false],
    // ADULT default: 18 years (216 months).
    ['ADULT class, on the 18th birthday', adult, '2009-03-15', '2027-03-15T09:00:00Z', PARIS, true],
    ['ADULT class, the day before the 18th birthday', adult, '2009-03-15', '2027-03-14T09:00:00Z', PARIS, false],
    ['ADULT class, 23:30 UTC the eve of the 18th birthday is the birthday in Paris', adult, '2009-03-15', '2027-03-14T23:30:00Z', PARIS, true],
    ['ADULT class, a 70-year-old fits (no upper limit)', adult, '1957-01-01', '2027-03-15T09:00:00Z', PARIS, true],
    // CHILD without range: under 18.
    ['CHILD class without range, the day before the 18th birthday', child, '2009-03-15', '2027-03-14T09:00:00Z', PARIS, true],
    ['CHILD class without range, on the 18th birthday', child, '2009-03-15', '2027-03-15T09:00:00Z', PARIS, false],
    ['CHILD class without range, a newborn on the day of birth', child, '2027-03-15', '2027-03-15T09:00:00Z', PARIS, true],
  ])('SPEC §5: %s', (_name, policy, birth, session, zone, expected) => {
    expect(fitsAudience(policy, new Date(`${birth}T00:00:00Z`), new Date(session), zone)).toBe(expected);
  });
});

describe('cancellationOutcome', () => {
  const adult4h: CancellationPolicy = { cancellationNoticeHours: 4, lateCancellation: 'FORFEIT' };
  const child24h: CancellationPolicy = { cancellationNoticeHours: 24, lateCancellation: 'FORFEIT' };
  const private24h: CancellationPolicy = { cancellationNoticeHours: 24, lateCancellation: 'FORFEIT' };
  const swimStars4h: CancellationPolicy = { cancellationNoticeHours: 4, lateCancellation: 'FORFEIT' };
  const pss6h: CancellationPolicy = { cancellationNoticeHours: 6, lateCancellation: 'FORFEIT' };
  const aquabikeAnnual6h: CancellationPolicy = { cancellationNoticeHours: 6, lateCancellation: 'RECREDIT' };

  // 18:00 in Paris (summer time) on 10 June 2026.
  const startsAt = new Date('2026-06-10T16:00:00Z');
  // 004's own example: a class at 14:00 Paris (12:00Z).
  const at14h = new Date('2026-06-10T12:00:00Z');

  type Expected = { kind: 'IN_TIME' | 'LATE' | 'STARTED'; status?: 'CANCELLED' | 'LATE_CANCELLED'; creditReturned?: boolean };
  const inTime: Expected = { kind: 'IN_TIME', status: 'CANCELLED', creditReturned: true };
  const lateForfeit: Expected = { kind: 'LATE', status: 'LATE_CANCELLED', creditReturned: false };
  const lateRecredit: Expected = { kind: 'LATE', status: 'LATE_CANCELLED', creditReturned: true };
  const started: Expected = { kind: 'STARTED' };

  it.each<[string, CancellationPolicy, Date, Date, Expected]>([
    ['003 §8: adult class, cancelled 4 h 00 before → in time', adult4h, startsAt, before(startsAt, 4 * HOUR), inTime],
    ['003 §8: adult class, cancelled 4 h 01 before → in time', adult4h, startsAt, before(startsAt, 4 * HOUR + MINUTE), inTime],
    ['003 §8: adult class, cancelled two days before → in time', adult4h, startsAt, before(startsAt, 48 * HOUR), inTime],
    ['003 §8: adult class, cancelled 3 h 59 before → late, credit lost', adult4h, startsAt, before(startsAt, 4 * HOUR - MINUTE), lateForfeit],
    ['003 §8: adult class, cancelled 1 ms after the deadline → late, credit lost', adult4h, startsAt, before(startsAt, 4 * HOUR - 1), lateForfeit],
    ['003 §8: adult class, cancelled 5 minutes before → late, credit lost', adult4h, startsAt, before(startsAt, 5 * MINUTE), lateForfeit],
    ['003 §8: child class, cancelled 24 h 00 before → in time', child24h, startsAt, before(startsAt, 24 * HOUR), inTime],
    ['003 §8: child class, cancelled 23 h 59 before → late, credit lost', child24h, startsAt, before(startsAt, 24 * HOUR - MINUTE), lateForfeit],
    ['003 §8: child class, cancelled 4 h before (enough for an adult) → late, credit lost', child24h, startsAt, before(startsAt, 4 * HOUR), lateForfeit],
    ['003 §18: private lesson, cancelled 24 h 00 before → in time', private24h, startsAt, before(startsAt, 24 * HOUR), inTime],
    ['003 §18: private lesson, cancelled 23 h before → still counted (late, credit lost)', private24h, startsAt, before(startsAt, 23 * HOUR), lateForfeit],
    ['004: class at 14:00, cancelled at 09:55 → in time', swimStars4h, at14h, new Date('2026-06-10T07:55:00Z'), inTime],
    ['004: class at 14:00, cancelled at 10:00 (4 h minimum respected) → in time', swimStars4h, at14h, new Date('2026-06-10T08:00:00Z'), inTime],
    ['004: class at 14:00, cancelled at 10:01 → late, class lost', swimStars4h, at14h, new Date('2026-06-10T08:01:00Z'), lateForfeit],
    ['000: cancelled 6 h 00 before → in time', pss6h, startsAt, before(startsAt, 6 * HOUR), inTime],
    ['000: cancelled 5 h 59 before → late, session lost', pss6h, startsAt, before(startsAt, 6 * HOUR - MINUTE), lateForfeit],
    ['000: annual aquabike member, cancelled 6 h before → in time', aquabikeAnnual6h, startsAt, before(startsAt, 6 * HOUR), inTime],
    ['000: annual aquabike member (RECREDIT), cancelled 1 h before → late but credit returned', aquabikeAnnual6h, startsAt, before(startsAt, HOUR), lateRecredit],
    ['000: annual aquabike member (RECREDIT), cancelled 1 ms before the start → late but credit returned', aquabikeAnnual6h, startsAt, before(startsAt, 1), lateRecredit],
    ['SPEC §5: at the start, nothing left to cancel', adult4h, startsAt, startsAt, started],
    ['SPEC §5: an hour after the start, nothing left to cancel', child24h, startsAt, before(startsAt, -HOUR), started],
    ['000: even a RECREDIT member cannot cancel once started', aquabikeAnnual6h, startsAt, before(startsAt, -MINUTE), started],
  ])('%s', (_name, policy, sessionStart, now, expected) => {
    const outcome = cancellationOutcome({ startsAt: sessionStart }, policy, now);
    expect(outcome).toEqual({
      ...expected,
      deadline: new Date(sessionStart.getTime() - policy.cancellationNoticeHours * HOUR),
    });
  });

  describe('daylight saving (Europe/Paris): the notice is elapsed hours, not wall-clock hours', () => {
    // Spring forward 2027-03-28 at 01:00Z (02:00 CET → 03:00 CEST).
    // Session 2027-03-28 10:00 CEST = 08:00Z. 24 h before = 2027-03-27 08:00Z = 09:00 CET (not 10:00).
    const springSession = new Date('2027-03-28T08:00:00Z');
    // Fall back 2026-10-25 at 01:00Z (03:00 CEST → 02:00 CET).
    // Session 2026-10-25 10:00 CET = 09:00Z. 24 h before = 2026-10-24 09:00Z = 11:00 CEST (not 10:00).
    const autumnSession = new Date('2026-10-25T09:00:00Z');

    it('003 §8: child class at 10:00 Paris on the spring-forward day has its 24 h deadline at 09:00 local the day before', () => {
      const outcome = cancellationOutcome({ startsAt: springSession }, child24h, new Date('2027-03-20T00:00:00Z'));
      expect(outcome.deadline).toEqual(new Date('2027-03-27T08:00:00Z'));
    });

    it('003 §8: child class at 10:00 Paris on the fall-back day has its 24 h deadline at 11:00 local the day before', () => {
      const outcome = cancellationOutcome({ startsAt: autumnSession }, child24h, new Date('2026-10-20T00:00:00Z'));
      expect(outcome.deadline).toEqual(new Date('2026-10-24T09:00:00Z'));
    });

    it.each<[string, Date, string, Expected]>([
      // 09:00 CET on 27 March: 24 h elapsed (25 h on the wall clock minus the skipped hour).
      ['003 §8 spring forward: child class at 10:00, cancelled at 09:00 local the day before (exactly 24 h elapsed) → in time', springSession, '2027-03-27T08:00:00Z', inTime],
      // 09:30 CET on 27 March: 24 h 30 on the wall clock, but only 23 h 30 elapsed.
      ['003 §8 spring forward: child class at 10:00, cancelled at 09:30 local the day before (23 h 30 elapsed) → late', springSession, '2027-03-27T08:30:00Z', lateForfeit],
      // 10:00 CET on 27 March: exactly 24 h on the wall clock, only 23 h elapsed.
      ['003 §8 spring forward: child class at 10:00, cancelled at 10:00 local the day before (wall clock 24 h, 23 h elapsed) → late', springSession, '2027-03-27T09:00:00Z', lateForfeit],
      ['003 §8 spring forward: child class at 10:00, cancelled at 08:59 local the day before → in time', springSession, '2027-03-27T07:59:00Z', inTime],
      // 10:30 CEST on 24 October: 23 h 30 on the wall clock, 24 h 30 elapsed.
      ['003 §8 fall back: child class at 10:00, cancelled at 10:30 local the day before (24 h 30 elapsed) → in time', autumnSession, '2026-10-24T08:30:00Z', inTime],
      ['003 §8 fall back: child class at 10:00, cancelled at 11:00 local the day before (exactly 24 h elapsed) → in time', autumnSession, '2026-10-24T09:00:00Z', inTime],
      ['003 §8 fall back: child class at 10:00, cancelled at 11:01 local the day before (23 h 59 elapsed) → late', autumnSession, '2026-10-24T09:01:00Z', lateForfeit],
    ])('%s', (_name, sessionStart, now, expected) => {
      expect(cancellationOutcome({ startsAt: sessionStart }, child24h, new Date(now))).toMatchObject(expected);
    });

    it('003 §8 spring forward: adult class at 05:00 CEST, 4 h notice ends at 00:00 CET (03:00Z), not 01:00 local', () => {
      // 2027-03-28 05:00 CEST = 03:00Z; 4 elapsed hours before = 2027-03-27T23:00Z = 00:00 CET on the 28th.
      const session = new Date('2027-03-28T03:00:00Z');
      expect(cancellationOutcome({ startsAt: session }, adult4h, new Date('2027-03-27T23:00:00Z'))).toMatchObject(inTime);
      expect(cancellationOutcome({ startsAt: session }, adult4h, new Date('2027-03-27T23:30:00Z'))).toMatchObject(lateForfeit);
    });
  });
});

describe('rescheduleAllowed', () => {
  const startsAt = new Date('2026-06-10T16:00:00Z');
  const policy = (hours: number, lateCancellation: LateCancellation): CancellationPolicy => ({
    cancellationNoticeHours: hours,
    lateCancellation,
  });

  it.each<[string, CancellationPolicy, Date, boolean]>([
    ['000: moved 7 h before a 6 h-notice session → allowed', policy(6, 'FORFEIT'), before(startsAt, 7 * HOUR), true],
    ['000: moved exactly at the 6 h deadline → allowed', policy(6, 'FORFEIT'), before(startsAt, 6 * HOUR), true],
    ['000: moved 5 h before a 6 h-notice session (the credit would be lost) → refused', policy(6, 'FORFEIT'), before(startsAt, 5 * HOUR), false],
    ['000: annual aquabike member (RECREDIT) moving 1 h before → allowed, cancelling would cost nothing', policy(6, 'RECREDIT'), before(startsAt, HOUR), true],
    ['000: annual aquabike member (RECREDIT) after the start → refused', policy(6, 'RECREDIT'), before(startsAt, -MINUTE), false],
    ['003 §8: child class moved 23 h before (24 h notice) → refused', policy(24, 'FORFEIT'), before(startsAt, 23 * HOUR), false],
    ['003 §8: adult class moved at the start → refused', policy(4, 'FORFEIT'), startsAt, false],
  ])('%s', (_name, cancellation, now, expected) => {
    expect(rescheduleAllowed(cancellationOutcome({ startsAt }, cancellation, now))).toBe(expected);
  });
});

describe('attendanceOpen', () => {
  const startsAt = new Date('2026-06-10T16:00:00Z');

  it.each<[string, Date, boolean]>([
    ['003 §7: the register is not open 2 h before the class', before(startsAt, 2 * HOUR), false],
    ['003 §7: the register is not open 1 h 01 before the class', before(startsAt, HOUR + MINUTE), false],
    ['003 §7: the register opens exactly 1 h before the class', before(startsAt, HOUR), true],
    ['003 §7: members arriving 15 minutes early can be marked present', before(startsAt, 15 * MINUTE), true],
    ['003 §7: the register is open at the start', startsAt, true],
    ['003 §7: the register stays open after the class (NO_SHOW marked later)', before(startsAt, -3 * HOUR), true],
  ])('%s', (_name, now, expected) => {
    expect(attendanceOpen({ startsAt }, now)).toBe(expected);
  });
});

describe('paymentRefusal (000: pay for the session, online or at the desk)', () => {
  const priced = { priceCents: 1500, inPersonPaymentAllowed: true };
  it.each([
    ['a credit, whatever the session', { priceCents: null, inPersonPaymentAllowed: false }, 'CREDIT', null, false, null],
    ['at the desk where the organisation allows it', priced, 'IN_PERSON', null, false, null],
    ['online with Stripe configured', priced, 'ONLINE', null, true, null],
    ['at the desk where it does not', { ...priced, inPersonPaymentAllowed: false }, 'IN_PERSON', null, false, 'IN_PERSON_PAYMENT_NOT_ALLOWED'],
    ['online without Stripe', priced, 'ONLINE', null, false, 'ONLINE_PAYMENT_UNAVAILABLE'],
    ['a session without a price', { ...priced, priceCents: null }, 'ONLINE', null, true, 'VALIDATION'],
    ['a chosen credit with a paid booking', priced, 'IN_PERSON', 'e1', false, 'VALIDATION'],
  ] as const)('%s', (_case, session, payWith, entitlementId, online, code) => {
    expect(paymentRefusal(session, payWith, entitlementId, online)?.code ?? null).toBe(code);
  });
});
