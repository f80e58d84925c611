import { GraphQLID, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLString } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { validateActivity, validateOffer, validateVenue } from '../../src/domain/catalogue.js';
import {
  DEFAULT_MAX_ITEMS,
  hasForbiddenControlCharacters,
  listProblem,
  MAX_ID_LENGTH,
  MAX_STRING_LENGTH,
  stringProblem,
} from '../../src/domain/input-limits.js';
import { isValidTimeZone } from '../../src/domain/validation.js';
import type { ValidationIssue } from '../../src/domain/errors.js';
import { collectInputIssues } from '../../src/schema/common/input-bounds.js';
import { issuePairs } from './issues-of.js';

describe('hasForbiddenControlCharacters', () => {
  it.each<[string, boolean, boolean]>([
    ['Léa Martin', false, false],
    ['Ada\u0000', false, true],
    ['Ada\u0000', true, true],
    ['line\nbreak', false, true],
    ['line\nbreak', true, false],
    ['a\ttab and\r\nCRLF', true, false],
    ['escape\u001b[2J', true, true],
    ['bell\u0007', true, true],
    ['delete\u007f', true, true],
    ['form feed\u000c', true, true],
    ['emoji 🏊 and non-breaking\u00a0space', false, false],
  ])('%j (multi-line: %s) → %s', (value, multiline, forbidden) => {
    expect(hasForbiddenControlCharacters(value, multiline)).toBe(forbidden);
  });
});

describe('stringProblem', () => {
  it('bounds every string at MAX_STRING_LENGTH and every ID at MAX_ID_LENGTH', () => {
    expect(stringProblem('x'.repeat(MAX_STRING_LENGTH))).toBeNull();
    expect(stringProblem('x'.repeat(MAX_STRING_LENGTH + 1))).toEqual({ messageKey: 'validation.tooLong', params: { max: MAX_STRING_LENGTH } });
    expect(stringProblem('x'.repeat(MAX_ID_LENGTH), { id: true })).toBeNull();
    expect(stringProblem('x'.repeat(MAX_ID_LENGTH + 1), { id: true })).toEqual({ messageKey: 'validation.tooLong', params: { max: MAX_ID_LENGTH } });
  });

  it('refuses control characters, allowing line breaks in multi-line text only (never in IDs)', () => {
    expect(stringProblem('a\u0000b')).toEqual({ messageKey: 'validation.controlCharacters' });
    expect(stringProblem('a\nb')).toEqual({ messageKey: 'validation.controlCharacters' });
    expect(stringProblem('a\nb', { multiline: true })).toBeNull();
    expect(stringProblem('a\nb', { id: true, multiline: true })).toEqual({ messageKey: 'validation.controlCharacters' });
  });

  it('checks the length first, so a huge string is not scanned', () => {
    expect(stringProblem(`${'x'.repeat(MAX_STRING_LENGTH)}\u0000`)).toMatchObject({ messageKey: 'validation.tooLong' });
  });
});

describe('listProblem', () => {
  it.each<[number, number | undefined, boolean]>([
    [100, 100, false],
    [101, 100, true],
    [0, 1, false],
    [DEFAULT_MAX_ITEMS, undefined, false],
    [DEFAULT_MAX_ITEMS + 1, undefined, true],
  ])('%i items, at most %s → refused: %s', (length, max, refused) => {
    const problem = listProblem(length, max);
    expect(problem !== null).toBe(refused);
    if (problem) expect(problem).toEqual({ messageKey: 'validation.tooMany', params: { max: max ?? DEFAULT_MAX_ITEMS } });
  });
});

describe('collectInputIssues (the safety net over an input type)', () => {
  const Person = new GraphQLInputObjectType({
    name: 'Person',
    fields: { name: { type: new GraphQLNonNull(GraphQLString) }, note: { type: GraphQLString, extensions: { multiline: true } } },
  });
  const Input = new GraphQLInputObjectType({
    name: 'Input',
    fields: {
      ids: { type: new GraphQLList(new GraphQLNonNull(GraphQLID)), extensions: { maxItems: 3 } },
      people: { type: new GraphQLList(Person) },
      note: { type: GraphQLString, extensions: { multiline: true } },
    },
  });
  const issuesOf = (value: unknown) => {
    const issues: ValidationIssue[] = [];
    collectInputIssues(value, Input, {}, [], issues);
    return issues.map((issue) => [issue.field.join('.'), issue.messageKey]);
  };

  it('accepts what is within bounds', () => {
    expect(issuesOf({ ids: ['a', 'b', 'c'], people: [{ name: 'Ada', note: 'one\ntwo' }], note: 'x\r\ny' })).toEqual([]);
  });

  it('reports each problem at its path in the input', () => {
    expect(issuesOf({ ids: ['a', 'b\u0000'], people: [{ name: 'Ada' }, { name: 'Bo\nb', note: 'ok\n' }], note: 'x'.repeat(MAX_STRING_LENGTH + 1) })).toEqual([
      ['ids.1', 'validation.controlCharacters'],
      ['people.1.name', 'validation.controlCharacters'],
      ['note', 'validation.tooLong'],
    ]);
  });

  it('refuses a list over its bound without looking at its items', () => {
    const items = new Proxy(['a', 'b', 'c', 'd'], {
      get(target, key) {
        if (key === 'forEach' || key === '0') throw new Error('items were read');
        return Reflect.get(target, key);
      },
    });
    expect(issuesOf({ ids: items })).toEqual([['ids', 'validation.tooMany']]);
  });

  it('stops after ten issues', () => {
    const people = Array.from({ length: 50 }, () => ({ name: '\u0000' }));
    expect(issuesOf({ people })).toHaveLength(10);
  });
});

describe('bounds of fields that mean something', () => {
  const venue = { name: 'Pool', address: '1 rue de l’Eau', city: 'Paris', latitude: 48.85, longitude: 2.35 };
  const activity = { name: 'Aquagym', audience: 'ADULT' as const, cancellationNoticeHours: 4 };
  const offer = { kind: 'PACK' as const, name: 'Pack 10', priceCents: 10_000, credits: 10, validityDays: 90 };

  it.each<[string, () => void, [string, string][]]>([
    ['a postal code of 20 characters', () => validateVenue({ ...venue, postalCode: '7'.repeat(20) }), []],
    ['a postal code over 20 characters', () => validateVenue({ ...venue, postalCode: '7'.repeat(21) }), [['postalCode', 'validation.tooLong']]],
    ['no postal code', () => validateVenue({ ...venue, postalCode: null }), []],
    ['a venue name over 100 characters', () => validateVenue({ ...venue, name: 'n'.repeat(101) }), [['name', 'validation.tooLong']]],
    ['an activity description of 2000 characters', () => validateActivity({ ...activity, description: 'd'.repeat(2_000) }), []],
    ['an activity description over 2000', () => validateActivity({ ...activity, description: 'd'.repeat(2_001) }), [['description', 'validation.tooLong']]],
    ['an offer description over 2000', () => validateOffer({ ...offer, description: 'd'.repeat(2_001) }), [['description', 'validation.tooLong']]],
    ['an offer name over 100 characters', () => validateOffer({ ...offer, name: 'n'.repeat(101) }), [['name', 'validation.tooLong']]],
  ])('%s', (_label, check, expected) => {
    expect(issuePairs(check)).toEqual(expected);
  });

  it('a time zone longer than any real one is not one (and Intl is not asked)', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone(`Europe/${'x'.repeat(100)}`)).toBe(false);
  });
});

describe('MAX_BODY_BYTES', () => {
  it('defaults to 1 MiB and can be set', () => {
    expect(loadConfig({}).maxBodyBytes).toBe(1024 * 1024);
    expect(loadConfig({ MAX_BODY_BYTES: '65536' }).maxBodyBytes).toBe(65_536);
    expect(() => loadConfig({ MAX_BODY_BYTES: '-1' })).toThrow(/MAX_BODY_BYTES/);
  });
});
