import type { PaymentMethod, TerminationNoticeRule, WaitlistPolicy } from '../generated/prisma/enums.js';
import { Issues } from './validation.js';

// An organisation's policy values (SPEC §1: every rule is a policy value of the organisation, never
// a constant in code), and the ranges an ADMIN may set them to. A value outside its range is surely
// a typing error, or a term no seed has (a 3-month withdrawal period, a 2-day payment hold).

/** Inclusive bounds of each numeric policy value. */
export const POLICY_BOUNDS = {
  /** Waitlist claims close this many hours before a session (002: 12); at most a week. */
  waitlistClaimDeadlineHours: { min: 0, max: 168 },
  /** ONE_AT_A_TIME: each member's window to claim; 5 minutes to a day. */
  waitlistOfferWindowMinutes: { min: 5, max: 1440 },
  /** An order unpaid this long after its due date suspends booking with its subscription. */
  paymentGraceDays: { min: 0, max: 60 },
  /** 004: 15 days before the next billing date. */
  terminationNoticeDays: { min: 0, max: 365 },
  /** 003 §12A: 2 months per calendar year. */
  maxPauseMonthsPerYear: { min: 0, max: 12 },
  /** 003 §11, 004: 14 days (the legal minimum for distance selling); 0 turns withdrawal off. */
  withdrawalDays: { min: 0, max: 60 },
  /** 004: a credit note is valid one year. */
  creditNoteValidityDays: { min: 1, max: 3650 },
  /** Pay-per-session online: how long a seat is held while the member pays. */
  paymentHoldMinutes: { min: 1, max: 1440 },
} as const;

export type NumericPolicy = keyof typeof POLICY_BOUNDS;

/** The methods staff can take at the desk; CARD and SEPA_DEBIT are paid online, never recorded. */
export const DESK_PAYMENT_METHODS = ['CASH', 'CHEQUE', 'ANCV', 'SPORT_PASS', 'CREDIT_NOTE'] as const satisfies readonly PaymentMethod[];
export type DeskPaymentMethod = (typeof DESK_PAYMENT_METHODS)[number];

export function isDeskPaymentMethod(method: PaymentMethod): method is DeskPaymentMethod {
  return (DESK_PAYMENT_METHODS as readonly PaymentMethod[]).includes(method);
}

/** What `updateOrganizationPolicies` may change; an absent (or null) value stays as it is. */
export interface PoliciesInput {
  waitlistPolicy?: WaitlistPolicy | null;
  waitlistClaimDeadlineHours?: number | null;
  waitlistOfferWindowMinutes?: number | null;
  requiresRegistrationReview?: boolean | null;
  paymentGraceDays?: number | null;
  terminationNoticeRule?: TerminationNoticeRule | null;
  terminationNoticeDays?: number | null;
  maxPauseMonthsPerYear?: number | null;
  withdrawalDays?: number | null;
  creditNoteValidityDays?: number | null;
  acceptedDeskPaymentMethods?: readonly PaymentMethod[] | null;
  inPersonPaymentAllowed?: boolean | null;
  paymentHoldMinutes?: number | null;
}

/** Adds an issue on `field` when `value` is given and is not a whole number within `policy`'s bounds. */
export function checkPolicyRange(issues: Issues, field: string, policy: NumericPolicy, value: number | null | undefined): Issues {
  if (value == null) return issues;
  const { min, max } = POLICY_BOUNDS[policy];
  if (!Number.isInteger(value) || value < min) return issues.add(field, 'validation.tooSmall', { min });
  return issues.when(value > max, field, 'validation.tooLarge', { max });
}

/** Throws one ValidationError listing every value out of its range (fields named as in the input). */
export function validatePolicies(input: PoliciesInput): void {
  const issues = new Issues();
  for (const policy of Object.keys(POLICY_BOUNDS) as NumericPolicy[]) checkPolicyRange(issues, policy, policy, input[policy]);
  const methods = input.acceptedDeskPaymentMethods;
  if (methods != null) {
    issues
      .when(methods.length === 0, 'acceptedDeskPaymentMethods', 'validation.deskMethodsEmpty')
      .when(!methods.every(isDeskPaymentMethod), 'acceptedDeskPaymentMethods', 'validation.deskMethod');
  }
  issues.throwIfAny();
}

/** The accepted desk methods as stored: each once, in the order of DESK_PAYMENT_METHODS. */
export function normalizeDeskMethods(methods: readonly PaymentMethod[]): DeskPaymentMethod[] {
  return DESK_PAYMENT_METHODS.filter((method) => methods.includes(method));
}

/** Whether staff may record a payment by `method` for an organisation with these policies. */
export function deskMethodAccepted(policies: { acceptedDeskPaymentMethods: readonly PaymentMethod[] }, method: PaymentMethod): boolean {
  return isDeskPaymentMethod(method) && policies.acceptedDeskPaymentMethods.includes(method);
}
