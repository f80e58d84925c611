import type { Context } from '../context.js';
import { prisma } from '../db/client.js';
import type { Tx } from '../db/transaction.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../domain/errors.js';
import type { MessageKey } from '../i18n/messages.js';
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

/**
 * The viewer acting on something that belongs to `ownerId` in an organisation: allowed when the
 * viewer is the owner, or is staff there acting on behalf of one of the organisation's members
 * (anyone can create an organisation, so staff of one cannot reach strangers: for them the
 * record answers NOT_FOUND on `field`, as if it did not exist).
 */
export async function requireOwnerOrStaff(
  context: Pick<Context, 'viewer'>,
  owner: { memberId: string; entity: MessageKey; field: string },
  organizationId: string,
): Promise<{ viewerId: string; onBehalf: boolean }> {
  const viewerId = requireViewer(context);
  if (viewerId === owner.memberId) return { viewerId, onBehalf: false };
  const role = await roleIn(viewerId, organizationId);
  if (!role || !STAFF_ROLES.includes(role)) throw new ForbiddenError();
  if (!(await isMemberOf(owner.memberId, organizationId))) throw new NotFoundError(owner.entity, [owner.field]);
  return { viewerId, onBehalf: true };
}

/** Whether a member belongs to an organisation (any role: members join by buying or booking there). */
export async function isMemberOf(memberId: string, organizationId: string): Promise<boolean> {
  return (await roleIn(memberId, organizationId)) !== null;
}

/**
 * The first lock of a use case that gives a member a new booking, waitlist place or order: the
 * member row, shared (such use cases do not wait for each other), so that the erasure of the
 * account, which locks it for update first, either runs entirely before (and this answers
 * NOT_FOUND on `field`) or entirely after.
 */
export async function holdLiveMember(tx: Tx, memberId: string, owner: { entity: MessageKey; field: string }): Promise<void> {
  const [member] = await tx.$queryRaw<{ erasedAt: Date | null }[]>`
    SELECT "erasedAt" FROM "Member" WHERE "id" = ${memberId}::uuid FOR SHARE`;
  if (!member || member.erasedAt) throw new NotFoundError(owner.entity, [owner.field]);
}

/**
 * Records that a member deals with an organisation (their first purchase or booking there), and
 * locks their Membership row until commit: KEY SHARE by default (purchases, bookings and payments
 * do not wait for each other), FOR UPDATE for a discovery purchase, which must decide "is this a
 * new client?" with no first purchase, booking or payment slipping past it (see purchaseOffer).
 */
export async function joinOrganization(tx: Tx, memberId: string, organizationId: string, { forUpdate = false } = {}): Promise<void> {
  await tx.membership.createMany({ data: [{ memberId, organizationId, role: 'MEMBER' }], skipDuplicates: true });
  await lockMembership(tx, memberId, organizationId, forUpdate ? 'UPDATE' : 'KEY SHARE');
}

/** Locks a member's Membership row in an organisation until commit (nothing when they have none). */
export async function lockMembership(tx: Tx, memberId: string, organizationId: string, mode: 'UPDATE' | 'KEY SHARE'): Promise<void> {
  if (mode === 'UPDATE') {
    await tx.$queryRaw`SELECT 1 FROM "Membership" WHERE "memberId" = ${memberId}::uuid AND "organizationId" = ${organizationId}::uuid FOR UPDATE`;
  } else {
    await tx.$queryRaw`SELECT 1 FROM "Membership" WHERE "memberId" = ${memberId}::uuid AND "organizationId" = ${organizationId}::uuid FOR KEY SHARE`;
  }
}

export async function isStaff(memberId: string, organizationId: string): Promise<boolean> {
  const role = await roleIn(memberId, organizationId);
  return role !== null && STAFF_ROLES.includes(role);
}

/** Whether the viewer is staff (STAFF or ADMIN) of an organisation the member belongs to. */
export async function isStaffForMember(viewerId: string, memberId: string): Promise<boolean> {
  return (await membersStaffedBy(viewerId, [memberId])).has(memberId);
}

// The checks below answer for many records in one statement: the type scopes of a list's items
// (a page of members, bookings, beneficiaries) are batched per request (see schema/builder.ts), so
// that a page costs the same number of statements whatever its size.

/** Of these members, those who belong to an organisation the viewer is staff of. */
export async function membersStaffedBy(viewerId: string, memberIds: readonly string[]): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT member."memberId"::text AS id FROM "Membership" staff
      JOIN "Membership" member ON member."organizationId" = staff."organizationId"
     WHERE staff."memberId" = ${viewerId}::uuid AND staff."role" IN ('STAFF', 'ADMIN')
       AND member."memberId" = ANY(${[...new Set(memberIds)]}::uuid[])`;
  return new Set(rows.map((row) => row.id));
}

/**
 * Whether the viewer is staff of an organisation this beneficiary's member belongs to, or where the
 * beneficiary has booked or bought something: staff see the people on their registers, orders and
 * member lists, and nobody else's.
 */
export async function isStaffForBeneficiary(memberId: string, beneficiaryId: string): Promise<boolean> {
  return (await beneficiariesStaffedBy(memberId, [beneficiaryId])).has(beneficiaryId);
}

/** Of these beneficiaries, those the viewer sees as staff (see isStaffForBeneficiary). */
export async function beneficiariesStaffedBy(viewerId: string, beneficiaryIds: readonly string[]): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT x."id"::text AS id FROM "Beneficiary" x
     WHERE x."id" = ANY(${[...new Set(beneficiaryIds)]}::uuid[])
       AND EXISTS (
         SELECT 1 FROM "Membership" m
          WHERE m."memberId" = ${viewerId}::uuid AND m."role" IN ('STAFF', 'ADMIN')
            AND (EXISTS (SELECT 1 FROM "Membership" mm WHERE mm."memberId" = x."memberId" AND mm."organizationId" = m."organizationId")
              OR EXISTS (SELECT 1 FROM "Booking" b WHERE b."beneficiaryId" = x."id" AND b."organizationId" = m."organizationId")
              OR EXISTS (SELECT 1 FROM "Order" o WHERE o."beneficiaryId" = x."id" AND o."organizationId" = m."organizationId")))`;
  return new Set(rows.map((row) => row.id));
}

/**
 * Whether the viewer coaches this session: its coach profile is theirs and they still hold a role
 * above MEMBER in its organisation (a coach set back to MEMBER keeps the profile, not the reach).
 */
export async function isCoachOfSession(memberId: string, sessionId: string): Promise<boolean> {
  return (await sessionsCoachedBy(memberId, [sessionId])).has(sessionId);
}

/** Of these sessions, those the viewer coaches (see isCoachOfSession). */
export async function sessionsCoachedBy(viewerId: string, sessionIds: readonly string[]): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT s."id"::text AS id FROM "Session" s
      JOIN "Coach" c ON c."id" = s."coachId"
      JOIN "Membership" m ON m."organizationId" = s."organizationId" AND m."memberId" = c."memberId"
     WHERE s."id" = ANY(${[...new Set(sessionIds)]}::uuid[]) AND c."memberId" = ${viewerId}::uuid AND m."role" <> 'MEMBER'`;
  return new Set(rows.map((row) => row.id));
}

/** Whether the viewer coaches a session this beneficiary is booked in (any booking: the register shows them). */
export async function isCoachForBeneficiary(memberId: string, beneficiaryId: string): Promise<boolean> {
  return (await beneficiariesCoachedBy(memberId, [beneficiaryId])).has(beneficiaryId);
}

/** Of these beneficiaries, those booked in a session the viewer coaches. */
export async function beneficiariesCoachedBy(viewerId: string, beneficiaryIds: readonly string[]): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT b."beneficiaryId"::text AS id FROM "Booking" b
      JOIN "Session" s ON s."id" = b."sessionId"
      JOIN "Coach" c ON c."id" = s."coachId"
      JOIN "Membership" m ON m."organizationId" = s."organizationId" AND m."memberId" = c."memberId"
     WHERE b."beneficiaryId" = ANY(${[...new Set(beneficiaryIds)]}::uuid[]) AND c."memberId" = ${viewerId}::uuid AND m."role" <> 'MEMBER'`;
  return new Set(rows.map((row) => row.id));
}
