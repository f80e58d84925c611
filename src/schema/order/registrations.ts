import { ownerOnly } from '../member/types.js';
import type { RegistrationStatus, Sex } from '../../generated/prisma/enums.js';
import { reviewRegistration, setRegistrationReview, submitRegistration, type RegistrationDetails } from '../../services/member/registrations.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { ownedOrStaffed } from '../common/visibility.js';
import { OrganizationRef } from '../organization/types.js';
import { bounds } from '../common/input-bounds.js';

// Registration review (001): staff verify a beneficiary's registration before payment is unlocked.

export const RegistrationStatusEnum = builder.enumType('RegistrationStatus', {
  description: 'Where a registration stands.',
  values: {
    PENDING_REVIEW: { description: 'Submitted; staff have not reviewed it yet. Orders wait in AWAITING_REVIEW.' },
    VERIFIED: { description: 'Verified by staff: payment is unlocked.' },
    REJECTED: { description: 'Refused by staff (see `reviewNote`); the member may correct it and submit again.' },
  } satisfies Record<RegistrationStatus, unknown>,
});

export const SexEnum = builder.enumType('Sex', {
  description: 'Sex, as asked on the registration form (001).',
  values: {
    FEMALE: { description: 'Female.' },
    MALE: { description: 'Male.' },
    OTHER: { description: 'Other, or not given.' },
  } satisfies Record<Sex, unknown>,
});

const DETAIL_FIELDS = {
  nationality: 'Nationality.',
  birthplace: 'Place of birth.',
  address: 'Postal address (street).',
  postalCode: 'Postal code.',
  city: 'City.',
  phone: 'Phone number to reach the family.',
  emergencyContactName: 'Who to call in an emergency.',
  emergencyContactPhone: 'Their phone number.',
} as const;

const RegistrationDetailsRef = builder.objectRef<RegistrationDetails>('RegistrationDetails').implement({
  description: 'The identity form of a registration, as submitted.',
  fields: (t) => ({
    sex: t.field({ type: SexEnum, nullable: true, description: 'Sex.', resolve: (d) => d.sex ?? null }),
    ...Object.fromEntries(
      Object.entries(DETAIL_FIELDS).map(([name, description]) => [
        name,
        t.string({ nullable: true, description, resolve: (d) => d[name as keyof typeof DETAIL_FIELDS] ?? null }),
      ]),
    ),
  }),
});

export const RegistrationDetailsInput = builder.inputType('RegistrationDetailsInput', {
  description: 'The identity form (001). `sex`, `address`, `postalCode`, `city` and `phone` are required; 200 characters at most each.',
  fields: (t) => ({
    sex: t.field({ type: SexEnum, required: true, description: 'Sex.' }),
    nationality: t.string({ required: false, description: DETAIL_FIELDS.nationality }),
    birthplace: t.string({ required: false, description: DETAIL_FIELDS.birthplace }),
    address: t.string({ required: true, description: DETAIL_FIELDS.address, ...bounds({ multiline: true }) }),
    postalCode: t.string({ required: true, description: DETAIL_FIELDS.postalCode }),
    city: t.string({ required: true, description: DETAIL_FIELDS.city }),
    phone: t.string({ required: true, description: DETAIL_FIELDS.phone }),
    emergencyContactName: t.string({ required: false, description: DETAIL_FIELDS.emergencyContactName }),
    emergencyContactPhone: t.string({ required: false, description: DETAIL_FIELDS.emergencyContactPhone }),
  }),
});

export const RegistrationRef = builder.prismaNode('Registration', {
  id: { field: 'id', description: 'Global ID (Relay): pass it as `registrationId` to review it.' },
  findUnique: ownedOrStaffed,
  nullable: true,
  description: "A beneficiary's registration in an organization that verifies them before payment (001). Visible to the member and the organization's staff.",
  authScopes: (registration) => ({ self: registration.memberId, staffOf: registration.organizationId }),
  fields: (t) => ({
    status: t.expose('status', { type: RegistrationStatusEnum, description: 'Where it stands.' }),
    organization: t.relation('organization', { type: OrganizationRef, description: 'The organization it is for.' }),
    beneficiary: t.relation('beneficiary', { description: 'Who is registered.' }),
    details: t.field({
      type: RegistrationDetailsRef,
      description: 'The identity form as submitted.',
      select: { details: true },
      resolve: (registration) => (registration.details ?? {}) as RegistrationDetails,
    }),
    submittedAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was (last) submitted.' }),
    reviewedAt: t.expose('reviewedAt', { type: 'DateTime', nullable: true, description: 'When staff reviewed it.' }),
    reviewNote: t.exposeString('reviewNote', { nullable: true, description: 'What staff wrote when reviewing (e.g. what to correct).' }),
  }),
});

const memberRegistrationsQuery = { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] };

builder.prismaObjectFields('Member', (t) => ({
  registrations: t.relation('registrations', {
    authScopes: ownerOnly,
    description: "The member's registrations (one per beneficiary and organization), newest first.",
    // One per beneficiary and organization: it grows with both, without a cap.
    deprecationReason: useConnection('registrationsConnection'),
    query: memberRegistrationsQuery,
  }),
  registrationsConnection: t.relatedConnection(
    'registrations',
    {
      authScopes: ownerOnly,
      description: "The member's registrations (one per beneficiary and organization), newest first. Only the member (others get FORBIDDEN).",
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: memberRegistrationsQuery,
    },
    {
      name: 'MemberRegistrationsConnection',
      description: "A page of a member's registrations.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many registrations the member has, on every page.')) }),
    },
    { name: 'MemberRegistrationsEdge', description: 'A registration with its cursor.' },
  ),
}));

builder.prismaObjectFields('Organization', (t) => ({
  requiresRegistrationReview: t.exposeBoolean('requiresRegistrationReview', {
    description: 'When true, staff verify each beneficiary’s registration before their orders can be paid (001).',
  }),
  pendingRegistrations: t.relation('registrations', {
    description: 'Registrations waiting for review, oldest first. Staff only (others get FORBIDDEN).',
    authScopes: (organization) => ({ staffOf: organization.id }),
    deprecationReason:
      'Use registrations(status: PENDING_REVIEW): the same rows in the same order, paged, with totalCount; this list has no bound.',
    query: { where: { status: 'PENDING_REVIEW' as const }, orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }] },
  }),
}));

defineMutation('setRegistrationReview', {
  description:
    'Staff turn registration review on or off (001). When on, orders for a beneficiary without a VERIFIED registration wait in AWAITING_REVIEW until staff verify it.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (staff only).' }),
    required: t.boolean({ required: true, description: 'Whether registrations must be verified before payment.' }),
  }),
  resolve: async (input, context) => ({
    organization: await setRegistrationReview(context, {
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
      required: input.required,
    }),
  }),
  success: {
    description: 'The setting is saved; it applies to orders made from now on.',
    fields: (t) => ({ organization: t.field({ type: OrganizationRef, description: 'The organization.', resolve: (r) => r.organization }) }),
  },
});

defineMutation('submitRegistration', {
  description:
    "A member submits a beneficiary's registration form to an organization (staff may do it on a member's behalf). It waits for staff review; after a rejection it can be corrected and submitted again.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization.' }),
    beneficiaryId: t.id({ required: true, description: 'Who registers (one of your beneficiaries).' }),
    details: t.field({ type: RegistrationDetailsInput, required: true, description: 'The identity form.' }),
  }),
  resolve: async (input, context) => ({
    registration: await submitRegistration(context, {
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
      beneficiaryId: decodeId(input.beneficiaryId, 'Beneficiary', 'beneficiaryId'),
      details: input.details,
    }),
  }),
  success: {
    description: 'The registration waits for review (PENDING_REVIEW).',
    fields: (t) => ({ registration: t.field({ type: RegistrationRef, description: 'The registration.', resolve: (r) => r.registration }) }),
  },
});

defineMutation('reviewRegistration', {
  description:
    "Staff verify (`approve: true`) or reject a registration waiting for review. Verifying unlocks payment: the beneficiary's AWAITING_REVIEW orders become PENDING and the member is emailed the payment link.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    registrationId: t.id({ required: true, description: 'The registration (staff of its organization only).' }),
    approve: t.boolean({ required: true, description: 'True to verify, false to reject.' }),
    note: t.string({ required: false, description: 'For the member: what was checked, or what to correct (1000 characters at most).', ...bounds({ multiline: true }) }),
  }),
  resolve: async (input, context) => ({
    registration: await reviewRegistration(context, {
      registrationId: decodeId(input.registrationId, 'Registration', 'registrationId'),
      approve: input.approve,
      note: input.note,
    }),
  }),
  success: {
    description: 'The registration is VERIFIED or REJECTED.',
    fields: (t) => ({ registration: t.field({ type: RegistrationRef, description: 'The registration.', resolve: (r) => r.registration }) }),
  },
});
