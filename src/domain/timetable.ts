import { DateTime } from 'luxon';
import rrule from 'rrule';
import { MAX_CAPACITY, MAX_PRICE_CENTS, MAX_SESSION_HOURS } from './catalogue.js';
import { Issues } from './validation.js';

// Weekly series over a term (SPEC §11): "Tuesdays 10:00, 45 minutes, from 1 September to 15
// December, except the Toussaint holidays". Times are wall-clock times in the organisation's zone,
// so 10:00 stays 10:00 across a daylight-saving change (the elapsed time between two sessions is
// then 167 or 169 hours). The recurrence is an iCalendar RRULE (the `rrule` package), expanded on
// "floating" dates (UTC fields read as local wall-clock fields) and placed in the zone by luxon.

const { RRule } = rrule;

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A term is at most a year: one series creates at most 53 sessions. */
export const MAX_TERM_DAYS = 366;
/** Holidays listed with a series (a whole year of days, at most). */
export const MAX_SKIP_DATES = 366;

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

export interface TimetableInput {
  weekday: Weekday;
  /** Local wall-clock start, HH:mm. */
  startTime: string;
  durationMinutes: number;
  /** First and last calendar day of the term (UTC-midnight Dates, the form of SQL `date`). */
  from: Date;
  until: Date;
  /** Holidays: days of the term without a session (other days in the list are ignored). */
  skipDates?: Date[] | null;
  capacity: number;
  priceCents?: number | null;
}

const DAY_MS = 86_400_000;

/** Checks the shape of a series (the instants are checked once expanded, by `weeklyOccurrences`). */
export function validateTimetable(input: TimetableInput): void {
  const days = Math.round((input.until.getTime() - input.from.getTime()) / DAY_MS) + 1;
  new Issues()
    .when(!TIME_OF_DAY.test(input.startTime), 'startTime', 'validation.timeOfDay')
    .when(input.durationMinutes <= 0, 'durationMinutes', 'validation.positive')
    .when(input.durationMinutes > MAX_SESSION_HOURS * 60, 'durationMinutes', 'validation.sessionTooLong', { hours: MAX_SESSION_HOURS })
    .when(input.until.getTime() < input.from.getTime(), 'until', 'validation.endBeforeStart')
    .when(days > MAX_TERM_DAYS, 'until', 'validation.termTooLong', { days: MAX_TERM_DAYS })
    .when((input.skipDates?.length ?? 0) > MAX_SKIP_DATES, 'skipDates', 'validation.tooMany', { max: MAX_SKIP_DATES })
    .when(input.capacity < 0, 'capacity', 'validation.nonNegative')
    .when(input.capacity > MAX_CAPACITY, 'capacity', 'validation.tooLarge', { max: MAX_CAPACITY })
    .when(input.priceCents != null && input.priceCents < 0, 'priceCents', 'validation.nonNegative')
    .when(input.priceCents != null && input.priceCents > MAX_PRICE_CENTS, 'priceCents', 'validation.tooLarge', { max: MAX_PRICE_CENTS })
    .throwIfAny();
}

export interface Occurrence {
  /** The local calendar day (UTC midnight). */
  date: Date;
  startsAt: Date;
  endsAt: Date;
}

/** The local wall-clock time `HH:mm` on a calendar day (UTC midnight) in a zone, as an instant. */
export function localInstant(day: Date, startTime: string, timeZone: string): Date {
  const [, hour, minute] = TIME_OF_DAY.exec(startTime) ?? [];
  // A time that does not exist that day (the spring change's missing hour) moves forward by the
  // gap; one that exists twice (the autumn change) is the first, summer-time one.
  return DateTime.fromObject(
    { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: Number(hour), minute: Number(minute) },
    { zone: timeZone },
  ).toJSDate();
}

const BY_DAY = [RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA, RRule.SU];

function floating(day: Date, startTime: string): Date {
  const [, hour, minute] = TIME_OF_DAY.exec(startTime) ?? [];
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), Number(hour), Number(minute)));
}

/**
 * The series' rule (RFC 5545: DTSTART;TZID=…, then RRULE:FREQ=WEEKLY;BYDAY=…;UNTIL=…) and its
 * sessions, skipped dates left out, in date order. Call `validateTimetable` first.
 */
export function weeklyOccurrences(input: TimetableInput, timeZone: string): { rule: string; occurrences: Occurrence[] } {
  const weekdayIndex = WEEKDAYS.indexOf(input.weekday);
  const fromWeekday = (input.from.getUTCDay() + 6) % 7; // Monday 0
  const first = new Date(input.from.getTime() + ((weekdayIndex - fromWeekday + 7) % 7) * DAY_MS);
  const options = {
    freq: RRule.WEEKLY,
    byweekday: [BY_DAY[weekdayIndex]!],
    wkst: RRule.MO,
    dtstart: floating(first, input.startTime),
    until: new Date(input.until.getTime() + DAY_MS - 1000),
  };
  const rule = new RRule({ ...options, tzid: timeZone }).toString();
  const skipped = new Set((input.skipDates ?? []).map((day) => day.toISOString().slice(0, 10)));
  const occurrences: Occurrence[] = [];
  if (first.getTime() <= input.until.getTime()) {
    for (const at of new RRule(options).all()) {
      const date = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
      if (skipped.has(date.toISOString().slice(0, 10))) continue;
      const startsAt = localInstant(date, input.startTime, timeZone);
      occurrences.push({ date, startsAt, endsAt: new Date(startsAt.getTime() + input.durationMinutes * 60_000) });
    }
  }
  return { rule, occurrences };
}

/** Refuses a series that creates nothing, or whose first session would start before `now`. */
export function checkOccurrences(occurrences: Occurrence[], now: Date): void {
  new Issues()
    .when(occurrences.length === 0, 'skipDates', 'validation.noOccurrences')
    .when(occurrences.length > 0 && occurrences[0]!.startsAt.getTime() < now.getTime(), 'from', 'validation.startInPast')
    .throwIfAny();
}

/**
 * The same session moved to a series' new wall-clock time and duration, on its own local day (a
 * change of a series' time moves each of its sessions to the new time on the same day).
 */
export function retimed(
  session: { startsAt: Date },
  change: { startTime: string; durationMinutes: number },
  timeZone: string,
): { startsAt: Date; endsAt: Date } {
  const local = DateTime.fromJSDate(session.startsAt, { zone: timeZone });
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day));
  const startsAt = localInstant(day, change.startTime, timeZone);
  return { startsAt, endsAt: new Date(startsAt.getTime() + change.durationMinutes * 60_000) };
}

/** The weekday of a stored rule (BYDAY=TU: TUESDAY). */
export function weekdayOfRule(rule: string): Weekday {
  const byweekday = RRule.fromString(rule).options.byweekday ?? [];
  const index = byweekday[0];
  if (index === undefined) throw new Error(`a weekly rule without BYDAY: ${rule}`);
  return WEEKDAYS[index]!;
}
