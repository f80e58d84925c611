import { randomUUID } from 'node:crypto';
import { readLoginToken, signToken, tokenLifetimeSeconds } from '../../auth/tokens.js';
import type { Viewer } from '../../context.js';
import { prisma } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { InvalidTokenError } from '../../domain/errors.js';
import type { Member } from '../../generated/prisma/client.js';
import { publishLoginsRevoked } from '../../events/pubsub.js';

// A login is an AuthSession row, named by the token's `sid`. It is checked on every request and
// every subscription start, so that logging out, changing the password or erasing the account
// takes effect at once, on every instance.

/** What logging in answers: the member, the token, and the login it names. */
export interface Authenticated {
  token: string;
  member: Member;
  /** The login the token names (AuthSession). */
  sessionId: string;
  expiresAt: Date;
}

/** Opens a login for the member and answers its token. */
export async function startLogin(db: Tx | typeof prisma, memberId: string, now: Date): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + tokenLifetimeSeconds() * 1000);
  await db.authSession.create({ data: { id, memberId, createdAt: now, expiresAt } });
  return { token: await signToken(memberId, id, now, expiresAt), sessionId: id, expiresAt };
}

/**
 * The viewer a token names. A token that is forged, expired or revoked, or whose member was
 * erased, is InvalidTokenError: never anonymous, so that a client can tell "expired" from "logged
 * out". One SQL statement.
 */
export async function viewerFromToken(token: string, now: Date): Promise<Viewer & { expiresAt: Date }> {
  const claims = await readLoginToken(token, now);
  if (!claims) throw new InvalidTokenError();
  // Every authenticated request runs this: raw SQL costs a third of Prisma's planning of the same
  // filtered join (bench/README.md, "Where a booking's time goes").
  const [login] = await prisma.$queryRaw<{ expiresAt: Date }[]>`
    SELECT a."expiresAt"
      FROM "AuthSession" a
      JOIN "Member" m ON m."id" = a."memberId"
     WHERE a."id" = ${claims.sessionId}::uuid AND a."memberId" = ${claims.memberId}::uuid
       AND a."revokedAt" IS NULL AND a."expiresAt" > ${now} AND m."erasedAt" IS NULL`;
  if (!login) throw new InvalidTokenError();
  return { memberId: claims.memberId, sessionId: claims.sessionId, expiresAt: login.expiresAt };
}

/** Which of these logins are still valid at `now` (for sockets re-checked in one statement). */
export async function validLogins(sessionIds: string[], now: Date): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const rows = await prisma.authSession.findMany({
    where: { id: { in: sessionIds }, revokedAt: null, expiresAt: { gt: now }, member: { erasedAt: null } },
    select: { id: true },
  });
  return new Set(rows.map((row) => row.id));
}

/** Revokes one login (log-out). Publish with `publishLoginsRevoked` after commit. */
export async function revokeLogin(db: Tx | typeof prisma, memberId: string, sessionId: string, now: Date): Promise<void> {
  await db.authSession.updateMany({ where: { id: sessionId, memberId, revokedAt: null }, data: { revokedAt: now } });
}

/**
 * Revokes every login of the member but `exceptSessionId` (password change, reset, erasure), in
 * the caller's transaction. Call `announceRevocation` after commit so open sockets close.
 */
export async function revokeMemberLogins(tx: Tx | typeof prisma, memberId: string, now: Date, exceptSessionId?: string): Promise<void> {
  await tx.authSession.updateMany({
    where: { memberId, revokedAt: null, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) },
    data: { revokedAt: now },
  });
}

/** Tells every instance to close the sockets of revoked logins (after the revocation committed). */
export function announceRevocation(event: { memberId: string; sessionId?: string; exceptSessionId?: string }): void {
  publishLoginsRevoked(event);
}
