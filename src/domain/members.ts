import { ValidationError, type ValidationIssue } from './errors.js';
import { checkPassword, Issues, isValidEmail, normalizeEmail } from './validation.js';

export interface SignUpInput {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
}

/** Checks a sign-up and returns the email in its stored form. */
export function validateSignUp(input: SignUpInput): { email: string } {
  const email = normalizeEmail(input.email);
  const issues = new Issues().when(!isValidEmail(email), 'email', 'validation.email');
  checkPassword(issues, 'password', input.password);
  issues.text('firstName', input.firstName, { max: 100 }).text('lastName', input.lastName, { max: 100 }).throwIfAny();
  return { email };
}

export interface BeneficiaryInput {
  firstName: string;
  lastName: string;
  birthDate: Date;
}

export const MAX_AGE_YEARS = 120;

/** `today` is the calendar date (UTC midnight) in the member's zone. */
export function validateBeneficiary(input: BeneficiaryInput, today: Date): void {
  const oldest = new Date(today);
  oldest.setUTCFullYear(oldest.getUTCFullYear() - MAX_AGE_YEARS);
  new Issues()
    .text('firstName', input.firstName, { max: 100 })
    .text('lastName', input.lastName, { max: 100 })
    .when(input.birthDate.getTime() > today.getTime(), 'birthDate', 'validation.birthDate.future')
    .when(input.birthDate.getTime() < oldest.getTime(), 'birthDate', 'validation.birthDate.tooOld')
    .throwIfAny();
}

/** How long a password link works: 1 hour for a reset, 7 days for an account made by staff. */
export const PASSWORD_LINK_LIFETIME_MS = {
  RESET: 60 * 60 * 1000,
  SET_PASSWORD: 7 * 24 * 60 * 60 * 1000,
} as const;

/** An email typed to log in or reset: its stored form, or VALIDATION when it cannot be one. */
export function validateEmailInput(raw: string, field = 'email'): string {
  if (raw.length > 320) new Issues().add(field, 'validation.email').throwIfAny();
  const email = normalizeEmail(raw);
  new Issues().when(!isValidEmail(email), field, 'validation.email').throwIfAny();
  return email;
}

export function validateNewPassword(field: string, password: string): void {
  const issues = new Issues();
  checkPassword(issues, field, password);
  issues.throwIfAny();
}

/** Link tokens are 43 base64url characters; anything far from that is not worth a lookup. */
export function validateLinkToken(token: string): void {
  new Issues().when(token.length === 0 || token.length > 200, 'token', 'validation.token').throwIfAny();
}

export const MAX_BENEFICIARIES_AT_ONCE = 10;
const PHONE = /^\+?[0-9 ().-]{6,30}$/;

export function isValidPhone(phone: string): boolean {
  return PHONE.test(phone) && /[0-9]{2}/.test(phone.replace(/\D/g, ''));
}

export interface ProfileInput {
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
}

/** Checks the fields of "Mon compte" that are present (null phone clears it). */
export function validateProfile(input: ProfileInput): void {
  const issues = new Issues();
  if (input.firstName !== undefined && input.firstName !== null) issues.text('firstName', input.firstName, { max: 100 });
  if (input.lastName !== undefined && input.lastName !== null) issues.text('lastName', input.lastName, { max: 100 });
  if (input.phone) issues.when(!isValidPhone(input.phone.trim()), 'phone', 'validation.phone');
  issues.throwIfAny();
}

export interface CreateMemberInput {
  email: string;
  firstName: string;
  lastName: string;
  phone?: string | null;
  beneficiaries?: BeneficiaryInput[] | null;
}

/** Checks an account made by staff and returns the email in its stored form. */
export function validateCreateMember(input: CreateMemberInput, today: Date): { email: string } {
  const email = normalizeEmail(input.email.slice(0, 400));
  const issues = new Issues()
    .when(!isValidEmail(email), 'email', 'validation.email')
    .text('firstName', input.firstName, { max: 100 })
    .text('lastName', input.lastName, { max: 100 })
    .when(Boolean(input.phone) && !isValidPhone(input.phone!.trim()), 'phone', 'validation.phone')
    .when((input.beneficiaries?.length ?? 0) > MAX_BENEFICIARIES_AT_ONCE, 'beneficiaries', 'validation.tooMany', { max: MAX_BENEFICIARIES_AT_ONCE });
  issues.throwIfAny();
  input.beneficiaries?.forEach((beneficiary, index) => {
    try {
      validateBeneficiary(beneficiary, today);
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new ValidationError(
          error.issues.map((issue) => ({ ...issue, field: ['beneficiaries', String(index), ...issue.field] })) as [ValidationIssue, ...ValidationIssue[]],
        );
      }
      throw error;
    }
  });
  return { email };
}

/** The same person twice: names (any case, trimmed) and birth date. */
export function sameBeneficiary(a: BeneficiaryInput, b: BeneficiaryInput): boolean {
  const key = (x: BeneficiaryInput) => `${x.firstName.trim().toLowerCase()}|${x.lastName.trim().toLowerCase()}|${x.birthDate.toISOString().slice(0, 10)}`;
  return key(a) === key(b);
}
