import { describe, expect, it } from 'vitest';
import { calendarDate, DEFAULT_TIME_ZONE } from '../../src/domain/time.js';

describe('calendarDate', () => {
  it.each([
    // Across midnight: Paris is ahead of UTC.
    ['2026-03-28T23:30:00Z', 'Europe/Paris', '2026-03-29'],
    ['2026-03-28T23:30:00Z', 'UTC', '2026-03-28'],
    ['2026-01-15T22:59:59Z', 'Europe/Paris', '2026-01-15'], // 23:59:59 CET
    ['2026-01-15T23:00:00Z', 'Europe/Paris', '2026-01-16'], // midnight CET
    ['2026-01-15T23:00:00Z', 'UTC', '2026-01-15'],
    // Spring forward (29 March 2026, 01:00 UTC): midnight moves from 23:00Z to 22:00Z.
    ['2026-03-29T01:30:00Z', 'Europe/Paris', '2026-03-29'],
    ['2026-03-29T21:59:59Z', 'Europe/Paris', '2026-03-29'], // 23:59:59 CEST
    ['2026-03-29T22:00:00Z', 'Europe/Paris', '2026-03-30'], // midnight CEST
    ['2026-03-29T22:30:00Z', 'UTC', '2026-03-29'],
    // Fall back (25 October 2026, 01:00 UTC).
    ['2026-10-24T22:30:00Z', 'Europe/Paris', '2026-10-25'], // 00:30 CEST
    ['2026-10-25T00:30:00Z', 'Europe/Paris', '2026-10-25'], // 02:30 CEST, the hour that repeats
    ['2026-10-25T01:30:00Z', 'Europe/Paris', '2026-10-25'], // 02:30 CET, the second time
    ['2026-10-25T22:59:59Z', 'Europe/Paris', '2026-10-25'], // 23:59:59 CET
    ['2026-10-25T23:00:00Z', 'Europe/Paris', '2026-10-26'],
    // Behind UTC: New York is still on the previous day.
    ['2026-03-09T03:30:00Z', 'America/New_York', '2026-03-08'], // 23:30 EDT, the day DST began
    ['2026-03-09T04:00:00Z', 'America/New_York', '2026-03-09'],
    ['2026-12-31T23:30:00Z', 'Europe/Paris', '2027-01-01'], // new year comes first in Paris
    ['2027-01-01T03:00:00Z', 'America/New_York', '2026-12-31'],
    ['2028-02-29T12:00:00Z', 'Europe/Paris', '2028-02-29'],
  ])('%s in %s is %s', (instant, zone, day) => {
    expect(calendarDate(new Date(instant), zone).toISOString()).toBe(`${day}T00:00:00.000Z`);
  });

  it('gives every instant of one Paris day the same date, and only those', () => {
    // 29 March 2026 in Paris is only 23 hours long: 2026-03-28T23:00Z to 2026-03-29T22:00Z.
    const dayStart = Date.parse('2026-03-28T23:00:00Z');
    const dayEnd = Date.parse('2026-03-29T22:00:00Z');
    for (let t = dayStart - 3_600_000; t <= dayEnd + 3_600_000; t += 15 * 60_000) {
      const expected = t < dayStart ? '2026-03-28' : t < dayEnd ? '2026-03-29' : '2026-03-30';
      expect(calendarDate(new Date(t), 'Europe/Paris').toISOString().slice(0, 10), new Date(t).toISOString()).toBe(expected);
    }
  });

  it('defaults organizations to Paris time', () => {
    expect(DEFAULT_TIME_ZONE).toBe('Europe/Paris');
  });
});
