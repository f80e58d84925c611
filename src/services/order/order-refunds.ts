import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import {
  NotFoundError,
  OnlinePaymentUnavailableError,
  OrderNotRefundableError,
  RefundCreditNoteOnlyError,
  RefundExceedsRefundableError,
  ValidationError,
} from '../../domain/errors.js';
import { MAX_NOTE_LENGTH, MAX_REFUND_CENTS } from '../../domain/input-limits.js';
import { countedPayments, formatMoney } from '../../domain/orders.js';
import { allocateRefund, ONLINE_PAYMENT_METHODS, refundDecision, type RefundAs } from '../../domain/refunds.js';
import { addLocalDays } from '../../domain/time.js';
import { Issues } from '../../domain/validation.js';
import type { Entitlement, Order, Payment } from '../../generated/prisma/client.js';
import { requireStaff } from '../access.js';
import { appendEntry, lockEntitlements } from '../credit/ledger.js';
import { notifyMember } from '../notifications.js';
import { emitEvent, orderEvent } from '../integration/webhook-events.js';
import { lockOrder } from './orders.js';
import { sendReservedRefund } from './payments.js';

// Staff correct a paid order (SPEC §11, issue 12; 004): they refund part or all of it, to the
// methods that paid it or as a credit note. The rules are pure (domain/refunds.ts); this is one
// transaction under the order's row lock, then its lots', then its payments' and credit notes'
// (the order withdrawal and payments take them in), so that refunds racing each other or a
// withdrawal never give back more than was paid. Online parts are sent to Stripe after commit.

export async function refundOrder(
  context: Context,
  input: { orderId: string; amountCents: number; as: RefundAs; reason: string },
): Promise<Order> {
  const existing = await prisma.order.findUnique({ where: { id: input.orderId }, select: { organizationId: true } });
  if (!existing) throw new NotFoundError('entity.order', ['orderId']);
  const staffId = await requireStaff(context, existing.organizationId);
  const reason = input.reason.trim();
  new Issues()
    .text('reason', reason, { max: MAX_NOTE_LENGTH })
    .when(!Number.isInteger(input.amountCents) || input.amountCents <= 0, 'amountCents', 'validation.positive')
    .when(input.amountCents > MAX_REFUND_CENTS, 'amountCents', 'validation.tooLarge', { max: MAX_REFUND_CENTS })
    .throwIfAny();
  const now = context.clock.now();
  const online: string[] = [];
  const refunded = await transaction(async (tx) => {
    online.length = 0;
    const order = await lockOrder(tx, input.orderId);
    const lots = await lockEntitlements(tx, await orderLotIds(tx, order));
    const lotIds = lots.map((lot) => lot.id);
    // One after the other: a transaction's statements share one connection.
    const granted = await ledgerSum(tx, lotIds, 'GRANT');
    const takenBack = await ledgerSum(tx, lotIds, 'REFUND');
    const usable = lots.filter((lot) => lot.status === 'ACTIVE' && lot.validUntil.getTime() > now.getTime());
    const decision = refundDecision(
      {
        status: order.status,
        totalCents: order.totalCents,
        paidCents: order.paidCents,
        promotional: order.promoCodeId !== null,
        grantedCredits: granted,
        unusedCredits: usable.reduce((sum, lot) => sum + lot.creditsRemaining, 0),
        creditsTakenBack: -takenBack,
      },
      input.amountCents,
      input.as,
    );
    if (!decision.ok) {
      switch (decision.reason) {
        case 'NOT_REFUNDABLE':
          throw new OrderNotRefundableError();
        case 'PROMOTIONAL':
          throw new RefundCreditNoteOnlyError();
        case 'NOT_POSITIVE':
          throw new ValidationError([{ field: ['amountCents'], messageKey: 'validation.positive' }]);
        default:
          throw new RefundExceedsRefundableError(decision.reason === 'EXCEEDS_PAID' ? 'paid' : 'unused', decision.maxCents, order.currency, {
            max: formatMoney(decision.maxCents, order.currency, context.locale),
          });
      }
    }

    await takeBackCredits(tx, usable, decision.creditsToTakeBack, { orderId: order.id, staffId, reason, now });

    const payments = await tx.$queryRaw<Payment[]>`
      SELECT * FROM "Payment" WHERE "orderId" = ${order.id}::uuid AND "status" = 'SUCCEEDED'
       ORDER BY "succeededAt" ASC, "createdAt" ASC, "id" ASC FOR UPDATE`;
    const parts = allocateRefund(countedPayments(payments, order.totalCents), input.amountCents);
    const organization = await tx.organization.findUniqueOrThrow({
      where: { id: order.organizationId },
      select: { creditNoteValidityDays: true, timeZone: true },
    });
    const creditNote =
      input.as === 'CREDIT_NOTE' ? await issueRefundCreditNote(tx, order, organization, { amountCents: input.amountCents, reason, staffId, now }) : null;
    if (!creditNote && parts.some((part) => ONLINE_PAYMENT_METHODS.includes(part.payment.method)) && !context.stripe) {
      throw new OnlinePaymentUnavailableError();
    }
    const refundIds: string[] = [];
    for (const part of parts) {
      const toStripe = !creditNote && ONLINE_PAYMENT_METHODS.includes(part.payment.method);
      // Compare-and-swap on top of the row lock: a payment never gives back more than it took.
      const reserved = await tx.$executeRaw`
        UPDATE "Payment" SET "refundedCents" = "refundedCents" + ${part.amountCents}
         WHERE "id" = ${part.payment.id}::uuid AND "refundedCents" + ${part.amountCents} <= "amountCents"`;
      if (reserved !== 1) throw new Error(`payment ${part.payment.id} cannot give back ${part.amountCents}`);
      const row = await tx.refund.create({
        data: {
          paymentId: part.payment.id,
          amountCents: part.amountCents,
          status: toStripe ? 'PENDING' : 'SUCCEEDED',
          reason,
          creditNoteId: creditNote?.id ?? null,
          refundedById: staffId,
          createdAt: now,
        },
      });
      refundIds.push(row.id);
      if (toStripe) online.push(row.id);
      else if (!creditNote && part.payment.creditNoteId) {
        // Paid with a credit note and refunded to it: the amount goes back onto that note.
        await tx.$queryRaw`SELECT 1 FROM "CreditNote" WHERE "id" = ${part.payment.creditNoteId}::uuid FOR UPDATE`;
        await tx.creditNote.update({ where: { id: part.payment.creditNoteId }, data: { remainingCents: { increment: part.amountCents } } });
      }
    }

    const paidCents = order.paidCents - input.amountCents;
    const updated = await tx.order.update({
      where: { id: order.id },
      data: { paidCents, ...(paidCents === 0 ? { status: 'REFUNDED' as const, refundedAt: now } : {}) },
    });
    await notifyMember(tx, order.memberId, {
      organizationId: order.organizationId,
      template: 'order-refunded',
      payload: {
        orderId: order.id,
        invoiceNumber: order.invoiceNumber,
        amountCents: input.amountCents,
        currency: order.currency,
        as: input.as,
        reason,
        creditsTakenBack: decision.creditsToTakeBack,
        creditNoteExpiresAt: creditNote?.expiresAt.toISOString() ?? null,
        timeZone: organization.timeZone,
        methods: [...new Set(parts.map((part) => part.payment.method))],
      },
      // One email per refund (two refunds of one order are two emails).
      dedupeKey: `order-refunded:${refundIds[0]}`,
      at: now,
    });
    await emitEvent(tx, orderEvent('order.refunded', updated, now, refundIds[0]));
    return updated;
  });
  for (const refundId of online) await sendReservedRefund(refundId);
  return prisma.order.findUniqueOrThrow({ where: { id: refunded.id } });
}

/**
 * The lots an order granted: a pack's, or a subscription period's, and the lots their credits
 * were carried into at later period boundaries (rollover).
 */
async function orderLotIds(tx: Tx, order: Order): Promise<string[]> {
  const direct = await tx.entitlement.findMany({ where: { orderId: order.id }, select: { id: true } });
  const ids = direct.map((lot) => lot.id);
  let frontier = ids;
  while (frontier.length > 0) {
    const carried = await tx.entitlement.findMany({ where: { carriedFromId: { in: frontier } }, select: { id: true } });
    frontier = carried.map((lot) => lot.id).filter((id) => !ids.includes(id));
    ids.push(...frontier);
  }
  return ids;
}

async function ledgerSum(tx: Tx, lotIds: string[], reason: 'GRANT' | 'REFUND'): Promise<number> {
  if (lotIds.length === 0) return 0;
  const sum = await tx.creditLedgerEntry.aggregate({ where: { entitlementId: { in: lotIds }, reason }, _sum: { delta: true } });
  return sum._sum.delta ?? 0;
}

/** Takes `count` unused credits back (REFUND entries), from the lots that expire last first. */
async function takeBackCredits(
  tx: Tx,
  usable: Entitlement[],
  count: number,
  by: { orderId: string; staffId: string; reason: string; now: Date },
): Promise<void> {
  let left = count;
  const lastFirst = [...usable].sort((a, b) => b.validUntil.getTime() - a.validUntil.getTime() || (a.id < b.id ? 1 : -1));
  for (const lot of lastFirst) {
    if (left <= 0) break;
    const take = Math.min(lot.creditsRemaining, left);
    if (take <= 0) continue;
    await appendEntry(tx, {
      entitlementId: lot.id,
      delta: -take,
      reason: 'REFUND',
      actorId: by.staffId,
      note: `Refund: ${by.reason}`.slice(0, 500),
      createdAt: by.now,
    });
    left -= take;
  }
  if (left > 0) throw new Error(`order ${by.orderId}: ${left} credits could not be taken back`);
}

/** The credit note a refund is given as: the order's member's, valid for the organisation's credit-note validity. */
async function issueRefundCreditNote(
  tx: Tx,
  order: Order,
  organization: { creditNoteValidityDays: number; timeZone: string },
  note: { amountCents: number; reason: string; staffId: string; now: Date },
) {
  return tx.creditNote.create({
    data: {
      organizationId: order.organizationId,
      memberId: order.memberId,
      amountCents: note.amountCents,
      remainingCents: note.amountCents,
      reason: note.reason,
      issuedById: note.staffId,
      issuedAt: note.now,
      expiresAt: addLocalDays(note.now, organization.creditNoteValidityDays, organization.timeZone),
    },
  });
}
