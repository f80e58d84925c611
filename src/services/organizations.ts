import type { Context } from '../context.js';
import { prisma } from '../db/client.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { Issues } from '../domain/validation.js';
import { validateOrganization, type OrganizationInput } from '../domain/organizations.js';
import { DEFAULT_TIME_ZONE } from '../domain/time.js';
import type { Organization } from '../generated/prisma/client.js';
import { transaction } from '../db/transaction.js';
import { requireStaff, requireViewer } from './access.js';
import { scheduleDeadline } from './waitlist.js';
import { isUniqueViolation } from './errors.js';

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

export const MAX_CLAIM_DEADLINE_HOURS = 24 * 14;
export const MAX_OFFER_WINDOW_MINUTES = 24 * 60 * 7;

/**
 * Staff set how the organisation hands freed seats to its waitlist (SPEC §6): the policy, the claim
 * deadline before a session (002: 12 h) and, for ONE_AT_A_TIME, each member's window.
 */
export async function setWaitlistPolicy(
  context: Context,
  input: {
    organizationId: string;
    policy: 'FIRST_CLICK_WINS' | 'AUTO_PROMOTE' | 'ONE_AT_A_TIME';
    claimDeadlineHours?: number | null;
    offerWindowMinutes?: number | null;
  },
): Promise<Organization> {
  const existing = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!existing) throw new NotFoundError('entity.organization', ['organizationId']);
  await requireStaff(context, existing.id);
  new Issues()
    .when(input.claimDeadlineHours != null && input.claimDeadlineHours < 0, 'claimDeadlineHours', 'validation.nonNegative')
    .when(input.claimDeadlineHours != null && input.claimDeadlineHours > MAX_CLAIM_DEADLINE_HOURS, 'claimDeadlineHours', 'validation.tooLarge', {
      max: MAX_CLAIM_DEADLINE_HOURS,
    })
    .when(input.offerWindowMinutes != null && input.offerWindowMinutes <= 0, 'offerWindowMinutes', 'validation.positive')
    .when(input.offerWindowMinutes != null && input.offerWindowMinutes > MAX_OFFER_WINDOW_MINUTES, 'offerWindowMinutes', 'validation.tooLarge', {
      max: MAX_OFFER_WINDOW_MINUTES,
    })
    .throwIfAny();
  return transaction(async (tx) => {
    const organization = await tx.organization.update({
      where: { id: existing.id },
      data: {
        waitlistPolicy: input.policy,
        ...(input.claimDeadlineHours != null ? { waitlistClaimDeadlineHours: input.claimDeadlineHours } : {}),
        ...(input.offerWindowMinutes != null ? { waitlistOfferWindowMinutes: input.offerWindowMinutes } : {}),
      },
    });
    // Waitlists already open close at the new deadline (a later one waits; an earlier one runs then).
    if (input.claimDeadlineHours != null) {
      const sessions = await tx.session.findMany({
        where: { organizationId: organization.id, status: 'SCHEDULED', startsAt: { gt: context.clock.now() }, waitlistEntries: { some: { status: 'WAITING' } } },
        select: { id: true, organizationId: true, startsAt: true },
      });
      for (const session of sessions) await scheduleDeadline(tx, { ...session, organization });
    }
    return organization;
  });
}
