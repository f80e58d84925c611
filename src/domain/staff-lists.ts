import { DateTime } from 'luxon';
import { ValidationError } from './errors.js';

// Staff's lists, report and exports (SPEC §11, issue 12): the pure parts. Searching folds case and
// accents the same way here and in SQL (translate(lower(…)): no extension needed, PGlite included),
// list cursors are keyset positions, and report or export periods are whole local days.

/** A search is a part of a name or an email: longer input names nobody. */
export const MAX_SEARCH_LENGTH = 100;
/** A report or an export covers at most this many local days (a year, leap day included). */
export const MAX_REPORT_DAYS = 366;

const ACCENTED: Record<string, string> = {
  a: 'àáâãäåāăą',
  c: 'çćč',
  d: 'ďđ',
  e: 'èéêëēėęě',
  i: 'ìíîïīį',
  l: 'ł',
  n: 'ñńň',
  o: 'òóôõöøōő',
  r: 'ŕř',
  s: 'śšş',
  t: 'ťţ',
  u: 'ùúûüūůűų',
  y: 'ýÿ',
  z: 'žźż',
};

const pairs = Object.entries(ACCENTED).flatMap(([plain, accented]) =>
  [...accented, ...accented.toUpperCase()].map((letter) => [letter, plain] as const),
);

/** The two arguments of SQL `translate(lower(text), FOLD_FROM, FOLD_TO)`, character for character. */
export const FOLD_FROM = pairs.map(([from]) => from).join('');
export const FOLD_TO = pairs.map(([, to]) => to).join('');

const FOLD = new Map<string, string>(pairs);

/** Lowercase without accents: "Éloïse" and "eloise" fold alike (as the SQL does). */
export function foldForSearch(text: string): string {
  let folded = '';
  for (const letter of text.toLowerCase()) folded += FOLD.get(letter) ?? letter;
  return folded;
}

/**
 * The LIKE pattern (escape character `\`) of a staff search, or null for no filter (absent or
 * blank). Inner spaces are collapsed so "léa  martin" finds "Léa Martin". Over MAX_SEARCH_LENGTH:
 * VALIDATION on `field`.
 */
export function searchPattern(search: string | null | undefined, field = 'search'): string | null {
  if (search === null || search === undefined) return null;
  if (search.length > MAX_SEARCH_LENGTH) {
    throw new ValidationError([{ field: [field], messageKey: 'validation.tooLong', params: { max: MAX_SEARCH_LENGTH } }]);
  }
  const words = foldForSearch(search).trim().split(/\s+/).filter(Boolean).join(' ');
  if (!words) return null;
  return `%${words.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A position in a list sorted by keys then id: opaque to clients (base64url of JSON). */
export function encodeListCursor(keys: readonly string[], id: string): string {
  return Buffer.from(JSON.stringify([...keys, id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The keys and id of a cursor made by `encodeListCursor` with `keyCount` keys; VALIDATION on `after` otherwise. */
export function decodeListCursor(cursor: string, keyCount: number): { keys: string[]; id: string } {
  const invalid = () => new ValidationError([{ field: ['after'], messageKey: 'validation.cursor' }]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== keyCount + 1 || !value.every((part) => typeof part === 'string' && part.length <= 400)) {
    throw invalid();
  }
  const id = value[keyCount] as string;
  if (!UUID.test(id)) throw invalid();
  return { keys: value.slice(0, keyCount) as string[], id: id.toLowerCase() };
}

/** A period of whole local days, as instants: [start of `from`, start of the day after `to`). */
export interface LocalPeriod {
  from: Date;
  to: Date;
  start: Date;
  end: Date;
}

/**
 * The instants of the local days `from` to `to` included (both `Date`s at UTC midnight, the form
 * of the Date scalar) in the organisation's zone. `to` before `from`, or more than MAX_REPORT_DAYS
 * days: VALIDATION on `to`.
 */
export function localPeriod(from: Date, to: Date, timeZone: string): LocalPeriod {
  const first = DateTime.fromISO(from.toISOString().slice(0, 10), { zone: timeZone });
  const last = DateTime.fromISO(to.toISOString().slice(0, 10), { zone: timeZone });
  const days = Math.round(last.diff(first, 'days').days) + 1;
  if (days < 1) throw new ValidationError([{ field: ['to'], messageKey: 'validation.periodOrder' }]);
  if (days > MAX_REPORT_DAYS) throw new ValidationError([{ field: ['to'], messageKey: 'validation.periodTooLong', params: { max: MAX_REPORT_DAYS } }]);
  return { from, to, start: first.startOf('day').toJSDate(), end: last.plus({ days: 1 }).startOf('day').toJSDate() };
}

/** `part / whole` (0 to 1), or null when there is nothing to divide (no session, no attendance taken). */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** Cents as a decimal amount for a spreadsheet, e.g. 1250 → "12.50", -5 → "-0.05". */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * A text cell a spreadsheet will not run as a formula (CSV injection): text that a member typed
 * (names, references) starting with = + - @ or a tab/CR gets a leading apostrophe.
 */
export function spreadsheetSafe(text: string | null | undefined): string {
  if (!text) return '';
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
