import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { cancellationOutcome, changedSinceBooked, rescheduleAllowed } from '../../src/domain/booking.js';
import { ValidationError } from '../../src/domain/errors.js';
import {
  checkOccurrences,
  retimed,
  validateTimetable,
  weekdayOfRule,
  weeklyOccurrences,
  type TimetableInput,
} from '../../src/domain/timetable.js';

// Weekly series in local time (SPEC §11) and the free cancellation after a session changed.

const PARIS = 'Europe/Paris';
const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
const local = (instant: Date) => DateTime.fromJSDate(instant, { zone: PARIS });

const tuesdays: TimetableInput = {
  weekday: 'TUESDAY',
  startTime: '10:00',
  durationMinutes: 45,
  from: day('2027-10-01'),
  until: day('2027-11-30'),
  skipDates: [day('2027-10-26'), day('2027-11-02'), day('2027-11-03')],
  capacity: 10,
};

function issuesOf(run: () => void): string[][] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => [issue.field.join('.'), issue.messageKey]);
    throw error;
  }
  return [];
}

describe('weeklyOccurrences', () => {
  it('keeps 10:00 Paris across the end of summer time (31 October 2027), skipping the holidays', () => {
    const { rule, occurrences } = weeklyOccurrences(tuesdays, PARIS);
    expect(rule).toBe('DTSTART;TZID=Europe/Paris:20271005T100000\nRRULE:FREQ=WEEKLY;BYDAY=TU;WKST=MO;UNTIL=20271130T235959');
    expect(occurrences.map((o) => o.startsAt.toISOString())).toEqual([
      '2027-10-05T08:00:00.000Z',
      '2027-10-12T08:00:00.000Z',
      '2027-10-19T08:00:00.000Z',
      // 26 October and 2 November are holidays (3 November is not a Tuesday: ignored).
      '2027-11-09T09:00:00.000Z',
      '2027-11-16T09:00:00.000Z',
      '2027-11-23T09:00:00.000Z',
      '2027-11-30T09:00:00.000Z',
    ]);
    for (const occurrence of occurrences) {
      expect(local(occurrence.startsAt).toFormat('cccc HH:mm')).toBe('Tuesday 10:00');
      expect(occurrence.endsAt.getTime() - occurrence.startsAt.getTime()).toBe(45 * 60_000);
    }
    // A week across the change lasts 169 elapsed hours.
    expect((occurrences[3]!.startsAt.getTime() - occurrences[2]!.startsAt.getTime()) / 3_600_000).toBe(3 * 168 + 1);
  });

  it('includes the first and last days of the term when they are on the weekday', () => {
    const { occurrences } = weeklyOccurrences({ ...tuesdays, from: day('2027-10-05'), until: day('2027-10-19'), skipDates: [] }, PARIS);
    expect(occurrences.map((o) => local(o.startsAt).toISODate())).toEqual(['2027-10-05', '2027-10-12', '2027-10-19']);
  });

  it('moves a time that does not exist (the spring change) forward by the gap, and follows the zone it is given', () => {
    const sundays = { ...tuesdays, weekday: 'SUNDAY' as const, startTime: '02:30', from: day('2027-03-21'), until: day('2027-04-04'), skipDates: [] };
    expect(weeklyOccurrences(sundays, PARIS).occurrences.map((o) => local(o.startsAt).toFormat('yyyy-MM-dd HH:mm'))).toEqual([
      '2027-03-21 02:30',
      '2027-03-28 03:30',
      '2027-04-04 02:30',
    ]);
    const montreal = weeklyOccurrences({ ...tuesdays, skipDates: [] }, 'America/Montreal').occurrences;
    // Montreal leaves summer time on 7 November 2027.
    expect(montreal[4]!.startsAt.toISOString()).toBe('2027-11-02T14:00:00.000Z');
    expect(montreal[5]!.startsAt.toISOString()).toBe('2027-11-09T15:00:00.000Z');
  });

  it('creates at most 53 sessions: a term is at most a year', () => {
    expect(issuesOf(() => validateTimetable({ ...tuesdays, from: day('2027-01-01'), until: day('2028-01-01') }))).toEqual([]);
    expect(weeklyOccurrences({ ...tuesdays, weekday: 'FRIDAY', from: day('2027-01-01'), until: day('2028-01-01'), skipDates: [] }, PARIS).occurrences).toHaveLength(53);
    expect(issuesOf(() => validateTimetable({ ...tuesdays, from: day('2027-01-01'), until: day('2028-01-02') }))).toEqual([['until', 'validation.termTooLong']]);
  });
});

describe('validateTimetable and checkOccurrences', () => {
  it.each([
    [{ startTime: '24:00' }, [['startTime', 'validation.timeOfDay']]],
    [{ startTime: '9:30' }, [['startTime', 'validation.timeOfDay']]],
    [{ startTime: '23:59' }, []],
    [{ durationMinutes: 0 }, [['durationMinutes', 'validation.positive']]],
    [{ durationMinutes: 24 * 60 + 1 }, [['durationMinutes', 'validation.sessionTooLong']]],
    [{ until: day('2027-09-30') }, [['until', 'validation.endBeforeStart']]],
    [{ capacity: -1, priceCents: -5 }, [['capacity', 'validation.nonNegative'], ['priceCents', 'validation.nonNegative']]],
  ] as const)('%o gives %o', (change, expected) => {
    expect(issuesOf(() => validateTimetable({ ...tuesdays, ...change }))).toEqual(expected);
  });

  it('refuses a series that creates nothing, or starts before now', () => {
    const { occurrences } = weeklyOccurrences(tuesdays, PARIS);
    expect(issuesOf(() => checkOccurrences([], new Date('2027-01-01T00:00:00Z')))).toEqual([['skipDates', 'validation.noOccurrences']]);
    expect(issuesOf(() => checkOccurrences(occurrences, new Date('2027-10-05T08:00:00Z')))).toEqual([]);
    expect(issuesOf(() => checkOccurrences(occurrences, new Date('2027-10-05T08:00:01Z')))).toEqual([['from', 'validation.startInPast']]);
  });
});

describe('a series changed later', () => {
  it('reads its weekday back from the stored rule', () => {
    expect(weekdayOfRule(weeklyOccurrences(tuesdays, PARIS).rule)).toBe('TUESDAY');
    expect(weekdayOfRule(weeklyOccurrences({ ...tuesdays, weekday: 'SUNDAY' }, PARIS).rule)).toBe('SUNDAY');
  });

  it('moves each session to the new local time on its own day, on both sides of the change', () => {
    const before = new Date('2027-10-19T08:00:00Z');
    const after = new Date('2027-11-09T09:00:00Z');
    expect(retimed({ startsAt: before }, { startTime: '18:30', durationMinutes: 60 }, PARIS)).toEqual({
      startsAt: new Date('2027-10-19T16:30:00Z'),
      endsAt: new Date('2027-10-19T17:30:00Z'),
    });
    expect(retimed({ startsAt: after }, { startTime: '08:15', durationMinutes: 30 }, PARIS).startsAt).toEqual(new Date('2027-11-09T07:15:00Z'));
    // 00:30 local is the previous UTC day in summer: the local day is kept.
    expect(retimed({ startsAt: new Date('2027-07-06T22:30:00Z') }, { startTime: '09:00', durationMinutes: 30 }, PARIS).startsAt).toEqual(
      new Date('2027-07-07T07:00:00Z'),
    );
  });
});

describe('cancellation after the session changed', () => {
  const startsAt = new Date('2027-10-19T08:00:00Z');
  const policy = { cancellationNoticeHours: 24, lateCancellation: 'FORFEIT' as const };
  const changedAt = new Date('2027-10-18T12:00:00Z');
  const late = new Date('2027-10-19T07:00:00Z');

  it('is free until the start for a booking made before the change, whatever the notice', () => {
    const booking = { createdAt: new Date('2027-10-01T09:00:00Z') };
    expect(changedSinceBooked({ changedAt }, booking)).toBe(true);
    const outcome = cancellationOutcome({ startsAt, changedAt }, policy, late, booking);
    expect(outcome).toEqual({ kind: 'IN_TIME', status: 'CANCELLED', creditReturned: true, deadline: startsAt, sessionChanged: true });
    // So it can be moved to another session too.
    expect(rescheduleAllowed(outcome)).toBe(true);
    expect(cancellationOutcome({ startsAt, changedAt }, policy, startsAt, booking)).toMatchObject({ kind: 'STARTED' });
  });

  it('follows the usual notice for a booking made after the change, or a session never changed', () => {
    const after = { createdAt: new Date('2027-10-18T13:00:00Z') };
    expect(cancellationOutcome({ startsAt, changedAt }, policy, late, after)).toMatchObject({ kind: 'LATE', creditReturned: false });
    expect(cancellationOutcome({ startsAt, changedAt: null }, policy, late, { createdAt: new Date('2027-10-01T09:00:00Z') })).toMatchObject({
      kind: 'LATE',
    });
    // Without a booking (callers that do not say), the usual rule.
    expect(cancellationOutcome({ startsAt, changedAt }, policy, late)).toMatchObject({ kind: 'LATE' });
  });
});
