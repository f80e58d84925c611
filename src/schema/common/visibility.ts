import type { Context } from '../../context.js';

// Row filters that make `node(id)` answer null, rather than an authorization error, for records the
// viewer may not see. The types' authScopes still guard every other path to them.

/** A UUID that names no member: matches nothing for anonymous viewers. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

const staffMembership = (memberId: string) => ({ memberships: { some: { memberId, role: { in: ['STAFF' as const, 'ADMIN' as const] } } } });

/** Records of a member in an organisation: the member's own, or any of the organisations the viewer staffs. */
export function ownedOrStaffed(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return { id, OR: [{ memberId: viewerId }, { organization: staffMembership(viewerId) }] };
}

/**
 * A beneficiary: the viewer's own, or one whose member belongs to (or who booked or bought from) an
 * organisation the viewer staffs.
 */
export function visibleBeneficiary(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return {
    id,
    OR: [
      { memberId: viewerId },
      { member: { memberships: { some: { organization: staffMembership(viewerId) } } } },
      { bookings: { some: { organization: staffMembership(viewerId) } } },
      { orders: { some: { organization: staffMembership(viewerId) } } },
    ],
  };
}

/** A place in a waitlist: the member's own, or in a session of an organisation the viewer staffs. */
export function visibleWaitlistEntry(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return { id, OR: [{ memberId: viewerId }, { session: { organization: staffMembership(viewerId) } }] };
}

/** A waitlist offer: to one of the member's entries, or in a session of an organisation the viewer staffs. */
export function visibleWaitlistOffer(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return { id, OR: [{ waitlistEntry: { memberId: viewerId } }, { session: { organization: staffMembership(viewerId) } }] };
}

/** A member: the viewer themself, or a member of an organisation the viewer staffs. */
export function visibleMember(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return { id, OR: [{ id: viewerId }, { memberships: { some: { organization: staffMembership(viewerId) } } }] };
}

/** A saved card or SEPA mandate: the viewer's own only (staff never see them). */
export function ownPaymentMethod(id: string, context: Context) {
  return { id, memberId: context.viewer?.memberId ?? NOBODY };
}
