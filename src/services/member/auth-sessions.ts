import { randomUUID } from 'node:crypto';
import { readLoginToken, signToken, tokenLifetimeSeconds } from '../../auth/tokens.js';
import type { Viewer } from '../../context.js';
import { driverQuery, prisma } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { InvalidTokenError } from '../../domain/errors.js';
import type { Member } from '../../generated/prisma/client.js';
import { type LoginsRevokedEvent, onEventGap, publishesSettled, publishLoginsRevoked, receivingEvents, watch } from '../../events/pubsub.js';

// A login is an AuthSession row, named by the token's `sid`. It is checked on every request and
// every subscription start (against the row, or against the logins this instance found valid
// moments ago, which every revocation drops: see KnownLogins), so that logging out, changing the
// password or erasing the account takes effect at once, on every instance.

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
 * out". One SQL statement, or none when this instance found the login valid moments ago (below).
 */
export async function viewerFromToken(token: string, now: Date): Promise<Viewer & { expiresAt: Date }> {
  const claims = await readLoginToken(token, now);
  if (!claims) throw new InvalidTokenError();
  const known = knownLogins.valid(claims, now);
  if (known) return known;
  const seen = knownLogins.revocationsSeen();
  // Every authenticated request not answered above runs this, past Prisma (`driverQuery`).
  const [login] = await driverQuery<{ expiresAt: Date }>(
    `SELECT a."expiresAt"
       FROM "AuthSession" a
       JOIN "Member" m ON m."id" = a."memberId"
      WHERE a."id" = $1::uuid AND a."memberId" = $2::uuid
        AND a."revokedAt" IS NULL AND a."expiresAt" > $3 AND m."erasedAt" IS NULL`,
    [claims.sessionId, claims.memberId, now],
  );
  if (!login) throw new InvalidTokenError();
  const viewer = { memberId: claims.memberId, sessionId: claims.sessionId, expiresAt: login.expiresAt };
  knownLogins.remember(viewer, seen);
  return viewer;
}

/**
 * Logins this instance read as valid, kept for a few seconds so that a member's next requests skip
 * the login's row (issue 13: that statement was a third of an authenticated request's cost). What
 * keeps it right:
 * - every revocation (log-out, password change or reset, erasure) is announced after its commit on
 *   `auth:revoked`, which reaches this instance at once when it made it and through Redis
 *   otherwise; the mutation that revoked answers only once Redis has the event
 *   (`announceRevocation`), so every instance drops the login before its client can use it again;
 * - a login read while any revocation arrived is not kept (the read may predate the revocation);
 * - while this instance's Redis subscription is down nothing is kept or used, and everything is
 *   dropped when it goes down and again when it is back;
 * - expiry is checked against the clock on every use, and nothing is kept longer than
 *   LOGIN_CACHE_MS, the bound on a revocation whose announcement was lost (an instance that
 *   stopped between the commit and the publication).
 * Only servers keep logins (`keepValidLogins`, from createApp); elsewhere every call reads the row.
 */
const LOGIN_CACHE_MS = 10_000;
const MAX_KNOWN_LOGINS = 10_000;

class KnownLogins {
  private readonly logins = new Map<string, { memberId: string; expiresAt: Date; until: number }>();
  private revocations = 0;
  users = 0;

  valid(claims: { memberId: string; sessionId: string }, now: Date): (Viewer & { sessionId: string; expiresAt: Date }) | null {
    if (this.users === 0 || !receivingEvents()) return null;
    const login = this.logins.get(claims.sessionId);
    if (!login) return null;
    if (login.memberId !== claims.memberId || login.until <= performance.now() || login.expiresAt <= now) {
      this.logins.delete(claims.sessionId);
      return null;
    }
    return { memberId: login.memberId, sessionId: claims.sessionId, expiresAt: login.expiresAt };
  }

  revocationsSeen(): number {
    return this.revocations;
  }

  remember(viewer: { memberId: string; sessionId: string; expiresAt: Date }, revocationsBefore: number): void {
    if (this.users === 0 || revocationsBefore !== this.revocations || !receivingEvents()) return;
    if (this.logins.size >= MAX_KNOWN_LOGINS) this.logins.delete(this.logins.keys().next().value!);
    this.logins.set(viewer.sessionId, { memberId: viewer.memberId, expiresAt: viewer.expiresAt, until: performance.now() + LOGIN_CACHE_MS });
  }

  revoked(event: LoginsRevokedEvent): void {
    this.revocations += 1;
    if (event.sessionId) {
      this.logins.delete(event.sessionId);
      return;
    }
    for (const [sessionId, login] of this.logins) {
      if (login.memberId === event.memberId && sessionId !== event.exceptSessionId) this.logins.delete(sessionId);
    }
  }

  forgetAll(): void {
    this.revocations += 1;
    this.logins.clear();
  }
}

const knownLogins = new KnownLogins();

/** Lets this process keep valid logins (above) until the returned function is called. */
export function keepValidLogins(): () => void {
  knownLogins.users += 1;
  const stopWatching = watch('auth:revoked', (event) => knownLogins.revoked(event));
  const stopGap = onEventGap(() => knownLogins.forgetAll());
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    stopWatching();
    stopGap();
    knownLogins.users -= 1;
    if (knownLogins.users === 0) knownLogins.forgetAll();
  };
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

/**
 * Tells every instance that these logins were revoked (after the revocation committed): they stop
 * accepting them and close their sockets. Resolves once Redis has the event, so that the client
 * told "logged out" cannot reach another instance before it knows (bounded wait).
 */
export async function announceRevocation(event: LoginsRevokedEvent): Promise<void> {
  publishLoginsRevoked(event);
  await publishesSettled();
}
