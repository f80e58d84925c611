import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { Issues } from '../../domain/validation.js';
import type { Order, Organization, Registration } from '../../generated/prisma/client.js';
import type { Sex } from '../../generated/prisma/enums.js';
import { paymentLink } from '../../links.js';
import { joinOrganization, requireOwnerOrStaff, requireStaff } from '../access.js';
import { queueEmail } from '../notifications.js';
import { completeOrder } from '../order/order-completion.js';
import { MAX_POSTAL_CODE_LENGTH } from '../../domain/input-limits.js';

// Registration review (001): an organisation may require staff to verify a beneficiary's
// registration (identity form) before payment is unlocked. Orders made meanwhile wait in
// AWAITING_REVIEW; verification moves them to PENDING and emails the member the payment link.

export interface RegistrationDetails {
  sex?: Sex | null;
  nationality?: string | null;
  birthplace?: string | null;
  address?: string | null;
  postalCode?: string | null;
  city?: string | null;
  phone?: string | null;
  emergencyContactName?: string | null;
  emergencyContactPhone?: string | null;
}

const TEXT_FIELDS = ['nationality', 'birthplace', 'address', 'postalCode', 'city', 'phone', 'emergencyContactName', 'emergencyContactPhone'] as const;
/** What the form must hold (001: "Sexe *", and how to reach the family). */
const REQUIRED = new Set<string>(['address', 'postalCode', 'city', 'phone']);

export async function setRegistrationReview(context: Context, input: { organizationId: string; required: boolean }): Promise<Organization> {
  const existing = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!existing) throw new NotFoundError('entity.organization', ['organizationId']);
  await requireStaff(context, existing.id);
  return transaction(async (tx) => {
    const organization = await tx.organization.update({ where: { id: existing.id }, data: { requiresRegistrationReview: input.required } });
    await afterRegistrationReviewSet(tx, existing.id, input.required);
    return organization;
  });
}

/**
 * What setting registration review does beyond the column, in the transaction that set it (shared
 * with `updateOrganizationPolicies`): turning the review off unlocks the orders waiting for it.
 */
export async function afterRegistrationReviewSet(tx: Tx, organizationId: string, required: boolean): Promise<void> {
  if (!required) {
    await tx.order.updateMany({ where: { organizationId, status: 'AWAITING_REVIEW' }, data: { status: 'PENDING' } });
  }
}

/**
 * A member submits (or, after a rejection, resubmits) a beneficiary's registration in an
 * organisation; it waits for staff review. A verified registration stays as it is.
 */
export async function submitRegistration(
  context: Context,
  input: { organizationId: string; beneficiaryId: string; details: RegistrationDetails },
): Promise<Registration> {
  const [organization, beneficiary] = await Promise.all([
    prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } }),
    prisma.beneficiary.findUnique({ where: { id: input.beneficiaryId } }),
  ]);
  if (!organization) throw new NotFoundError('entity.organization', ['organizationId']);
  if (!beneficiary || beneficiary.erasedAt || beneficiary.removedAt) throw new NotFoundError('entity.beneficiary', ['beneficiaryId']);
  await requireOwnerOrStaff(context, { memberId: beneficiary.memberId, entity: 'entity.beneficiary', field: 'beneficiaryId' }, organization.id);
  const details = cleanDetails(input.details);
  const now = context.clock.now();
  return transaction(async (tx) => {
    await joinOrganization(tx, beneficiary.memberId, organization.id);
    const [existing] = await tx.$queryRaw<Registration[]>`
      SELECT * FROM "Registration" WHERE "organizationId" = ${organization.id}::uuid AND "beneficiaryId" = ${beneficiary.id}::uuid FOR UPDATE`;
    if (existing?.status === 'VERIFIED') throw new ValidationError([{ field: ['beneficiaryId'], messageKey: 'validation.registrationAlreadyVerified' }]);
    const data = { details: details as object, status: 'PENDING_REVIEW' as const, reviewedById: null, reviewedAt: null, reviewNote: null, createdAt: now };
    if (existing) return tx.registration.update({ where: { id: existing.id }, data });
    return tx.registration.upsert({
      where: { organizationId_beneficiaryId: { organizationId: organization.id, beneficiaryId: beneficiary.id } },
      create: { organizationId: organization.id, memberId: beneficiary.memberId, beneficiaryId: beneficiary.id, ...data },
      update: data,
    });
  });
}

function cleanDetails(details: RegistrationDetails): Record<string, string> {
  const issues = new Issues();
  const clean: Record<string, string> = {};
  if (details.sex) clean.sex = details.sex;
  else issues.add('details.sex', 'validation.required');
  for (const field of TEXT_FIELDS) {
    issues.text(`details.${field}`, details[field], { required: REQUIRED.has(field), max: field === 'postalCode' ? MAX_POSTAL_CODE_LENGTH : 200 });
    const value = details[field]?.trim();
    if (value) clean[field] = value;
  }
  // Issues paths are one segment; report them as ["details", field] like the input's nesting.
  try {
    issues.throwIfAny();
  } catch (error) {
    if (error instanceof ValidationError) {
      const nested = error.issues.map((issue) => ({ ...issue, field: issue.field[0]!.split('.') }));
      throw new ValidationError(nested as ValidationError['issues']);
    }
    throw error;
  }
  return clean;
}

/**
 * Staff verify or reject a registration waiting for review. Verifying unlocks payment of the
 * beneficiary's orders waiting for it: each becomes PENDING (a free one is completed at once) and
 * the member is emailed its payment link, in the same transaction.
 */
export async function reviewRegistration(
  context: Context,
  input: { registrationId: string; approve: boolean; note?: string | null },
): Promise<Registration> {
  const found = await prisma.registration.findUnique({ where: { id: input.registrationId }, select: { organizationId: true } });
  if (!found) throw new NotFoundError('entity.registration', ['registrationId']);
  const staffId = await requireStaff(context, found.organizationId);
  const note = input.note?.trim() || null;
  new Issues().text('note', note, { required: false, max: 1000 }).throwIfAny();
  const now = context.clock.now();
  return transaction(async (tx) => {
    // Lock order: the registration, then its orders (purchaseOffer reads it FOR SHARE first too).
    const [registration] = await tx.$queryRaw<Registration[]>`
      SELECT * FROM "Registration" WHERE "id" = ${input.registrationId}::uuid FOR UPDATE`;
    if (!registration) throw new NotFoundError('entity.registration', ['registrationId']);
    if (registration.status !== 'PENDING_REVIEW') {
      throw new ValidationError([{ field: ['registrationId'], messageKey: 'validation.registrationNotPending' }]);
    }
    const reviewed = await tx.registration.update({
      where: { id: registration.id },
      data: { status: input.approve ? 'VERIFIED' : 'REJECTED', reviewedById: staffId, reviewedAt: now, reviewNote: note },
    });
    if (input.approve) await unlockOrders(tx, registration, now);
    return reviewed;
  });
}

async function unlockOrders(tx: Tx, registration: Registration, now: Date): Promise<void> {
  const orders = await tx.$queryRaw<Order[]>`
    SELECT * FROM "Order"
     WHERE "organizationId" = ${registration.organizationId}::uuid AND "beneficiaryId" = ${registration.beneficiaryId}::uuid
       AND "status" = 'AWAITING_REVIEW'
     ORDER BY "createdAt", "id" FOR UPDATE`;
  if (orders.length === 0) return;
  const member = await tx.member.findUniqueOrThrow({ where: { id: registration.memberId }, select: { email: true, locale: true, erasedAt: true } });
  for (const order of orders) {
    const pending = await tx.order.update({ where: { id: order.id }, data: { status: 'PENDING' } });
    if (pending.totalCents === 0) {
      await completeOrder(tx, pending, now);
      continue;
    }
    if (member.erasedAt) continue;
    const offer = order.offerId ? await tx.offer.findUnique({ where: { id: order.offerId }, select: { name: true } }) : null;
    await queueEmail(tx, {
      organizationId: order.organizationId,
      to: member.email,
      locale: member.locale,
      template: 'payment-link',
      payload: { orderId: order.id, offer: offer?.name ?? null, totalCents: order.totalCents, currency: order.currency, payUrl: paymentLink(order.id) },
      dedupeKey: `payment-link:${order.id}`,
      at: now,
    });
  }
}

/**
 * Whether an order for this beneficiary must wait for registration review: the organisation
 * requires it and the beneficiary has no VERIFIED registration there. Reads the registration FOR
 * SHARE, so that a review committing meanwhile either sees this order or is seen by it.
 */
export async function awaitsRegistrationReview(tx: Tx, organizationId: string, beneficiaryId: string): Promise<boolean> {
  // Read under a share lock: turning the review off (which unlocks waiting orders) waits for this
  // order, so no order is left AWAITING_REVIEW with no review to come.
  const [organization] = await tx.$queryRaw<{ requiresRegistrationReview: boolean }[]>`
    SELECT "requiresRegistrationReview" FROM "Organization" WHERE "id" = ${organizationId}::uuid FOR SHARE`;
  if (!organization?.requiresRegistrationReview) return false;
  const [registration] = await tx.$queryRaw<{ status: string }[]>`
    SELECT "status" FROM "Registration"
     WHERE "organizationId" = ${organizationId}::uuid AND "beneficiaryId" = ${beneficiaryId}::uuid FOR SHARE`;
  return registration?.status !== 'VERIFIED';
}
