import type { Role } from '../generated/prisma/enums.js';

// Roles in an organisation (SPEC §2): MEMBER books, COACH also takes the register of the sessions
// they teach, STAFF run the organisation for its members, ADMIN also decide who holds which role.

/** Roles listed in `Organization.staff`: the people who work for the organisation. */
export const STAFF_LIST_ROLES: readonly Role[] = ['COACH', 'STAFF', 'ADMIN'];

/**
 * Whether changing a member's role from `from` to `to` would leave the organisation without an
 * ADMIN, given how many ADMINs it has now (counted under the organisation's row lock).
 */
export function leavesNoAdmin(change: { from: Role; to: Role }, adminCount: number): boolean {
  return change.from === 'ADMIN' && change.to !== 'ADMIN' && adminCount <= 1;
}

/** The name a coach profile made from an account shows on the schedule. */
export function coachDisplayName(member: { firstName: string; lastName: string }): string {
  return [member.firstName.trim(), member.lastName.trim()].filter(Boolean).join(' ');
}
