import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import {
  centsToDecimal,
  decodeListCursor,
  encodeListCursor,
  FOLD_FROM,
  FOLD_TO,
  foldForSearch,
  localPeriod,
  rate,
  searchPattern,
  spreadsheetSafe,
} from '../../src/domain/staff-lists.js';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('foldForSearch', () => {
  it.each([
    ['Éloïse', 'eloise'],
    ['DUPRÉ', 'dupre'],
    ['Zoé Martin-Lefèvre', 'zoe martin-lefevre'],
    ['François Œdipe', 'francois œdipe'],
    ['Łukasz Wałęsa', 'lukasz walesa'],
    ['plain@example.com', 'plain@example.com'],
  ])('%s → %s', (text, folded) => {
    expect(foldForSearch(text)).toBe(folded);
  });

  it('matches the SQL translate() table character for character', () => {
    expect([...FOLD_FROM]).toHaveLength([...FOLD_TO].length);
    [...FOLD_FROM].forEach((letter, index) => expect(foldForSearch(letter)).toBe([...FOLD_TO][index]));
  });
});

describe('searchPattern', () => {
  it.each([
    [null, null],
    [undefined, null],
    ['', null],
    ['   ', null],
    ['Léa', '%lea%'],
    ['  Léa   MARTIN ', '%lea martin%'],
    ['100%', '%100\\%%'],
    ['a_b', '%a\\_b%'],
    ['back\\slash', '%back\\\\slash%'],
  ])('%j → %j', (search, pattern) => {
    expect(searchPattern(search)).toBe(pattern);
  });

  it('refuses more than 100 characters on the field', () => {
    expect(searchPattern('x'.repeat(100))).toBe(`%${'x'.repeat(100)}%`);
    expect(() => searchPattern('x'.repeat(101))).toThrow(ValidationError);
    try {
      searchPattern('x'.repeat(101));
    } catch (error) {
      expect((error as ValidationError).field).toEqual(['search']);
    }
  });
});

describe('list cursors', () => {
  const id = '0190a0a0-0000-7000-8000-00000000000a';

  it('round-trips keys and id', () => {
    expect(decodeListCursor(encodeListCursor(['dupre', 'eloise'], id), 2)).toEqual({ keys: ['dupre', 'eloise'], id });
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['another shape', encodeListCursor(['only one key'], id)],
    ['not a uuid', encodeListCursor(['a', 'b'], 'nope')],
    ['a number', Buffer.from('[1,2,3]').toString('base64url')],
    ['an object', Buffer.from('{"a":1}').toString('base64url')],
  ])('refuses %s with VALIDATION on after', (_what, cursor) => {
    try {
      decodeListCursor(cursor, 2);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toEqual(['after']);
    }
  });
});

describe('localPeriod', () => {
  it('covers whole local days, from local midnight to the midnight after the last day', () => {
    expect(localPeriod(day('2026-12-01'), day('2026-12-31'), 'Europe/Paris')).toMatchObject({
      start: new Date('2026-11-30T23:00:00Z'),
      end: new Date('2026-12-31T23:00:00Z'),
    });
    // One day.
    expect(localPeriod(day('2026-06-15'), day('2026-06-15'), 'Indian/Reunion')).toMatchObject({
      start: new Date('2026-06-14T20:00:00Z'),
      end: new Date('2026-06-15T20:00:00Z'),
    });
  });

  it('keeps local midnights across daylight saving changes', () => {
    // October 2026 in Paris: 25 October has 25 hours.
    const october = localPeriod(day('2026-10-01'), day('2026-10-31'), 'Europe/Paris');
    expect(october.start).toEqual(new Date('2026-09-30T22:00:00Z'));
    expect(october.end).toEqual(new Date('2026-10-31T23:00:00Z'));
    // The spring change day alone is 23 hours.
    const spring = localPeriod(day('2026-03-29'), day('2026-03-29'), 'Europe/Paris');
    expect(spring.end.getTime() - spring.start.getTime()).toBe(23 * 3_600_000);
  });

  it('takes up to 366 days and refuses more, or an end before the start, on `to`', () => {
    expect(() => localPeriod(day('2028-01-01'), day('2028-12-31'), 'Europe/Paris')).not.toThrow();
    for (const [from, to, key] of [
      ['2026-01-01', '2027-01-02', 'validation.periodTooLong'],
      ['2026-05-02', '2026-05-01', 'validation.periodOrder'],
    ] as const) {
      try {
        localPeriod(day(from), day(to), 'Europe/Paris');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toEqual(['to']);
        expect((error as ValidationError).messageKey).toBe(key);
      }
    }
  });
});

describe('report and export figures', () => {
  it.each([
    [0, 0, null],
    [1, 2, 0.5],
    [3, 14, 3 / 14],
  ])('rate(%i, %i) = %s', (part, whole, expected) => {
    expect(rate(part, whole)).toBe(expected);
  });

  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [1250, '12.50'],
    [100000, '1000.00'],
    [-5, '-0.05'],
  ])('%i cents → %s', (cents, text) => {
    expect(centsToDecimal(cents)).toBe(text);
  });

  it.each([
    [null, ''],
    ['Martin', 'Martin'],
    ['=HYPERLINK("x")', '\'=HYPERLINK("x")'],
    ['+33 6', "'+33 6"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
  ])('%j is written as %j in a spreadsheet cell', (text, cell) => {
    expect(spreadsheetSafe(text)).toBe(cell);
  });
});
