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
