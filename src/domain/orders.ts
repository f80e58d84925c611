import type { OrderStatus } from '../generated/prisma/enums.js';

// Order arithmetic of SPEC §7: amounts are integer cents, prices include tax.

/** Statuses in which an order still accepts payments. */
export const PAYABLE_STATUSES: OrderStatus[] = ['PENDING', 'PARTIALLY_PAID'];

export function amountDue(order: { totalCents: number; paidCents: number }): number {
  return Math.max(0, order.totalCents - order.paidCents);
}

/** The status an order reaches once `paidCents` of its total is paid (hybrid payment, 001). */
export function statusAfterPayment(order: { totalCents: number; paidCents: number }): OrderStatus {
  if (order.paidCents >= order.totalCents) return 'PAID';
  return order.paidCents > 0 ? 'PARTIALLY_PAID' : 'PENDING';
}

export type PaymentCheck = { ok: true } | { ok: false; reason: 'NOT_PAYABLE' | 'EXCEEDS_BALANCE' | 'NOT_POSITIVE' };

/** Whether a payment of `amountCents` may be recorded against an order now. */
export function checkPayment(order: { status: OrderStatus; totalCents: number; paidCents: number }, amountCents: number): PaymentCheck {
  if (!PAYABLE_STATUSES.includes(order.status)) return { ok: false, reason: 'NOT_PAYABLE' };
  if (!Number.isInteger(amountCents) || amountCents <= 0) return { ok: false, reason: 'NOT_POSITIVE' };
  if (amountCents > amountDue(order)) return { ok: false, reason: 'EXCEEDS_BALANCE' };
  return { ok: true };
}

/** "12,50 €" / "€12.50": money as members read it in their language. */
export function formatMoney(amountCents: number, currency: string, locale: 'fr' | 'en'): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency }).format(amountCents / 100);
}

/**
 * The payments that paid an order's total, in the order they succeeded: each counts whole, and
 * one arriving once the total is covered (a card that went through after the order was paid or
 * cancelled) is not part of it: it is refunded on its own, never invoiced or withdrawn.
 */
export function countedPayments<P extends { amountCents: number }>(succeeded: P[], totalCents: number): P[] {
  let paid = 0;
  return succeeded.filter((payment) => {
    if (paid + payment.amountCents > totalCents) return false;
    paid += payment.amountCents;
    return true;
  });
}
