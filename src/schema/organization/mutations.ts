import { createOrganization } from '../../services/organizations.js';
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
