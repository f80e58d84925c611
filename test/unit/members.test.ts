import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { type BeneficiaryInput, MAX_AGE_YEARS, type SignUpInput, validateBeneficiary, validateSignUp } from '../../src/domain/members.js';
import { issuePairs, issuesOf } from './issues-of.js';

describe('validateSignUp', () => {
  const signUp = (patch: Partial<SignUpInput> = {}): SignUpInput => ({
    email: 'lea@example.com',
    password: 'long enough pw',
    firstName: 'Léa',
    lastName: 'Martin',
    ...patch,
  });

  it.each([
    ['lea@example.com', 'lea@example.com'],
    ['Lea.Martin@Example.COM', 'lea.martin@example.com'],
    ['   LEA@EXAMPLE.FR\t', 'lea@example.fr'],
  ])('accepts %j and returns it stored as %j', (email, stored) => {
    expect(validateSignUp(signUp({ email }))).toEqual({ email: stored });
  });

  it.each(['not-an-email', 'lea@example', 'lea@example..com', 'lea martin@example.com', '', '   '])(
    'refuses the email %j on the email field',
    (email) => {
      expect(issuePairs(() => validateSignUp(signUp({ email })))).toEqual([['email', 'validation.email']]);
    },
  );

  it.each<[string, Partial<SignUpInput>, [string, string][]]>([
    ['a 7-character password', { password: '1234567' }, [['password', 'validation.password.tooShort']]],
    ['an 8-character password', { password: '12345678' }, []],
    ['a 129-character password', { password: 'p'.repeat(129) }, [['password', 'validation.password.tooLong']]],
    ['a blank first name', { firstName: ' ' }, [['firstName', 'validation.required']]],
    ['an empty last name', { lastName: '' }, [['lastName', 'validation.required']]],
    ['a 100-character first name', { firstName: 'f'.repeat(100) }, []],
    ['a 101-character last name', { lastName: 'l'.repeat(101) }, [['lastName', 'validation.tooLong']]],
  ])('%s gives %j', (_name, patch, expected) => {
    expect(issuePairs(() => validateSignUp(signUp(patch)))).toEqual(expected);
  });

  it('throws one ValidationError listing every bad field, email first', () => {
    const attempt = () => validateSignUp({ email: 'not-an-email', password: 'short', firstName: ' ', lastName: '' });
    expect(attempt).toThrow(ValidationError);
    expect(issuePairs(attempt)).toEqual([
      ['email', 'validation.email'],
      ['password', 'validation.password.tooShort'],
      ['firstName', 'validation.required'],
      ['lastName', 'validation.required'],
    ]);
    expect(issuesOf(attempt)[1]?.params).toEqual({ min: 8 });
  });
});

describe('validateBeneficiary', () => {
  const today = new Date('2026-06-01T00:00:00.000Z');
  const child = (birthDate: string, patch: Partial<BeneficiaryInput> = {}): BeneficiaryInput => ({
    firstName: 'Tom',
    lastName: 'Martin',
    birthDate: new Date(`${birthDate}T00:00:00.000Z`),
    ...patch,
  });

  it.each<[string, BeneficiaryInput, [string, string][]]>([
    ['a toddler', child('2024-05-01'), []],
    ['born today', child('2026-06-01'), []],
    ['born tomorrow', child('2026-06-02'), [['birthDate', 'validation.birthDate.future']]],
    ['born next year', child('2027-01-01'), [['birthDate', 'validation.birthDate.future']]],
    ['exactly 120 years old today', child('1906-06-01'), []],
    ['120 years and one day old', child('1906-05-31'), [['birthDate', 'validation.birthDate.tooOld']]],
    ['born in 1850', child('1850-01-01'), [['birthDate', 'validation.birthDate.tooOld']]],
    ['a blank first name', child('2024-05-01', { firstName: '  ' }), [['firstName', 'validation.required']]],
    ['a blank last name', child('2024-05-01', { lastName: '' }), [['lastName', 'validation.required']]],
    ['a 101-character first name', child('2024-05-01', { firstName: 't'.repeat(101) }), [['firstName', 'validation.tooLong']]],
    [
      'blank names and a future date',
      child('2030-01-01', { firstName: '', lastName: ' ' }),
      [
        ['firstName', 'validation.required'],
        ['lastName', 'validation.required'],
        ['birthDate', 'validation.birthDate.future'],
      ],
    ],
  ])('%s gives %j', (_name, input, expected) => {
    expect(issuePairs(() => validateBeneficiary(input, today))).toEqual(expected);
  });

  it('judges against the given today, not the clock', () => {
    const input = child('2030-01-01');
    expect(issuePairs(() => validateBeneficiary(input, new Date('2031-01-01T00:00:00Z')))).toEqual([]);
    expect(issuePairs(() => validateBeneficiary(input, new Date('2029-12-31T00:00:00Z')))).toEqual([['birthDate', 'validation.birthDate.future']]);
  });

  it.each<[string, string, boolean]>([
    ['2028-02-29', '1908-02-29', true],
    ['2028-02-29', '1908-02-28', false],
    ['2026-01-01', '1906-01-01', true],
    ['2026-01-01', '1905-12-31', false],
  ])('on %s, born %s is accepted: %s', (day, birth, accepted) => {
    const issues = issuePairs(() => validateBeneficiary(child(birth), new Date(`${day}T00:00:00Z`)));
    expect(issues).toEqual(accepted ? [] : [['birthDate', 'validation.birthDate.tooOld']]);
  });

  it('does not change the today it is given', () => {
    const day = new Date(today);
    validateBeneficiary(child('2024-05-01'), day);
    expect(day.toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(MAX_AGE_YEARS).toBe(120);
  });
});
