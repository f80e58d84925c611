import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { ConflictError, NotFoundError, PromoCodeInvalidError } from '../../domain/errors.js';
import { checkPromoCode, normalizePromoCode } from '../../domain/promotions.js';
import type { PromoCode } from '../../generated/prisma/client.js';
import { requireStaff } from '../access.js';
import { insertUnique } from '../errors.js';

// Promo codes (003 §3.3): staff create them; a purchase redeems one before payment.

export async function createPromoCode(
  context: Context,
  input: {
    organizationId: string;
    code: string;
    percentOff?: number | null;
    amountOffCents?: number | null;
    validFrom?: Date | null;
    validUntil?: Date | null;
    maxRedemptions?: number | null;
  },
): Promise<PromoCode> {
  const organization = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!organization) throw new NotFoundError('entity.organization', ['organizationId']);
  await requireStaff(context, organization.id);
  checkPromoCode(input, context.clock.now());
  return insertUnique(
    () =>
      prisma.promoCode.create({
        data: {
          organizationId: organization.id,
          code: normalizePromoCode(input.code),
          percentOff: input.percentOff ?? null,
          amountOffCents: input.amountOffCents ?? null,
          validFrom: input.validFrom ?? null,
          validUntil: input.validUntil ?? null,
          maxRedemptions: input.maxRedemptions ?? null,
          createdAt: context.clock.now(),
        },
      }),
    () => new ConflictError(['code'], 'validation.promoCodeTaken'),
  );
}

/**
 * Counts one redemption of a code in the caller's transaction and returns the code. The
 * compare-and-swap decides under the row lock: of parallel purchases racing for the last uses,
 * exactly as many as remain succeed, and a rolled-back purchase gives its use back. Unknown, not
 * yet valid, expired or used up: PromoCodeInvalidError.
 */
export async function redeemPromoCode(tx: Tx, organizationId: string, rawCode: string, now: Date): Promise<PromoCode> {
  const [promo] = await tx.$queryRaw<PromoCode[]>`
    UPDATE "PromoCode" SET "redemptionCount" = "redemptionCount" + 1
     WHERE "organizationId" = ${organizationId}::uuid AND "code" = ${normalizePromoCode(rawCode)}
       AND ("validFrom" IS NULL OR "validFrom" <= ${now})
       AND ("validUntil" IS NULL OR "validUntil" > ${now})
       AND ("maxRedemptions" IS NULL OR "redemptionCount" < "maxRedemptions")
    RETURNING *`;
  if (!promo) throw new PromoCodeInvalidError();
  return promo;
}
