import type { Context } from '../context.js';
import { prisma } from '../db/client.js';
import { ConflictError } from '../domain/errors.js';
import { validateOrganization, type OrganizationInput } from '../domain/organizations.js';
import { DEFAULT_TIME_ZONE } from '../domain/time.js';
import type { Organization } from '../generated/prisma/client.js';
import { requireViewer } from './access.js';
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
