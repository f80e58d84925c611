import type { Context } from '../context.js';
import { prisma } from '../db/client.js';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import type { Role } from '../generated/prisma/enums.js';

/** The logged-in member's id, or UnauthenticatedError. */
export function requireViewer(context: Pick<Context, 'viewer'>): string {
  if (!context.viewer) throw new UnauthenticatedError();
  return context.viewer.memberId;
}

export const STAFF_ROLES: Role[] = ['STAFF', 'ADMIN'];

/** The viewer's role in the organisation, or null when they have none. */
export async function roleIn(memberId: string, organizationId: string): Promise<Role | null> {
  const membership = await prisma.membership.findUnique({
    where: { organizationId_memberId: { organizationId, memberId } },
    select: { role: true },
  });
  return membership?.role ?? null;
}

/** Staff (STAFF or ADMIN) of the organisation, or ForbiddenError. Returns the member id. */
export async function requireStaff(context: Pick<Context, 'viewer'>, organizationId: string): Promise<string> {
  const memberId = requireViewer(context);
  const role = await roleIn(memberId, organizationId);
  if (!role || !STAFF_ROLES.includes(role)) throw new ForbiddenError('error.forbidden.staffOnly');
  return memberId;
}
