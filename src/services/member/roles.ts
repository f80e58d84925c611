import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction } from '../../db/transaction.js';
import { ForbiddenError, LastAdminError, NotFoundError } from '../../domain/errors.js';
import { coachDisplayName, leavesNoAdmin } from '../../domain/roles.js';
import type { Membership } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { requireViewer, roleIn } from '../access.js';

/**
 * An ADMIN sets the role of one of the organisation's members (SPEC §2). Members join by buying,
 * booking or being created by staff; anyone else answers NOT_FOUND, as staff cannot reach strangers.
 * Granting COACH gives the member a coach profile there (once: a unique index), so that sessions
 * can be assigned to them.
 *
 * The rule is decided under the organisation's row lock, so two admins demoting each other at the
 * same instant are decided one after the other: the second finds a single ADMIN left, the one it
 * would demote, and answers LAST_ADMIN. The caller's role is checked before the lock (FORBIDDEN
 * for anyone who is not an ADMIN) and again under it, so that an ADMIN demoted meanwhile cannot
 * still change roles.
 */
export async function grantRole(
  context: Context,
  input: { organizationId: string; memberId: string; role: Role },
): Promise<Membership> {
  const viewerId = requireViewer(context);
  const organization = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!organization) throw new NotFoundError('entity.organization', ['organizationId']);
  if ((await roleIn(viewerId, organization.id)) !== 'ADMIN') throw new ForbiddenError('error.forbidden.adminOnly');

  return transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Organization" WHERE "id" = ${organization.id}::uuid FOR UPDATE`;
    const membership = await tx.membership.findUnique({
      where: { organizationId_memberId: { organizationId: organization.id, memberId: input.memberId } },
      include: { member: { select: { firstName: true, lastName: true, erasedAt: true } } },
    });
    if (!membership || membership.member.erasedAt) throw new NotFoundError('entity.member', ['memberId']);
    if (membership.role === 'ADMIN' && input.role !== 'ADMIN') {
      const admins = await tx.membership.count({ where: { organizationId: organization.id, role: 'ADMIN' } });
      if (leavesNoAdmin({ from: membership.role, to: input.role }, admins)) throw new LastAdminError();
    }
    const viewer = await tx.membership.findUnique({
      where: { organizationId_memberId: { organizationId: organization.id, memberId: viewerId } },
      select: { role: true },
    });
    if (viewer?.role !== 'ADMIN') throw new ForbiddenError('error.forbidden.adminOnly');

    if (input.role === 'COACH') {
      await tx.coach.createMany({
        data: [{ organizationId: organization.id, memberId: membership.memberId, displayName: coachDisplayName(membership.member) }],
        skipDuplicates: true,
      });
    }
    if (membership.role === input.role) return stripMember(membership);
    return tx.membership.update({ where: { id: membership.id }, data: { role: input.role } });
  });
}

function stripMember({ member: _member, ...membership }: Membership & { member: unknown }): Membership {
  return membership;
}
