import { createOrganization, setWaitlistPolicy } from '../../services/organization/organizations.js';
import { decodeId } from '../common/ids.js';
import { WaitlistPolicyEnum } from '../waitlist/types.js';
import { defineMutation } from '../common/mutation.js';
import { OrganizationRef } from './types.js';

defineMutation('createOrganization', {
  description: 'Creates an organization; the caller becomes its ADMIN.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    name: t.string({ required: true, description: 'Display name.' }),
    slug: t.string({ required: true, description: 'Unique identifier: lowercase letters, digits, hyphens (2–63).' }),
    timeZone: t.string({ required: false, description: 'IANA time zone; default Europe/Paris.' }),
  }),
  resolve: async (input, context) => ({ organization: await createOrganization(context, input) }),
  success: {
    description: 'The organization was created.',
    fields: (t) => ({
      organization: t.field({ type: OrganizationRef, description: 'The new organization.', resolve: (r) => r.organization }),
    }),
  },
});

defineMutation('setWaitlistPolicy', {
  description:
    "Staff choose how freed seats go to the waitlist: FIRST_CLICK_WINS (default, 002), AUTO_PROMOTE or ONE_AT_A_TIME, the claim deadline before each session, and each member's window for ONE_AT_A_TIME.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (staff only).' }),
    policy: t.field({ type: WaitlistPolicyEnum, required: true, description: 'How a freed seat is offered.' }),
    claimDeadlineHours: t.int({ required: false, description: 'Claims close this many hours before a session (default 12).' }),
    offerWindowMinutes: t.int({ required: false, description: 'ONE_AT_A_TIME: minutes each member has to claim (default 60).' }),
  }),
  resolve: async (input, context) => ({
    organization: await setWaitlistPolicy(context, { ...input, organizationId: decodeId(input.organizationId, 'Organization', 'organizationId') }),
  }),
  success: {
    description: 'The policy is set; it applies to seats freed from now on.',
    fields: (t) => ({ organization: t.field({ type: OrganizationRef, description: 'The organization.', resolve: (r) => r.organization }) }),
  },
});
