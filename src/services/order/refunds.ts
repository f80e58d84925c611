import type { Tx } from '../../db/transaction.js';
import { countedPayments } from '../../domain/orders.js';
import type { Order } from '../../generated/prisma/client.js';
import { logger } from '../../logger.js';
import { refundOnlinePayment } from './payments.js';

// Giving back what paid an order, to each payment's own method: desk payments are recorded as
// refunded (a credit note gets its amount back), online ones are refunded through Stripe after the
// caller's transaction commits (no network call under the order's lock). Shared by withdrawal and
// by the in-time cancellation of a paid session.

const ONLINE_METHODS = new Set(['CARD', 'SEPA_DEBIT']);

export interface OnlineRefund {
  paymentId: string;
  amountCents: number;
}

/**
 * Refunds, under the order's row lock held by the caller, the payments that paid its total (as
 * the invoice lists them). Returns what was refunded and the online parts to send after commit;
 * the caller updates the order itself.
 */
export async function refundOrderPayments(
  tx: Tx,
  order: Order,
  reason: string,
  now: Date,
): Promise<{ refundedCents: number; online: OnlineRefund[] }> {
  const online: OnlineRefund[] = [];
  let refundedCents = 0;
  // Only the payments that paid the total are refunded here (one the order did not need is
  // refunded on its own, see refundExcessPayment).
  const succeeded = await tx.payment.findMany({
    where: { orderId: order.id, status: 'SUCCEEDED' },
    orderBy: [{ succeededAt: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
  });
  for (const payment of countedPayments(succeeded, order.totalCents)) {
    const amountCents = payment.amountCents - payment.refundedCents;
    if (amountCents <= 0) continue;
    refundedCents += amountCents;
    if (ONLINE_METHODS.has(payment.method)) {
      online.push({ paymentId: payment.id, amountCents });
      continue;
    }
    await tx.refund.create({ data: { paymentId: payment.id, amountCents, status: 'SUCCEEDED', reason, createdAt: now } });
    await tx.payment.update({ where: { id: payment.id }, data: { refundedCents: payment.refundedCents + amountCents } });
    if (payment.creditNoteId) {
      // Paid with a credit note: the amount goes back onto it (lock order: order, then note).
      await tx.$queryRaw`SELECT 1 FROM "CreditNote" WHERE "id" = ${payment.creditNoteId}::uuid FOR UPDATE`;
      await tx.creditNote.update({ where: { id: payment.creditNoteId }, data: { remainingCents: { increment: amountCents } } });
    }
  }
  return { refundedCents, online };
}

/**
 * Sends the online parts through Stripe, after commit. What was decided stands if Stripe fails:
 * the FAILED refund row (refundOnlinePayment records it) shows staff what to do.
 */
export async function sendOnlineRefunds(orderId: string, online: OnlineRefund[], what: string): Promise<void> {
  for (const part of online) {
    try {
      await refundOnlinePayment(part.paymentId, part.amountCents);
    } catch (error) {
      logger.error({ orderId, paymentId: part.paymentId, err: error instanceof Error ? error.message : String(error) }, `${what}: Stripe refund failed`);
    }
  }
}
