import type { Organization } from '../../generated/prisma/client.js';
import type { TerminationNoticeRule } from '../../generated/prisma/enums.js';
import { DESK_PAYMENT_METHODS, POLICY_BOUNDS, isDeskPaymentMethod, type NumericPolicy } from '../../domain/policies.js';
import { updateOrganizationPolicies } from '../../services/organization/organizations.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { DeskPaymentMethodEnum } from '../order/types.js';
import { WaitlistPolicyEnum } from '../waitlist/types.js';
import { OrganizationRef } from './types.js';

// Issue 11: every policy value the rules read, public (members see the terms that apply to them),
// and set by the organisation's ADMINs in one mutation.

export const TerminationNoticeRuleEnum = builder.enumType('TerminationNoticeRule', {
  description: 'How much notice a member must give to terminate a subscription.',
  values: {
    MONTH_BEFORE_ANNIVERSARY: {
      description: 'At least one month before the monthly anniversary of the subscription; the commitment is honoured (003).',
    },
    DAYS_BEFORE_BILLING: { description: 'At least `terminationNoticeDays` before the next billing date (004: 15 days).' },
  } satisfies Record<TerminationNoticeRule, unknown>,
});

type Policies = Pick<
  Organization,
  | 'waitlistPolicy'
  | 'waitlistClaimDeadlineHours'
  | 'waitlistOfferWindowMinutes'
  | 'requiresRegistrationReview'
  | 'paymentGraceDays'
  | 'terminationNoticeRule'
  | 'terminationNoticeDays'
  | 'maxPauseMonthsPerYear'
  | 'withdrawalDays'
  | 'creditNoteValidityDays'
  | 'acceptedDeskPaymentMethods'
  | 'inPersonPaymentAllowed'
  | 'paymentHoldMinutes'
>;

const POLICY_SELECT = {
  waitlistPolicy: true,
  waitlistClaimDeadlineHours: true,
  waitlistOfferWindowMinutes: true,
  requiresRegistrationReview: true,
  paymentGraceDays: true,
  terminationNoticeRule: true,
  terminationNoticeDays: true,
  maxPauseMonthsPerYear: true,
  withdrawalDays: true,
  creditNoteValidityDays: true,
  acceptedDeskPaymentMethods: true,
  inPersonPaymentAllowed: true,
  paymentHoldMinutes: true,
} as const satisfies Record<keyof Policies, true>;

/** Descriptions shared by the read type and the input, with each numeric value's range. */
const described: Record<keyof Policies, string> = {
  waitlistPolicy: 'How a freed seat goes to the waitlist (002: FIRST_CLICK_WINS).',
  waitlistClaimDeadlineHours: 'Waitlist claims close this many hours before a session; remaining entries are then released (002: 12).',
  waitlistOfferWindowMinutes: 'ONE_AT_A_TIME: minutes each member in line has to claim a freed seat.',
  requiresRegistrationReview: 'Staff verify each beneficiary’s registration before their orders can be paid (001).',
  paymentGraceDays: 'Days an order of a subscription may stay unpaid after it is due before booking with that subscription is suspended.',
  terminationNoticeRule: 'How much notice terminating a subscription needs.',
  terminationNoticeDays: 'With DAYS_BEFORE_BILLING: days of notice before the next billing date (004: 15).',
  maxPauseMonthsPerYear: 'Months a subscription may be paused per calendar year without a medical exception (003 §12A: 2).',
  withdrawalDays: 'Days after a purchase during which it can be withdrawn with a full refund, unless a class was taken (003 §11, 004: 14).',
  creditNoteValidityDays: 'Days a credit note ("avoir") stays valid from its issue (004: one year).',
  acceptedDeskPaymentMethods: 'Payment methods staff may record at the desk (`recordPayment`); card and SEPA are paid online.',
  inPersonPaymentAllowed: 'A priced session may be booked and paid at the desk ("Payer en personne", 000).',
  paymentHoldMinutes: 'Minutes a seat is held while a member pays a session online; then the booking expires.',
};

function range(policy: NumericPolicy): string {
  const { min, max } = POLICY_BOUNDS[policy];
  return `${described[policy]} From ${min} to ${max}.`;
}

export const OrganizationPoliciesRef = builder.objectRef<Policies>('OrganizationPolicies').implement({
  description:
    "The rules an organization applies, as data (SPEC §1): public, so members see the terms that apply to them. ADMINs change them with `updateOrganizationPolicies`.",
  fields: (t) => ({
    waitlistPolicy: t.expose('waitlistPolicy', { type: WaitlistPolicyEnum, description: described.waitlistPolicy }),
    waitlistClaimDeadlineHours: t.exposeInt('waitlistClaimDeadlineHours', { description: range('waitlistClaimDeadlineHours') }),
    waitlistOfferWindowMinutes: t.exposeInt('waitlistOfferWindowMinutes', { description: range('waitlistOfferWindowMinutes') }),
    requiresRegistrationReview: t.exposeBoolean('requiresRegistrationReview', { description: described.requiresRegistrationReview }),
    paymentGraceDays: t.exposeInt('paymentGraceDays', { description: range('paymentGraceDays') }),
    terminationNoticeRule: t.expose('terminationNoticeRule', { type: TerminationNoticeRuleEnum, description: described.terminationNoticeRule }),
    terminationNoticeDays: t.exposeInt('terminationNoticeDays', { description: range('terminationNoticeDays') }),
    maxPauseMonthsPerYear: t.exposeInt('maxPauseMonthsPerYear', { description: range('maxPauseMonthsPerYear') }),
    withdrawalDays: t.exposeInt('withdrawalDays', { description: range('withdrawalDays') }),
    creditNoteValidityDays: t.exposeInt('creditNoteValidityDays', { description: range('creditNoteValidityDays') }),
    acceptedDeskPaymentMethods: t.field({
      type: [DeskPaymentMethodEnum],
      description: described.acceptedDeskPaymentMethods,
      resolve: (policies) => policies.acceptedDeskPaymentMethods.filter(isDeskPaymentMethod),
    }),
    inPersonPaymentAllowed: t.exposeBoolean('inPersonPaymentAllowed', { description: described.inPersonPaymentAllowed }),
    paymentHoldMinutes: t.exposeInt('paymentHoldMinutes', { description: range('paymentHoldMinutes') }),
  }),
});

builder.prismaObjectField('Organization', 'policies', (t) =>
  t.field({
    type: OrganizationPoliciesRef,
    description: 'Every policy value the rules use (waitlist, registration review, payments, subscriptions, withdrawal, credit notes). Public.',
    select: POLICY_SELECT,
    resolve: (organization) => organization,
  }),
);

defineMutation('updateOrganizationPolicies', {
  description:
    "An ADMIN changes any of the organization's policy values at once (STAFF get FORBIDDEN); omitted or null fields stay as they are. Each value is checked against its range (VALIDATION). Setting the waitlist deadline or turning registration review off has the same effects as `setWaitlistPolicy` and `setRegistrationReview`: open waitlists close at the new deadline; orders waiting for review become payable.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (its ADMINs only).' }),
    waitlistPolicy: t.field({ type: WaitlistPolicyEnum, required: false, description: described.waitlistPolicy }),
    waitlistClaimDeadlineHours: t.int({ required: false, description: range('waitlistClaimDeadlineHours') }),
    waitlistOfferWindowMinutes: t.int({ required: false, description: range('waitlistOfferWindowMinutes') }),
    requiresRegistrationReview: t.boolean({ required: false, description: described.requiresRegistrationReview }),
    paymentGraceDays: t.int({ required: false, description: range('paymentGraceDays') }),
    terminationNoticeRule: t.field({ type: TerminationNoticeRuleEnum, required: false, description: described.terminationNoticeRule }),
    terminationNoticeDays: t.int({ required: false, description: range('terminationNoticeDays') }),
    maxPauseMonthsPerYear: t.int({ required: false, description: range('maxPauseMonthsPerYear') }),
    withdrawalDays: t.int({ required: false, description: range('withdrawalDays') }),
    creditNoteValidityDays: t.int({ required: false, description: range('creditNoteValidityDays') }),
    acceptedDeskPaymentMethods: t.field({
      type: [DeskPaymentMethodEnum],
      required: false,
      description: `${described.acceptedDeskPaymentMethods} At least one, among ${DESK_PAYMENT_METHODS.join(', ')}.`,
    }),
    inPersonPaymentAllowed: t.boolean({ required: false, description: described.inPersonPaymentAllowed }),
    paymentHoldMinutes: t.int({ required: false, description: range('paymentHoldMinutes') }),
  }),
  resolve: async ({ organizationId, ...values }, context) => ({
    organization: await updateOrganizationPolicies(context, {
      ...values,
      organizationId: decodeId(organizationId, 'Organization', 'organizationId'),
    }),
  }),
  success: {
    description: 'The policies are saved; they apply from now on.',
    fields: (t) => ({ organization: t.field({ type: OrganizationRef, description: 'The organization, with its `policies`.', resolve: (r) => r.organization }) }),
  },
});
