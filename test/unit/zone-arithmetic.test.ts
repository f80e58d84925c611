import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { addLocalDays, addLocalMonths, ageInMonths, hoursBefore, localYear, startOfLocalDay } from '../../src/domain/time.js';

// Calendar arithmetic in an organisation's zone (SPEC §4–5). Europe/Paris changes to summer time on
// 2027-03-28 at 01:00Z and back to winter time on 2026-10-25 at 01:00Z.

const HOUR = 3_600_000;
const PARIS = 'Europe/Paris';
const hoursBetween = (a: Date, b: Date) => (b.getTime() - a.getTime()) / HOUR;

describe('startOfLocalDay', () => {
  it.each<[string, string, string, string]>([
    ['a winter afternoon in Paris starts at 23:00Z the day before', '2027-01-10T14:00:00Z', PARIS, '2027-01-09T23:00:00.000Z'],
    ['00:30 Paris (23:30Z) belongs to the next Paris day', '2027-01-09T23:30:00Z', PARIS, '2027-01-09T23:00:00.000Z'],
    ['22:59Z is still 23:59 Paris the same day', '2027-01-09T22:59:00Z', PARIS, '2027-01-08T23:00:00.000Z'],
    ['the spring-forward day starts at midnight winter time (23:00Z)', '2027-03-28T12:00:00Z', PARIS, '2027-03-27T23:00:00.000Z'],
    ['the day after spring forward starts at midnight summer time (22:00Z)', '2027-03-28T23:30:00Z', PARIS, '2027-03-28T22:00:00.000Z'],
    ['the fall-back day starts at midnight summer time (22:00Z)', '2026-10-25T12:00:00Z', PARIS, '2026-10-24T22:00:00.000Z'],
    ['the repeated hour of the fall-back day (02:30 CET) is on that day', '2026-10-25T01:30:00Z', PARIS, '2026-10-24T22:00:00.000Z'],
    ['the day after fall back starts at midnight winter time (23:00Z)', '2026-10-25T23:30:00Z', PARIS, '2026-10-25T23:00:00.000Z'],
    ['in UTC, the day starts at 00:00Z', '2027-01-09T23:30:00Z', 'UTC', '2027-01-09T00:00:00.000Z'],
    ['New York is still on the previous day at 03:30Z', '2027-01-10T03:30:00Z', 'America/New_York', '2027-01-09T05:00:00.000Z'],
  ])('%s', (_name, instant, zone, expected) => {
    expect(startOfLocalDay(new Date(instant), zone).toISOString()).toBe(expected);
  });
});

describe('addLocalDays', () => {
  it.each<[string, string, number, string, number]>([
    ['10:00 CET + 1 day across spring forward is 10:00 CEST, 23 elapsed hours', '2027-03-27T09:00:00Z', 1, '2027-03-28T08:00:00.000Z', 23],
    ['10:00 CEST + 1 day across fall back is 10:00 CET, 25 elapsed hours', '2026-10-24T08:00:00Z', 1, '2026-10-25T09:00:00.000Z', 25],
    ['an ordinary day is 24 hours', '2027-01-10T14:00:00Z', 1, '2027-01-11T14:00:00.000Z', 24],
    ['30 days from 1 March 10:00 CET keep the wall clock (10:00 CEST on 31 March)', '2027-03-01T09:00:00Z', 30, '2027-03-31T08:00:00.000Z', 30 * 24 - 1],
    ['−1 day from 10:00 CEST on the spring-forward day is 10:00 CET the day before', '2027-03-28T08:00:00Z', -1, '2027-03-27T09:00:00.000Z', -23],
    ['28 days across fall back (004 four-week period)', '2026-10-04T22:00:00Z', 28, '2026-11-01T23:00:00.000Z', 28 * 24 + 1],
    ['0 days changes nothing', '2027-03-28T08:00:00Z', 0, '2027-03-28T08:00:00.000Z', 0],
  ])('%s', (_name, instant, days, expected, hours) => {
    const from = new Date(instant);
    const to = addLocalDays(from, days, PARIS);
    expect(to.toISOString()).toBe(expected);
    expect(hoursBetween(from, to)).toBe(hours);
  });
});

describe('addLocalMonths', () => {
  // Anchors are local midnights in Paris.
  const jan31 = '2027-01-30T23:00:00Z';
  it.each<[string, string, number, string]>([
    ['003: 1 March 00:00 Paris + 1 month = 1 April 00:00 Paris', '2027-02-28T23:00:00Z', 1, '2027-03-31T22:00:00.000Z'],
    ['003: 31 January + 1 month = 28 February', jan31, 1, '2027-02-27T23:00:00.000Z'],
    ['003: 31 January + 2 months = 31 March (from the anchor, not 28 March)', jan31, 2, '2027-03-30T22:00:00.000Z'],
    ['003: 31 January + 3 months = 30 April', jan31, 3, '2027-04-29T22:00:00.000Z'],
    ['003: 31 January + 4 months = 31 May', jan31, 4, '2027-05-30T22:00:00.000Z'],
    ['003: 31 January 2028 + 1 month = 29 February (leap year)', '2028-01-30T23:00:00Z', 1, '2028-02-28T23:00:00.000Z'],
    ['003: 31 January + 12 months = 31 January next year', jan31, 12, '2028-01-30T23:00:00.000Z'],
    ['003: 12:00 CEST on 10 October + 1 month = 12:00 CET on 10 November', '2026-10-10T10:00:00Z', 1, '2026-11-10T11:00:00.000Z'],
    ['003: 15 March − 1 month = 15 February', '2027-03-14T23:00:00Z', -1, '2027-02-14T23:00:00.000Z'],
  ])('%s', (_name, anchor, months, expected) => {
    expect(addLocalMonths(new Date(anchor), months, PARIS).toISOString()).toBe(expected);
  });

  it('003: the month of March 2027 in Paris is 743 elapsed hours (1 March 00:00 → 1 April 00:00)', () => {
    const march1 = new Date('2027-02-28T23:00:00Z');
    expect(hoursBetween(march1, addLocalMonths(march1, 1, PARIS))).toBe(743);
  });

  it('003: the month of October 2026 in Paris is 745 elapsed hours', () => {
    const october1 = new Date('2026-09-30T22:00:00Z');
    expect(hoursBetween(october1, addLocalMonths(october1, 1, PARIS))).toBe(745);
  });
});

describe('hoursBefore', () => {
  it.each<[string, string, number, string]>([
    ['003 §8: 24 h before 10:00 CEST on the spring-forward day is 09:00 CET the day before', '2027-03-28T08:00:00Z', 24, '2027-03-27T08:00:00.000Z'],
    ['003 §8: 24 h before 10:00 CET on the fall-back day is 11:00 CEST the day before', '2026-10-25T09:00:00Z', 24, '2026-10-24T09:00:00.000Z'],
    ['003 §8: 4 h before 03:30 CEST on the spring-forward day is 22:30 CET the day before', '2027-03-28T01:30:00Z', 4, '2027-03-27T21:30:00.000Z'],
    ['000: 6 h before 18:00 CEST is 12:00 CEST', '2026-06-10T16:00:00Z', 6, '2026-06-10T10:00:00.000Z'],
    ['a fraction of an hour (30 minutes)', '2026-06-10T16:00:00Z', 0.5, '2026-06-10T15:30:00.000Z'],
    ['zero hours is the instant itself', '2026-06-10T16:00:00Z', 0, '2026-06-10T16:00:00.000Z'],
  ])('%s', (_name, instant, hours, expected) => {
    expect(hoursBefore(new Date(instant), hours).toISOString()).toBe(expected);
  });
});

describe('localYear', () => {
  it.each<[string, string, string, number]>([
    ['003 §12A: 23:30Z on 31 December 2026 is already 2027 in Paris', '2026-12-31T23:30:00Z', PARIS, 2027],
    ['003 §12A: 22:59Z on 31 December 2026 is still 2026 in Paris', '2026-12-31T22:59:00Z', PARIS, 2026],
    ['003 §12A: the same 23:30Z instant is 2026 in UTC', '2026-12-31T23:30:00Z', 'UTC', 2026],
    ['003 §12A: 03:00Z on 1 January 2027 is still 2026 in New York', '2027-01-01T03:00:00Z', 'America/New_York', 2026],
    ['003 §12A: midsummer', '2027-07-01T12:00:00Z', PARIS, 2027],
  ])('%s', (_name, instant, zone, year) => {
    expect(localYear(new Date(instant), zone)).toBe(year);
  });
});

describe('ageInMonths', () => {
  it.each<[string, string, string, number]>([
    ['born 15 March: 6 months on 15 September', '2026-03-15', '2026-09-15', 6],
    ['born 15 March: still 5 months on 14 September', '2026-03-15', '2026-09-14', 5],
    ['born 31 August: 6 months on the last day of February', '2026-08-31', '2027-02-28', 6],
    ['born 31 August: 5 months on 27 February', '2026-08-31', '2027-02-27', 5],
    ['born 31 August 2027: 6 months on 29 February 2028 (leap year)', '2027-08-31', '2028-02-29', 6],
    ['born 31 August 2027: 5 months on 28 February 2028 (leap year)', '2027-08-31', '2028-02-28', 5],
    ['born 29 February 2028: 12 months on 28 February 2029', '2028-02-29', '2029-02-28', 12],
    ['born 29 February 2028: 11 months on 27 February 2029', '2028-02-29', '2029-02-27', 11],
    ['born 31 January: 1 month on 28 February, still 1 month on 30 March', '2027-01-31', '2027-03-30', 1],
    ['born 31 January: 2 months on 31 March', '2027-01-31', '2027-03-31', 2],
    ['across new year: born 20 December, 0 months on 19 January', '2026-12-20', '2027-01-19', 0],
    ['across new year: born 20 December, 1 month on 20 January', '2026-12-20', '2027-01-20', 1],
    ['on the day of birth: 0 months', '2027-03-15', '2027-03-15', 0],
    ['36 months on the third birthday', '2024-03-15', '2027-03-15', 36],
    ['216 months (18 years) on the 18th birthday', '2009-03-15', '2027-03-15', 216],
    ['215 months the day before the 18th birthday', '2009-03-15', '2027-03-14', 215],
  ])('%s', (_name, birth, on, months) => {
    expect(ageInMonths(new Date(`${birth}T00:00:00Z`), new Date(`${on}T00:00:00Z`))).toBe(months);
  });

  it('agrees with calendar arithmetic (luxon) for every birth day of five years, on dates up to four years later', () => {
    const day = 86_400_000;
    const first = Date.UTC(2024, 0, 1);
    let compared = 0;
    for (let birth = first; birth < Date.UTC(2029, 0, 1); birth += day) {
      // Every day of the month after the birth, and days spread over four years, before it too.
      const offsets = [-40, -1, 0, ...Array.from({ length: 31 }, (_, k) => 27 + k), 365, 366, 730, 1095, 1461];
      for (const offset of offsets) {
        for (const on of [birth + offset * day, birth + offset * day + 13 * 3_600_000]) {
          const luxonBirth = DateTime.fromMillis(birth, { zone: 'UTC' });
          const luxonOn = DateTime.fromMillis(on, { zone: 'UTC' });
          let expected = (luxonOn.year - luxonBirth.year) * 12 + (luxonOn.month - luxonBirth.month);
          if (luxonBirth.plus({ months: expected }) > luxonOn) expected -= 1;
          expect(ageInMonths(new Date(birth), new Date(on))).toBe(expected);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(70_000);
  });
});
