import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Context } from '../context.js';
import { prisma } from '../db/client.js';
import { EmailTakenError, InvalidCredentialsError } from '../domain/errors.js';
import { validateBeneficiary, validateSignUp, type BeneficiaryInput, type SignUpInput } from '../domain/members.js';
import { normalizeEmail } from '../domain/validation.js';
import { calendarDate, DEFAULT_TIME_ZONE } from '../domain/time.js';
import type { Beneficiary, Member } from '../generated/prisma/client.js';
import { requireViewer } from './access.js';
import { startLogin } from './auth-sessions.js';
import { isUniqueViolation } from './errors.js';

export interface Authenticated {
  token: string;
  member: Member;
  /** The login the token names (AuthSession). */
  sessionId: string;
  expiresAt: Date;
}

export async function signUp(context: Context, input: SignUpInput): Promise<Authenticated> {
  const { email } = validateSignUp(input);
  const passwordHash = await hashPassword(input.password);
  try {
    // The unique index on the lowercased email decides, not a prior lookup.
    const member = await prisma.member.create({
      data: {
        email,
        passwordHash,
        firstName: input.firstName.trim(),
        lastName: input.lastName.trim(),
        locale: context.locale,
      },
    });
    return { member, ...(await startLogin(prisma, member.id, context.clock.now())) };
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

export async function logIn(context: Context, input: { email: string; password: string }): Promise<Authenticated> {
  const member = await prisma.member.findUnique({ where: { email: normalizeEmail(input.email) } });
  // Verify even when the email is unknown, so the answer takes as long either way.
  const valid = await verifyPassword(member?.passwordHash ?? null, input.password);
  if (!member || !valid || member.erasedAt) throw new InvalidCredentialsError();
  return { member, ...(await startLogin(prisma, member.id, context.clock.now())) };
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
