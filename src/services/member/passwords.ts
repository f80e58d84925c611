import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../auth/passwords.js';
import { hashLinkToken, passwordLinkToken } from '../../auth/tokens.js';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { InvalidTokenError } from '../../domain/errors.js';
import { PASSWORD_LINK_LIFETIME_MS, validateEmailInput, validateNewPassword, validateLinkToken } from '../../domain/members.js';
import type { PasswordResetPurpose } from '../../generated/prisma/enums.js';
import { logger } from '../../logger.js';
import { announceRevocation, type Authenticated, revokeMemberLogins, startLogin } from './auth-sessions.js';
import { queueEmail } from '../notifications.js';

// "Mot de passe oublié" and "Créer le mot de passe" (SPEC §2): one flow. A link is a random id whose
// token (an HMAC, see auth/tokens.ts) is emailed; the database keeps its hash. One link is open per
// member at a time, it works once, and it expires (1 hour for a reset, 7 days for a new account).

/**
 * Opens a password link for the member, in the caller's transaction, and queues its email
 * (`password-reset`, or `account-created` for a new account). Older open links are deleted first,
 * under the member's row lock, so only the newest works.
 */
export async function issuePasswordLink(
  tx: Tx,
  member: { id: string; email: string; locale: string; firstName: string },
  purpose: PasswordResetPurpose,
  now: Date,
  organization?: { id: string; name: string; timeZone: string },
): Promise<void> {
  await tx.$executeRaw`SELECT 1 FROM "Member" WHERE "id" = ${member.id}::uuid FOR UPDATE`;
  await tx.passwordReset.deleteMany({ where: { memberId: member.id, usedAt: null } });
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + PASSWORD_LINK_LIFETIME_MS[purpose]);
  await tx.passwordReset.create({
    data: { id, memberId: member.id, purpose, tokenHash: hashLinkToken(passwordLinkToken(id)), expiresAt, createdAt: now },
  });
  await queueEmail(tx, {
    organizationId: organization?.id ?? null,
    to: member.email,
    locale: member.locale,
    template: purpose === 'RESET' ? 'password-reset' : 'account-created',
    // The sender turns `passwordLinkId` into the link; the token itself is stored nowhere.
    payload: {
      passwordLinkId: id,
      expiresAt: expiresAt.toISOString(),
      firstName: member.firstName,
      organization: organization?.name ?? null,
      timeZone: organization?.timeZone ?? 'Europe/Paris',
    },
    dedupeKey: `password-link:${id}`,
    at: now,
  });
}

// Work started after the answer (see requestPasswordReset), awaited by `settlePasswordWork`.
const pending = new Set<Promise<void>>();

/** Resolves when password links requested so far are issued (graceful shutdown, tests). */
export async function settlePasswordWork(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

/**
 * Always the same answer, in the same time, whether or not the email has an account: the answer
 * is given first, and the link is issued after it. A malformed email is still VALIDATION (that
 * says nothing about accounts), and attempts count against the email and the address.
 */
export async function requestPasswordReset(context: Context, input: { email: string }): Promise<void> {
  const email = validateEmailInput(input.email);
  await context.rateLimits?.consume('requestPasswordReset', { email, address: context.clientAddress });
  const now = context.clock.now();
  const work = (async () => {
    const member = await prisma.member.findUnique({ where: { email }, select: { id: true, email: true, locale: true, firstName: true, erasedAt: true } });
    if (!member || member.erasedAt) return;
    await transaction((tx) => issuePasswordLink(tx, member, 'RESET', now));
  })()
    .catch((error) => logger.error({ err: error }, 'could not issue a password link'))
    .finally(() => pending.delete(work));
  pending.add(work);
}

/**
 * Sets the password from a link's token, once: the link is closed by compare-and-swap, every login
 * issued before is revoked, a fresh one is answered, and a `password-changed` email is queued.
 */
export async function resetPassword(context: Context, input: { token: string; password: string }): Promise<Authenticated> {
  validateLinkToken(input.token);
  validateNewPassword('password', input.password);
  await context.rateLimits?.consume('resetPassword', { address: context.clientAddress });
  const now = context.clock.now();
  // Hashing takes tens of milliseconds: before the transaction, not while it holds locks.
  const passwordHash = await hashPassword(input.password);
  const tokenHash = hashLinkToken(input.token);
  const result = await transaction(async (tx) => {
    const link = await tx.passwordReset.findUnique({ where: { tokenHash }, select: { id: true, memberId: true } });
    if (!link) throw new InvalidTokenError();
    const closed = await tx.passwordReset.updateMany({
      where: { id: link.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (closed.count !== 1) throw new InvalidTokenError();
    const member = await tx.member.update({ where: { id: link.memberId }, data: { passwordHash } });
    if (member.erasedAt) throw new InvalidTokenError();
    await revokeMemberLogins(tx, member.id, now);
    const login = await startLogin(tx, member.id, now);
    await queuePasswordChanged(tx, member, now, link.id);
    return { member, ...login };
  });
  await announceRevocation({ memberId: result.member.id, exceptSessionId: result.sessionId });
  return result;
}

export async function queuePasswordChanged(
  tx: Tx,
  member: { id: string; email: string; locale: string },
  now: Date,
  cause: string,
): Promise<void> {
  await queueEmail(tx, {
    organizationId: null,
    to: member.email,
    locale: member.locale,
    template: 'password-changed',
    payload: {},
    dedupeKey: `password-changed:${cause}`,
    at: now,
  });
}
