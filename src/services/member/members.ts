import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import { clearLoginCookie, setLoginCookie } from '../../auth/cookies.js';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction } from '../../db/transaction.js';
import { BeneficiaryInUseError, EmailTakenError, InvalidCredentialsError, NotFoundError } from '../../domain/errors.js';
import {
  sameBeneficiary,
  validateBeneficiary,
  validateCreateMember,
  validateEmailInput,
  validateNewPassword,
  validateProfile,
  validateSignUp,
  type BeneficiaryInput,
  type CreateMemberInput,
  type ProfileInput,
  type SignUpInput,
} from '../../domain/members.js';
import { Issues, PASSWORD_MAX_LENGTH } from '../../domain/validation.js';
import { calendarDate, DEFAULT_TIME_ZONE } from '../../domain/time.js';
import type { Beneficiary, Member } from '../../generated/prisma/client.js';
import { joinOrganization, requireStaff, requireViewer } from '../access.js';
import { announceRevocation, type Authenticated, revokeLogin, revokeMemberLogins, startLogin } from './auth-sessions.js';
import { isUniqueViolation } from '../errors.js';
import { queueEmail } from '../notifications.js';
import { issuePasswordLink, queuePasswordChanged } from './passwords.js';

/** With `setCookie`, browsers also get the token as an httpOnly cookie. */
async function deliver(context: Context, result: Authenticated, setCookie: boolean | null | undefined): Promise<Authenticated> {
  if (setCookie) await setLoginCookie(context.request, result.token, result.expiresAt);
  return result;
}

export async function signUp(context: Context, input: SignUpInput & { setCookie?: boolean | null }): Promise<Authenticated> {
  const { email } = validateSignUp(input);
  await context.rateLimits?.consume('signUp', { email, address: context.clientAddress });
  const passwordHash = await hashPassword(input.password);
  const now = context.clock.now();
  try {
    // The unique index on the lowercased email decides, not a prior lookup.
    const result = await transaction(async (tx) => {
      const member = await tx.member.create({
        data: { email, passwordHash, firstName: input.firstName.trim(), lastName: input.lastName.trim(), locale: context.locale },
      });
      await queueEmail(tx, {
        organizationId: null,
        to: member.email,
        locale: member.locale,
        template: 'account-created',
        payload: { firstName: member.firstName },
        dedupeKey: `welcome:${member.id}`,
        at: now,
      });
      return { member, ...(await startLogin(tx, member.id, now)) };
    });
    return deliver(context, result, input.setCookie);
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

export async function logIn(context: Context, input: { email: string; password: string; setCookie?: boolean | null }): Promise<Authenticated> {
  const email = validateEmailInput(input.email);
  await context.rateLimits?.consume('logIn', { email, address: context.clientAddress });
  // No stored password is longer (signUp and resets refuse it): not worth hashing.
  new Issues().when(input.password.length > PASSWORD_MAX_LENGTH, 'password', 'validation.password.tooLong', { max: PASSWORD_MAX_LENGTH }).throwIfAny();
  const member = await prisma.member.findUnique({ where: { email } });
  // Verify even when the email is unknown or has no password yet, so the answer takes as long
  // either way and says nothing about the account.
  const valid = await verifyPassword(member?.passwordHash ?? null, input.password);
  if (!member || !valid || member.erasedAt) throw new InvalidCredentialsError();
  await context.rateLimits?.forgive('logIn', email);
  const login = await startLogin(prisma, member.id, context.clock.now());
  return deliver(context, { member, ...login }, input.setCookie);
}

/** Ends the request's login (token and cookie), or with `everywhere` every login of the member. */
export async function logOut(context: Context, input: { everywhere?: boolean | null }): Promise<Date> {
  const memberId = requireViewer(context);
  const now = context.clock.now();
  const sessionId = context.viewer?.sessionId;
  if (input.everywhere) {
    await revokeMemberLogins(prisma, memberId, now);
    await announceRevocation({ memberId });
  } else if (sessionId) {
    await revokeLogin(prisma, memberId, sessionId, now);
    await announceRevocation({ memberId, sessionId });
  }
  await clearLoginCookie(context.request);
  return now;
}

/** Needs the current password; every other login stops working, and a fresh token is answered. */
export async function changePassword(context: Context, input: { currentPassword: string; newPassword: string }): Promise<Authenticated> {
  const memberId = requireViewer(context);
  validateNewPassword('newPassword', input.newPassword);
  const current = await prisma.member.findUniqueOrThrow({ where: { id: memberId }, select: { email: true, passwordHash: true } });
  await context.rateLimits?.consume('logIn', { email: current.email, address: context.clientAddress });
  if (input.currentPassword.length > 1024 || !(await verifyPassword(current.passwordHash, input.currentPassword))) {
    throw new InvalidCredentialsError();
  }
  const passwordHash = await hashPassword(input.newPassword);
  const now = context.clock.now();
  const result = await transaction(async (tx) => {
    const member = await tx.member.update({ where: { id: memberId }, data: { passwordHash } });
    await revokeMemberLogins(tx, memberId, now);
    const login = await startLogin(tx, memberId, now);
    await queuePasswordChanged(tx, member, now, login.sessionId);
    return { member, ...login };
  });
  await announceRevocation({ memberId, exceptSessionId: result.sessionId });
  return deliver(context, result, context.viaCookie);
}

export async function updateProfile(
  context: Context,
  input: ProfileInput & { locale?: 'FR' | 'EN' | null; marketingConsent?: boolean | null },
): Promise<Member> {
  const memberId = requireViewer(context);
  validateProfile(input);
  return prisma.member.update({
    where: { id: memberId },
    data: {
      ...(input.firstName != null ? { firstName: input.firstName.trim() } : {}),
      ...(input.lastName != null ? { lastName: input.lastName.trim() } : {}),
      ...(input.phone !== undefined ? { phone: input.phone?.trim() || null } : {}),
      ...(input.locale != null ? { locale: input.locale.toLowerCase() } : {}),
      ...(input.marketingConsent != null ? { marketingConsent: input.marketingConsent } : {}),
    },
  });
}

/**
 * Staff make an account for someone at the desk (000: "Créer le mot de passe"): no password, the
 * beneficiaries given, a membership in the organisation, and an `account-created` email whose link
 * sets the password (7 days). An email that already has an account joins the organisation instead;
 * beneficiaries it already has are not added twice. The member's row lock serialises two desks.
 */
export async function createMember(context: Context, input: CreateMemberInput & { organizationId: string }): Promise<Member> {
  await requireStaff(context, input.organizationId);
  const now = context.clock.now();
  const organization = await prisma.organization.findUniqueOrThrow({
    where: { id: input.organizationId },
    select: { id: true, name: true, timeZone: true, locale: true },
  });
  const { email } = validateCreateMember(input, calendarDate(now, organization.timeZone));
  return transaction(async (tx) => {
    const inserted = await tx.member.createMany({
      data: [
        {
          email,
          firstName: input.firstName.trim(),
          lastName: input.lastName.trim(),
          phone: input.phone?.trim() || null,
          locale: organization.locale,
        },
      ],
      skipDuplicates: true,
    });
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Member" WHERE "email" = ${email} FOR UPDATE`;
    const member = await tx.member.findUniqueOrThrow({ where: { id: locked!.id } });
    await joinOrganization(tx, member.id, organization.id);
    const existing = await tx.beneficiary.findMany({ where: { memberId: member.id, erasedAt: null, removedAt: null } });
    const fresh: BeneficiaryInput[] = [];
    for (const beneficiary of input.beneficiaries ?? []) {
      if (![...existing, ...fresh].some((other) => sameBeneficiary(other, beneficiary))) fresh.push(beneficiary);
    }
    if (fresh.length > 0) {
      await tx.beneficiary.createMany({
        data: fresh.map((b) => ({ memberId: member.id, firstName: b.firstName.trim(), lastName: b.lastName.trim(), birthDate: b.birthDate })),
      });
    }
    // A set-password link for a new account, or for one still without a password and no open link.
    const openLink = inserted.count === 0 ? await tx.passwordReset.findFirst({ where: { memberId: member.id, usedAt: null, expiresAt: { gt: now } } }) : null;
    if (inserted.count === 1 || (!member.passwordHash && !openLink)) {
      await issuePasswordLink(tx, member, 'SET_PASSWORD', now, organization);
    }
    return member;
  });
}

export async function addBeneficiary(context: Context, input: BeneficiaryInput): Promise<Beneficiary> {
  const memberId = requireViewer(context);
  validateBeneficiary(input, calendarDate(context.clock.now(), DEFAULT_TIME_ZONE));
  return prisma.beneficiary.create({
    data: {
      memberId,
      firstName: input.firstName.trim(),
      lastName: input.lastName.trim(),
      birthDate: input.birthDate,
    },
  });
}

/** One of the viewer's own beneficiaries, still listed; NOT_FOUND otherwise. */
async function ownBeneficiary(memberId: string, beneficiaryId: string): Promise<Beneficiary> {
  const beneficiary = await prisma.beneficiary.findUnique({ where: { id: beneficiaryId } });
  if (!beneficiary || beneficiary.memberId !== memberId || beneficiary.erasedAt || beneficiary.removedAt) {
    throw new NotFoundError('entity.beneficiary', ['beneficiaryId']);
  }
  return beneficiary;
}

export async function updateBeneficiary(
  context: Context,
  input: { beneficiaryId: string; firstName?: string | null; lastName?: string | null; birthDate?: Date | null },
): Promise<Beneficiary> {
  const memberId = requireViewer(context);
  const beneficiary = await ownBeneficiary(memberId, input.beneficiaryId);
  const next = {
    firstName: input.firstName ?? beneficiary.firstName,
    lastName: input.lastName ?? beneficiary.lastName,
    birthDate: input.birthDate ?? beneficiary.birthDate,
  };
  validateBeneficiary(next, calendarDate(context.clock.now(), DEFAULT_TIME_ZONE));
  return prisma.beneficiary.update({
    where: { id: beneficiary.id },
    data: { firstName: next.firstName.trim(), lastName: next.lastName.trim(), birthDate: next.birthDate },
  });
}

/**
 * Hides a beneficiary from the member's list; past bookings and invoices keep it. Refused while it
 * has an upcoming booking, a place in a waitlist, or usable credits (BENEFICIARY_IN_USE). Once
 * removed, bookings, waitlists and purchases answer NOT_FOUND for it.
 */
export async function removeBeneficiary(context: Context, input: { beneficiaryId: string }): Promise<Beneficiary> {
  const memberId = requireViewer(context);
  await ownBeneficiary(memberId, input.beneficiaryId);
  const now = context.clock.now();
  return transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM "Beneficiary" WHERE "id" = ${input.beneficiaryId}::uuid FOR UPDATE`;
    // One statement: an upcoming booking (a seat held while paying online too), a place in a line,
    // or a credit still usable.
    const [inUse] = await tx.$queryRaw<unknown[]>`
      SELECT 1 WHERE EXISTS (SELECT 1 FROM "Booking" b JOIN "Session" s ON s."id" = b."sessionId"
                              WHERE b."beneficiaryId" = ${input.beneficiaryId}::uuid AND b."status" IN ('CONFIRMED', 'PENDING_PAYMENT') AND s."startsAt" > ${now})
                  OR EXISTS (SELECT 1 FROM "WaitlistEntry" w WHERE w."beneficiaryId" = ${input.beneficiaryId}::uuid AND w."status" = 'WAITING')
                  OR EXISTS (SELECT 1 FROM "Entitlement" e WHERE e."beneficiaryId" = ${input.beneficiaryId}::uuid AND e."status" = 'ACTIVE'
                                AND e."creditsRemaining" > 0 AND e."validUntil" > ${now})`;
    if (inUse) throw new BeneficiaryInUseError();
    return tx.beneficiary.update({ where: { id: input.beneficiaryId }, data: { removedAt: now } });
  });
}
