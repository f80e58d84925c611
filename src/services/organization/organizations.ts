import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors.js';
import { Issues } from '../../domain/validation.js';
import { validateOrganization, type OrganizationInput } from '../../domain/organizations.js';
import { DEFAULT_TIME_ZONE } from '../../domain/time.js';
import type { Organization, Prisma } from '../../generated/prisma/client.js';
import type { WaitlistPolicy } from '../../generated/prisma/enums.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { checkPolicyRange, normalizeDeskMethods, validatePolicies, type PoliciesInput } from '../../domain/policies.js';
import { requireStaff, requireViewer, roleIn } from '../access.js';
import { afterRegistrationReviewSet } from '../member/registrations.js';
import { scheduleDeadline } from '../booking/waitlist.js';
import { isUniqueViolation } from '../errors.js';

/** Creates an organisation; its creator becomes its ADMIN in the same transaction. */
export async function createOrganization(context: Context, input: OrganizationInput): Promise<Organization> {
  const memberId = requireViewer(context);
  validateOrganization(input);
  try {
    return await prisma.organization.create({
      data: {
        name: input.name.trim(),
        slug: input.slug,
        timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
        memberships: { create: { memberId, role: 'ADMIN' } },
      },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(['slug'], 'validation.slugTaken');
    throw error;
  }
}

/**
 * Staff set how the organisation hands freed seats to its waitlist (SPEC §6): the policy, the claim
 * deadline before a session (002: 12 h) and, for ONE_AT_A_TIME, each member's window. The ranges
 * are those of `updateOrganizationPolicies` (POLICY_BOUNDS).
 */
export async function setWaitlistPolicy(
  context: Context,
  input: {
    organizationId: string;
    policy: WaitlistPolicy;
    claimDeadlineHours?: number | null;
    offerWindowMinutes?: number | null;
  },
): Promise<Organization> {
  const existing = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!existing) throw new NotFoundError('entity.organization', ['organizationId']);
  await requireStaff(context, existing.id);
  const issues = new Issues();
  checkPolicyRange(issues, 'claimDeadlineHours', 'waitlistClaimDeadlineHours', input.claimDeadlineHours);
  checkPolicyRange(issues, 'offerWindowMinutes', 'waitlistOfferWindowMinutes', input.offerWindowMinutes);
  issues.throwIfAny();
  return transaction(async (tx) => {
    const organization = await tx.organization.update({
      where: { id: existing.id },
      data: {
        waitlistPolicy: input.policy,
        ...(input.claimDeadlineHours != null ? { waitlistClaimDeadlineHours: input.claimDeadlineHours } : {}),
        ...(input.offerWindowMinutes != null ? { waitlistOfferWindowMinutes: input.offerWindowMinutes } : {}),
      },
    });
    await afterWaitlistPolicySet(tx, organization, { claimDeadlineChanged: input.claimDeadlineHours != null }, context.clock.now());
    return organization;
  });
}

/**
 * What setting the waitlist policy does beyond the columns, in the transaction that set them
 * (shared with `updateOrganizationPolicies`): waitlists already open close at the new deadline (a
 * later one waits; an earlier one runs then).
 */
async function afterWaitlistPolicySet(tx: Tx, organization: Organization, change: { claimDeadlineChanged: boolean }, now: Date): Promise<void> {
  if (!change.claimDeadlineChanged) return;
  const sessions = await tx.session.findMany({
    where: { organizationId: organization.id, status: 'SCHEDULED', startsAt: { gt: now }, waitlistEntries: { some: { status: 'WAITING' } } },
    select: { id: true, organizationId: true, startsAt: true },
  });
  for (const session of sessions) await scheduleDeadline(tx, { ...session, organization });
}

/**
 * An ADMIN sets any of the organisation's policy values at once (SPEC §1, issue 11); STAFF get
 * FORBIDDEN (they run the desk, not the terms). Each value is checked against its range first;
 * then, in one transaction under the organisation's row lock, the values are written and the side
 * effects of `setWaitlistPolicy` and `setRegistrationReview` follow as if those had been called.
 */
export async function updateOrganizationPolicies(context: Context, input: PoliciesInput & { organizationId: string }): Promise<Organization> {
  const viewerId = requireViewer(context);
  const existing = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!existing) throw new NotFoundError('entity.organization', ['organizationId']);
  if ((await roleIn(viewerId, existing.id)) !== 'ADMIN') throw new ForbiddenError('error.forbidden.adminOnly');
  validatePolicies(input);
  const { organizationId: _organizationId, acceptedDeskPaymentMethods, ...values } = input;
  const data: Prisma.OrganizationUpdateInput = Object.fromEntries(Object.entries(values).filter(([, value]) => value != null));
  if (acceptedDeskPaymentMethods != null) data.acceptedDeskPaymentMethods = normalizeDeskMethods(acceptedDeskPaymentMethods);
  return transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Organization" WHERE "id" = ${existing.id}::uuid FOR UPDATE`;
    // Checked again under the lock: an ADMIN demoted meanwhile cannot still change the terms.
    const viewer = await tx.membership.findUnique({
      where: { organizationId_memberId: { organizationId: existing.id, memberId: viewerId } },
      select: { role: true },
    });
    if (viewer?.role !== 'ADMIN') throw new ForbiddenError('error.forbidden.adminOnly');
    const organization = await tx.organization.update({ where: { id: existing.id }, data });
    await afterWaitlistPolicySet(tx, organization, { claimDeadlineChanged: input.waitlistClaimDeadlineHours != null }, context.clock.now());
    if (input.requiresRegistrationReview != null) await afterRegistrationReviewSet(tx, existing.id, input.requiresRegistrationReview);
    return organization;
  });
}
