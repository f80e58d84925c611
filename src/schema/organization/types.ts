import type { Role } from '../../generated/prisma/enums.js';
import { roleIn } from '../../services/access.js';
import { builder } from '../builder.js';
import { WaitlistPolicyEnum } from '../waitlist/types.js';

export const RoleEnum = builder.enumType('Role', {
  description: "A member's role in an organization.",
  values: {
    MEMBER: { description: 'A client: buys and books for their own beneficiaries.' },
    COACH: {
      description: 'Teaches sessions: also sees the register of the sessions they coach and takes attendance there; nothing else staff-only.',
    },
    STAFF: { description: 'Front desk: acts for members, records payments, manages the schedule.' },
    ADMIN: { description: 'Staff who also decide who holds which role (`grantRole`).' },
  } satisfies Record<Role, unknown>,
});

export const OrganizationRef = builder.prismaNode('Organization', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: 'A club, school or association: owns its venues, activities, sessions, offers and rules. Public.',
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Unique identifier used in URLs, e.g. "aquababyclub".' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    timeZone: t.exposeString('timeZone', {
      description: 'IANA time zone in which days, months and "the day before" are computed (default Europe/Paris).',
    }),
    currency: t.exposeString('currency', { description: 'ISO 4217 currency of its prices.' }),
    waitlistPolicy: t.expose('waitlistPolicy', { type: WaitlistPolicyEnum, description: 'How a freed seat goes to the waitlist.' }),
    waitlistClaimDeadlineHours: t.exposeInt('waitlistClaimDeadlineHours', {
      description: 'Waitlist claims close this many hours before a session; remaining entries are then released.',
    }),
    waitlistOfferWindowMinutes: t.exposeInt('waitlistOfferWindowMinutes', {
      description: 'ONE_AT_A_TIME: minutes each member in line has to claim a freed seat.',
    }),
    venues: t.relation('venues', { description: 'Its venues, by name.', query: { orderBy: [{ name: 'asc' }, { id: 'asc' }] } }),
    activities: t.relation('activities', {
      description: 'Its activities, by name.',
      query: { orderBy: [{ name: 'asc' }, { id: 'asc' }] },
    }),
    coaches: t.relation('coaches', {
      description: 'Its coaches, by name.',
      query: { orderBy: [{ displayName: 'asc' }, { id: 'asc' }] },
    }),
    viewerRole: t.field({
      type: RoleEnum,
      nullable: true,
      description: "The logged-in member's role here, or null (not logged in, or no role).",
      resolve: (organization, _args, context) =>
        context.viewer ? roleIn(context.viewer.memberId, organization.id) : null,
    }),
  }),
});
