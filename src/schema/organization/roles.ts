import { prisma } from '../../db/client.js';
import { LastAdminError } from '../../domain/errors.js';
import { STAFF_LIST_ROLES } from '../../domain/roles.js';
import { grantRole } from '../../services/member/roles.js';
import { builder } from '../builder.js';
import { CoachRef } from '../catalogue/types.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { ownerOnly } from '../member/types.js';
import { RoleEnum } from './types.js';

export const MembershipRef = builder.prismaObject('Membership', {
  description:
    "A member's place in an organization, with their role. Visible to that member and to the organization's staff.",
  authScopes: (membership) => ({ self: membership.memberId, staffOf: membership.organizationId }),
  fields: (t) => ({
    organization: t.relation('organization', { description: 'The organization.' }),
    member: t.relation('member', { description: 'The member (staff see their profile: names and email).' }),
    role: t.expose('role', { type: RoleEnum, description: 'What the member may do in the organization.' }),
    since: t.expose('createdAt', { type: 'DateTime', description: 'When the member joined the organization.' }),
    coach: t.field({
      type: CoachRef,
      nullable: true,
      description: "The member's coach profile in this organization (made when COACH is granted): assign sessions to it.",
      resolve: (membership) =>
        prisma.coach.findUnique({
          where: { organizationId_memberId: { organizationId: membership.organizationId, memberId: membership.memberId } },
        }),
    }),
  }),
});

builder.prismaObjectField('Member', 'memberships', (t) =>
  t.relation('memberships', {
    authScopes: ownerOnly,
    description: 'The organizations this member belongs to, with their role in each, by organization name.',
    query: { orderBy: [{ organization: { name: 'asc' as const } }, { id: 'asc' as const }] },
  }),
);

builder.prismaObjectField('Organization', 'staff', (t) =>
  t.relation('memberships', {
    description:
      'The people who work here (COACH, STAFF and ADMIN), ADMINs first, then by name. Staff only (others get FORBIDDEN).',
    authScopes: (organization) => ({ staffOf: organization.id }),
    query: {
      where: { role: { in: [...STAFF_LIST_ROLES] } },
      orderBy: [
        { role: 'desc' as const },
        { member: { lastName: 'asc' as const } },
        { member: { firstName: 'asc' as const } },
        { id: 'asc' as const },
      ],
    },
  }),
);

defineMutation('grantRole', {
  description:
    "An ADMIN sets a member's role in the organization (STAFF get FORBIDDEN). The member must already belong to it (by buying, booking or being created by staff), else NOT_FOUND on `memberId`. The last ADMIN cannot be demoted (LAST_ADMIN). Granting COACH gives the member a coach profile there (`Membership.coach`), once.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (its ADMINs only).' }),
    memberId: t.id({ required: true, description: 'A member of the organization.' }),
    role: t.field({ type: RoleEnum, required: true, description: 'The role to hold from now on.' }),
  }),
  errors: [LastAdminError],
  resolve: async (input, context) => ({
    membership: await grantRole(context, {
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
      memberId: decodeId(input.memberId, 'Member', 'memberId'),
      role: input.role,
    }),
  }),
  success: {
    description: 'The member now holds the role.',
    fields: (t) => ({
      membership: t.field({ type: MembershipRef, description: 'The membership with its new role.', resolve: (r) => r.membership }),
    }),
  },
});
