import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { ExtensionNotAllowedError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { addLocalDays } from '../../domain/time.js';
import { MAX_NOTE_LENGTH } from '../../domain/input-limits.js';
import type { DueJob, Entitlement } from '../../generated/prisma/client.js';
import { requireStaff } from '../access.js';
import { appendEntry, lockEntitlement, scheduleExpiry } from './ledger.js';

/**
 * An ENTITLEMENT_EXPIRY job: at the end of validity the remaining credits expire (003 §9.2, 004:
 * unused credits are not refunded). A lot whose validity was extended since is left alone; its
 * extension scheduled a job of its own.
 */
export async function expireEntitlement(tx: Tx, job: DueJob, now: Date): Promise<void> {
  const { entitlementId } = job.payload as { entitlementId: string };
  const lot = await lockEntitlement(tx, entitlementId);
  if (!lot || lot.status !== 'ACTIVE' || lot.validUntil.getTime() > now.getTime()) return;
  if (lot.creditsRemaining > 0) {
    await appendEntry(tx, {
      entitlementId: lot.id,
      delta: -lot.creditsRemaining,
      reason: 'EXPIRE',
      note: 'End of validity.',
      dedupeKey: `expire:${lot.id}:${lot.validUntil.toISOString()}`,
      createdAt: now,
    });
  }
  await tx.entitlement.update({ where: { id: lot.id }, data: { status: 'EXPIRED' } });
}

export const MAX_EXTENSION_DAYS = 366;

/**
 * Staff extend a pack or subscription period (003 §9.2, 004: pool closure, or a medical inability
 * of more than a month requested before the end of validity), with the reason recorded.
 */
export async function extendValidity(
  context: Context,
  input: { entitlementId: string; days: number; reason: string },
): Promise<Entitlement> {
  const existing = await prisma.entitlement.findUnique({ where: { id: input.entitlementId }, select: { organizationId: true } });
  if (!existing) throw new NotFoundError('entity.entitlement', ['entitlementId']);
  const staffId = await requireStaff(context, existing.organizationId);
  const reason = input.reason.trim();
  const issues: ConstructorParameters<typeof ValidationError>[0][number][] = [];
  if (!reason) issues.push({ field: ['reason'], messageKey: 'validation.reasonRequired' });
  if (reason.length > 500) issues.push({ field: ['reason'], messageKey: 'validation.tooLong', params: { max: 500 } });
  if (!Number.isInteger(input.days) || input.days <= 0) issues.push({ field: ['days'], messageKey: 'validation.positive' });
  if (input.days > MAX_EXTENSION_DAYS) issues.push({ field: ['days'], messageKey: 'validation.tooLarge', params: { max: MAX_EXTENSION_DAYS } });
  const [first, ...rest] = issues;
  if (first) throw new ValidationError([first, ...rest]);

  const now = context.clock.now();
  return transaction(async (tx) => {
    const lot = (await lockEntitlement(tx, input.entitlementId))!;
    if (lot.status !== 'ACTIVE' || lot.validUntil.getTime() <= now.getTime()) throw new ExtensionNotAllowedError();
    const organization = await tx.organization.findUniqueOrThrow({ where: { id: lot.organizationId }, select: { timeZone: true } });
    return extendLockedLot(tx, lot, { days: input.days, reason, actorId: staffId, timeZone: organization.timeZone, now });
  });
}

/**
 * Moves the end of a locked, valid lot `days` local days later, recording the extension with its
 * reason (and the venue closure that granted it, if one did), and schedules its expiry there.
 * Shared by `extendValidity` and `closeVenue`.
 */
export async function extendLockedLot(
  tx: Tx,
  lot: Entitlement,
  { days, reason, actorId, timeZone, now, venueClosureId = null }: {
    days: number;
    reason: string;
    actorId: string | null;
    timeZone: string;
    now: Date;
    venueClosureId?: string | null;
  },
): Promise<Entitlement> {
  const validUntil = addLocalDays(lot.validUntil, days, timeZone);
  await tx.validityExtension.create({
    data: { entitlementId: lot.id, previousValidUntil: lot.validUntil, newValidUntil: validUntil, reason, actorId, venueClosureId, createdAt: now },
  });
  const extended = await tx.entitlement.update({ where: { id: lot.id }, data: { validUntil } });
  await scheduleExpiry(tx, extended);
  return extended;
}

/** Staff correct a balance by hand (ADJUSTMENT), with a note saying why. */
export async function adjustCredits(
  context: Context,
  input: { entitlementId: string; delta: number; note: string },
): Promise<Entitlement> {
  const existing = await prisma.entitlement.findUnique({ where: { id: input.entitlementId }, select: { organizationId: true } });
  if (!existing) throw new NotFoundError('entity.entitlement', ['entitlementId']);
  const staffId = await requireStaff(context, existing.organizationId);
  const note = input.note.trim();
  if (!note) throw new ValidationError([{ field: ['note'], messageKey: 'validation.reasonRequired' }]);
  if (note.length > MAX_NOTE_LENGTH) throw new ValidationError([{ field: ['note'], messageKey: 'validation.tooLong', params: { max: MAX_NOTE_LENGTH } }]);
  if (!Number.isInteger(input.delta) || input.delta === 0 || Math.abs(input.delta) > 1000) {
    throw new ValidationError([{ field: ['delta'], messageKey: 'validation.adjustment' }]);
  }
  const now = context.clock.now();
  return transaction(async (tx) => {
    const lot = (await lockEntitlement(tx, input.entitlementId))!;
    if (lot.status !== 'ACTIVE' || lot.validUntil.getTime() <= now.getTime()) {
      throw new ValidationError([{ field: ['entitlementId'], messageKey: 'validation.entitlementExpired' }]);
    }
    if (lot.creditsRemaining + input.delta < 0) {
      throw new ValidationError([{ field: ['delta'], messageKey: 'validation.adjustmentBelowZero', params: { balance: lot.creditsRemaining } }]);
    }
    await appendEntry(tx, { entitlementId: lot.id, delta: input.delta, reason: 'ADJUSTMENT', note, actorId: staffId, createdAt: now });
    return tx.entitlement.findUniqueOrThrow({ where: { id: lot.id } });
  });
}
