import { prisma } from '../../db/client.js';
import { FOLD_FROM, FOLD_TO } from '../../domain/staff-lists.js';
import { Prisma } from '../../generated/prisma/client.js';

// Staff's list of an organisation's members (SPEC §11): one statement finds a page of ids in
// order, another counts, and the per-member figures (usable credits, next booking) are read for a
// whole page at once, so a page costs the same number of statements whatever its size.

/** SQL: `text` lowercased and without accents, as domain/staff-lists.ts foldForSearch folds a search. */
function fold(column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`translate(lower(${column}), ${FOLD_FROM}, ${FOLD_TO})`;
}

/** The members (memberships) of an organisation matching a search pattern (see searchPattern). */
function memberFilter(organizationId: string, pattern: string | null): Prisma.Sql {
  const matches = pattern
    ? Prisma.sql`AND (${fold(Prisma.sql`m."firstName" || ' ' || m."lastName"`)} LIKE ${pattern}
          OR ${fold(Prisma.sql`m."lastName" || ' ' || m."firstName"`)} LIKE ${pattern}
          OR ${fold(Prisma.sql`m."email"`)} LIKE ${pattern}
          OR EXISTS (SELECT 1 FROM "Beneficiary" b
                      WHERE b."memberId" = m."id" AND b."erasedAt" IS NULL AND b."removedAt" IS NULL
                        AND (${fold(Prisma.sql`b."firstName" || ' ' || b."lastName"`)} LIKE ${pattern}
                          OR ${fold(Prisma.sql`b."lastName" || ' ' || b."firstName"`)} LIKE ${pattern})))`
    : Prisma.empty;
  return Prisma.sql`FROM "Membership" ms JOIN "Member" m ON m."id" = ms."memberId"
    WHERE ms."organizationId" = ${organizationId}::uuid AND m."erasedAt" IS NULL ${matches}`;
}

export interface MemberPageRow {
  id: string;
  lastKey: string;
  firstKey: string;
}

/**
 * Up to `take` memberships of the organisation matching the search, by last name then first name
 * (case and accents folded), after the keyset position `after` when given.
 */
export async function memberPage(
  organizationId: string,
  pattern: string | null,
  take: number,
  after: { keys: string[]; id: string } | null,
): Promise<MemberPageRow[]> {
  const lastKey = fold(Prisma.sql`m."lastName"`);
  const firstKey = fold(Prisma.sql`m."firstName"`);
  const position = after
    ? Prisma.sql`AND (${lastKey}, ${firstKey}, ms."id") > (${after.keys[0]}, ${after.keys[1]}, ${after.id}::uuid)`
    : Prisma.empty;
  return prisma.$queryRaw<MemberPageRow[]>`
    SELECT ms."id"::text AS id, ${lastKey} AS "lastKey", ${firstKey} AS "firstKey"
      ${memberFilter(organizationId, pattern)} ${position}
     ORDER BY 2, 3, ms."id"
     LIMIT ${take}`;
}

/** How many memberships of the organisation match the search. */
export async function countMembers(organizationId: string, pattern: string | null): Promise<number> {
  const [row] = await prisma.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count ${memberFilter(organizationId, pattern)}`;
  return row?.count ?? 0;
}

/**
 * Credits each member's beneficiaries can book with now in the organisation: active lots, not
 * expired, not of a subscription suspended for an unpaid renewal (as `usableOnly` lists them).
 */
export async function usableCreditsOf(organizationId: string, memberIds: readonly string[], now: Date): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<{ memberId: string; credits: number }[]>`
    SELECT e."memberId"::text AS "memberId", sum(e."creditsRemaining")::int AS credits
      FROM "Entitlement" e LEFT JOIN "Subscription" s ON s."id" = e."subscriptionId"
     WHERE e."organizationId" = ${organizationId}::uuid AND e."memberId" = ANY(${[...new Set(memberIds)]}::uuid[])
       AND e."status" = 'ACTIVE' AND e."creditsRemaining" > 0 AND e."validUntil" > ${now}
       AND (s."id" IS NULL OR s."status" <> 'SUSPENDED')
     GROUP BY e."memberId"`;
  return new Map(rows.map((row) => [row.memberId, row.credits]));
}

/** Each member's next booking in the organisation (any of their beneficiaries; a seat held while paying counts). */
export async function nextBookingIdsOf(organizationId: string, memberIds: readonly string[], now: Date): Promise<Map<string, string>> {
  const rows = await prisma.$queryRaw<{ memberId: string; bookingId: string }[]>`
    SELECT DISTINCT ON (b."memberId") b."memberId"::text AS "memberId", b."id"::text AS "bookingId"
      FROM "Booking" b JOIN "Session" s ON s."id" = b."sessionId"
     WHERE b."organizationId" = ${organizationId}::uuid AND b."memberId" = ANY(${[...new Set(memberIds)]}::uuid[])
       AND b."status" IN ('CONFIRMED', 'PENDING_PAYMENT') AND s."startsAt" > ${now}
     ORDER BY b."memberId", s."startsAt", b."id"`;
  return new Map(rows.map((row) => [row.memberId, row.bookingId]));
}
