import { ExtensionNotAllowedError } from '../../domain/errors.js';
import { adjustCredits, extendValidity } from '../../services/credit/entitlements.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { EntitlementRef } from './types.js';
import { bounds } from '../common/input-bounds.js';

defineMutation('extendValidity', {
  description:
    'Staff extend a pack or subscription period by a number of days (pool closure; medical inability of more than a month, requested before the end of validity: 003 §9.2, 004). The reason is recorded.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    entitlementId: t.id({ required: true, description: 'The entitlement.' }),
    days: t.int({ required: true, description: 'Calendar days to add to the end of validity (1 to 366).' }),
    reason: t.string({ required: true, description: 'Why (closure, certificate…; 500 characters at most).', ...bounds({ multiline: true }) }),
  }),
  errors: [ExtensionNotAllowedError],
  resolve: async (input, context) => ({
    entitlement: await extendValidity(context, { ...input, entitlementId: decodeId(input.entitlementId, 'Entitlement', 'entitlementId') }),
  }),
  success: {
    description: 'The validity is extended.',
    fields: (t) => ({ entitlement: t.field({ type: EntitlementRef, description: 'The entitlement.', resolve: (r) => r.entitlement }) }),
  },
});

defineMutation('adjustCredits', {
  description: 'Staff correct a balance by hand (ADJUSTMENT entry), with a note. The balance never goes below zero.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    entitlementId: t.id({ required: true, description: 'The entitlement.' }),
    delta: t.int({ required: true, description: 'Credits to add (positive) or remove (negative).' }),
    note: t.string({ required: true, description: 'Why (500 characters at most).', ...bounds({ multiline: true }) }),
  }),
  resolve: async (input, context) => ({
    entitlement: await adjustCredits(context, { ...input, entitlementId: decodeId(input.entitlementId, 'Entitlement', 'entitlementId') }),
  }),
  success: {
    description: 'The balance is corrected.',
    fields: (t) => ({ entitlement: t.field({ type: EntitlementRef, description: 'The entitlement.', resolve: (r) => r.entitlement }) }),
  },
});
