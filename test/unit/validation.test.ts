import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { validateOrganization } from '../../src/domain/organizations.js';
import {
  checkPassword,
  Issues,
  isValidEmail,
  isValidSlug,
  isValidTimeZone,
  normalizeEmail,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '../../src/domain/validation.js';
import { issuePairs, issuesOf } from './issues-of.js';

describe('normalizeEmail', () => {
  it.each([
    ['Lea.Martin@Example.COM', 'lea.martin@example.com'],
    ['  lea@example.com  ', 'lea@example.com'],
    ['\tLEA@EXAMPLE.COM\n', 'lea@example.com'],
    ['lea@example.com', 'lea@example.com'],
  ])('stores %j as %j', (raw, stored) => {
    expect(normalizeEmail(raw)).toBe(stored);
  });

  it('gives one stored form to every case of one address, so uniqueness ignores case', () => {
    const variants = ['lea@example.com', 'LEA@EXAMPLE.COM', 'Lea@Example.Com', ' lEa@exAmple.com '];
    expect(new Set(variants.map(normalizeEmail))).toEqual(new Set(['lea@example.com']));
  });
});

describe('isValidEmail', () => {
  it.each([
    'lea@example.com',
    'lea.martin@example.com',
    'lea+club@example.co.uk',
    'l@e.fr',
    'élodie@exemple.fr',
    `${'a'.repeat(242)}@example.com`, // 254 characters, the longest allowed
  ])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['lea', 'no @'],
    ['lea@', 'no domain'],
    ['@example.com', 'no local part'],
    ['lea@example', 'missing TLD'],
    ['lea@example.', 'empty TLD'],
    ['lea@.example.com', 'domain starting with a dot'],
    ['lea@example..com', 'double dot in the domain'],
    ['lea martin@example.com', 'space in the local part'],
    ['lea@exa mple.com', 'space in the domain'],
    [' lea@example.com', 'leading space (not normalized)'],
    ['lea@example.com ', 'trailing space (not normalized)'],
    ['lea@@example.com', 'double @'],
    ['lea@bob@example.com', 'two @'],
    [`${'a'.repeat(243)}@example.com`, 'longer than 254 characters'],
  ])('rejects %j (%s)', (email) => {
    expect(isValidEmail(email)).toBe(false);
  });

  it('accepts what a member typed with spaces and capitals once normalized', () => {
    expect(isValidEmail(normalizeEmail('  Lea@Example.COM '))).toBe(true);
  });
});

describe('checkPassword', () => {
  it.each([
    ['', [{ field: ['pw'], messageKey: 'validation.password.tooShort', params: { min: 8 } }]],
    ['a'.repeat(PASSWORD_MIN_LENGTH - 1), [{ field: ['pw'], messageKey: 'validation.password.tooShort', params: { min: 8 } }]],
    ['a'.repeat(PASSWORD_MIN_LENGTH), []],
    ['correct horse battery staple', []],
    ['a'.repeat(PASSWORD_MAX_LENGTH), []],
    ['a'.repeat(PASSWORD_MAX_LENGTH + 1), [{ field: ['pw'], messageKey: 'validation.password.tooLong', params: { max: 128 } }]],
    ['a'.repeat(10_000), [{ field: ['pw'], messageKey: 'validation.password.tooLong', params: { max: 128 } }]],
  ])('password #%# gives %j', (password, expected) => {
    const issues = new Issues();
    checkPassword(issues, 'pw', password);
    expect(issuesOf(() => issues.throwIfAny())).toEqual(expected);
  });

  it('bounds are 8 and 128', () => {
    expect([PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH]).toEqual([8, 128]);
  });
});

describe('isValidSlug', () => {
  it.each(['ab', 'a1', '42', 'aquababyclub', 'club-42', 'my-swim-school', 'a-b', 'a'.repeat(63), `a${'-'.repeat(61)}b`])(
    'accepts %j',
    (slug) => {
      expect(isValidSlug(slug)).toBe(true);
    },
  );

  it.each([
    ['', 'empty'],
    ['a', 'one character'],
    ['a'.repeat(64), '64 characters'],
    ['Club', 'uppercase'],
    ['aquaBaby', 'uppercase inside'],
    ['-club', 'leading hyphen'],
    ['club-', 'trailing hyphen'],
    ['--', 'only hyphens'],
    ['my club', 'space'],
    ['my_club', 'underscore'],
    ['club.fr', 'dot'],
    ['école', 'accented letter'],
    ['club\n', 'trailing newline'],
  ])('rejects %j (%s)', (slug) => {
    expect(isValidSlug(slug)).toBe(false);
  });
});

describe('isValidTimeZone', () => {
  it.each(['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Tokyo', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])(
    'accepts %j',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(true);
    },
  );

  it.each(['Paris', 'Mars/Olympus', 'Europe/Pariss', '', 'CET', 'GMT+1', '+01:00', 'Europe/'])('rejects %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('Issues and ValidationError', () => {
  it('throws nothing when there is no issue', () => {
    expect(() => new Issues().when(false, 'a', 'validation.required').text('b', 'ok').throwIfAny()).not.toThrow();
  });

  it('carries every issue in the order found, the first issue as field and message, code VALIDATION', () => {
    const issues = new Issues()
      .add('email', 'validation.email')
      .when(true, 'password', 'validation.password.tooShort', { min: 8 })
      .when(false, 'skipped', 'validation.required')
      .text('firstName', '   ')
      .text('lastName', 'x'.repeat(11), { max: 10 });
    let caught: unknown;
    try {
      issues.throwIfAny();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.code).toBe('VALIDATION');
    expect(error.name).toBe('ValidationError');
    expect(error.field).toEqual(['email']);
    expect(error.messageKey).toBe('validation.email');
    expect(error.issues).toEqual([
      { field: ['email'], messageKey: 'validation.email', params: undefined },
      { field: ['password'], messageKey: 'validation.password.tooShort', params: { min: 8 } },
      { field: ['firstName'], messageKey: 'validation.required', params: undefined },
      { field: ['lastName'], messageKey: 'validation.tooLong', params: { max: 10 } },
    ]);
  });

  it("takes the first issue's params as the error's params", () => {
    const error = (() => {
      try {
        new Issues().add('capacity', 'validation.tooLarge', { max: 10_000 }).add('endsAt', 'validation.endBeforeStart').throwIfAny();
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(error.field).toEqual(['capacity']);
    expect(error.params).toEqual({ max: 10_000 });
    expect(error.issues.map((i) => i.field[0])).toEqual(['capacity', 'endsAt']);
  });

  it.each([
    ['', { required: true }, ['validation.required']],
    ['  \t ', { required: true }, ['validation.required']],
    ['', { required: false }, []],
    ['  ', { required: false }, []],
    ['x'.repeat(200), {}, []],
    ['x'.repeat(201), {}, ['validation.tooLong']],
    [`  ${'x'.repeat(200)}  `, {}, []], // length counts after trimming
    ['abcd', { max: 3 }, ['validation.tooLong']],
  ])('text(%j, %j) gives %j', (value, options, keys) => {
    const issues = issuesOf(() => new Issues().text('name', value, options).throwIfAny());
    expect(issues.map((i) => i.messageKey)).toEqual(keys);
  });

  it('text treats null and undefined as missing', () => {
    expect(issuesOf(() => new Issues().text('a', null).text('b', undefined).throwIfAny()).map((i) => i.field)).toEqual([['a'], ['b']]);
  });
});

describe('validateOrganization', () => {
  it.each([
    [{ name: 'Aqua Baby Club', slug: 'aquababyclub' }, []],
    [{ name: 'Aqua Baby Club', slug: 'aquababyclub', timeZone: null }, []],
    [{ name: 'Aqua Baby Club', slug: 'aquababyclub', timeZone: 'America/New_York' }, []],
    [{ name: ' ', slug: 'aquababyclub' }, [['name', 'validation.required']]],
    [{ name: 'Club', slug: 'Aqua Baby' }, [['slug', 'validation.slug']]],
    [{ name: 'Club', slug: 'club', timeZone: 'Paris' }, [['timeZone', 'validation.timeZone']]],
    [
      { name: '', slug: '-x', timeZone: 'Mars/Olympus' },
      [
        ['name', 'validation.required'],
        ['slug', 'validation.slug'],
        ['timeZone', 'validation.timeZone'],
      ],
    ],
  ])('%j gives %j', (input, expected) => {
    expect(issuePairs(() => validateOrganization(input))).toEqual(expected);
  });
});
