import { DateTime } from 'luxon';

/** The calendar date of an instant in a time zone, as a UTC-midnight Date (the form of SQL `date`). */
export function calendarDate(instant: Date, timeZone: string): Date {
  return new Date(`${dateFormat(timeZone).format(instant)}T00:00:00.000Z`);
}

// Building an Intl.DateTimeFormat costs far more than formatting with one (it showed in the
// booking profile, issue 13): one per time zone, kept.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (dateFormats.size < 1000) dateFormats.set(timeZone, format);
  }
  return format;
}

export const DEFAULT_TIME_ZONE = 'Europe/Paris';

// Calendar arithmetic in an organisation's zone. "Days", "months" and "calendar years" follow the
// zone's wall clock (so a month from 1 March 00:00 Paris is 1 April 00:00 Paris, 743 elapsed
// hours across the spring change); "hours" are elapsed time and use plain millisecond arithmetic.

function local(instant: Date, timeZone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone: timeZone });
}

/** Midnight, in the zone, at the start of the local day that contains `instant`. */
export function startOfLocalDay(instant: Date, timeZone: string): Date {
  return local(instant, timeZone).startOf('day').toJSDate();
}

/** The same local wall-clock time `days` calendar days later (23, 24 or 25 elapsed hours per day). */
export function addLocalDays(instant: Date, days: number, timeZone: string): Date {
  return local(instant, timeZone).plus({ days }).toJSDate();
}

/**
 * `months` calendar months after `anchor` in the zone. The day of month is clamped to the target
 * month's length (31 January + 1 month = 28/29 February), always from the anchor, so that a
 * monthly series anchored on the 31st returns to the 31st when the month has one.
 */
export function addLocalMonths(anchor: Date, months: number, timeZone: string): Date {
  return local(anchor, timeZone).plus({ months }).toJSDate();
}

/** `hours` elapsed hours before `instant` (a notice deadline: daylight saving does not move it). */
export function hoursBefore(instant: Date, hours: number): Date {
  return new Date(instant.getTime() - hours * 3_600_000);
}

/** The calendar year (in the zone) an instant falls in. */
export function localYear(instant: Date, timeZone: string): number {
  return local(instant, timeZone).year;
}

/**
 * Whole months of age on a calendar date (both as UTC-midnight Dates, the form of SQL `date`):
 * a child born on 15 March is 6 months old from 15 September; born on 31 August, from the last
 * day of February.
 */
export function ageInMonths(birthDate: Date, onDate: Date): number {
  // Plain UTC arithmetic: two luxon DateTimes and a `plus` were about 2 % of a booking's server
  // profile (issue 13). The anniversary `months` after birth falls on the birth day, or on the
  // last day of a shorter month, at the birth's time of day, as luxon's `plus({ months })` does.
  let months = (onDate.getUTCFullYear() - birthDate.getUTCFullYear()) * 12 + (onDate.getUTCMonth() - birthDate.getUTCMonth());
  if (monthsAfter(birthDate, months) > onDate.getTime()) months -= 1;
  return months;
}

/** The instant `months` calendar months after `from` in UTC, the day clamped to the month's length. */
function monthsAfter(from: Date, months: number): number {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month,
    Math.min(from.getUTCDate(), lastDay),
    from.getUTCHours(),
    from.getUTCMinutes(),
    from.getUTCSeconds(),
    from.getUTCMilliseconds(),
  );
}
