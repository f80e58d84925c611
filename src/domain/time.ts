/** The calendar date of an instant in a time zone, as a UTC-midnight Date (the form of SQL `date`). */
export function calendarDate(instant: Date, timeZone: string): Date {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
  return new Date(`${parts}T00:00:00.000Z`);
}

export const DEFAULT_TIME_ZONE = 'Europe/Paris';
