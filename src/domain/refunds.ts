import type { OrderStatus, PaymentMethod } from '../generated/prisma/enums.js';

// Staff corrections of a paid order (SPEC §11, issue 12; 004: a price shown in error, a promotional
// purchase compensated only by a credit note). Pure rules: what may be refunded, how many credits
// go with it, and which payments give the money back.

export type RefundAs = 'ORIGINAL_METHOD' | 'CREDIT_NOTE';

export interface RefundableOrder {
  status: OrderStatus;
  totalCents: number;
  /** What was paid minus what was already refunded (the order's `paidCents`). */
  paidCents: number;
  /** Bought with a promo code (004: then only a credit note compensates it). */
  promotional: boolean;
  /** Credits the order granted (0 for an order that grants none, such as a paid session). */
  grantedCredits: number;
  /** Of those, the ones still unused and usable now. */
  unusedCredits: number;
  /** Credits already taken back by earlier refunds of this order. */
  creditsTakenBack: number;
}

export type RefundDecision =
  | { ok: true; creditsToTakeBack: number }
  | { ok: false; reason: 'NOT_REFUNDABLE' | 'NOT_POSITIVE' | 'PROMOTIONAL' }
  | { ok: false; reason: 'EXCEEDS_PAID' | 'EXCEEDS_UNUSED'; maxCents: number };

/**
 * Whether `amountCents` of a paid order may be refunded now, and how many of its credits go with
 * it. Credits are valued at the order's price each (total ÷ credits granted); what was refunded
 * in all, this refund included, takes back the credits it pays for, rounded up, so that two half
 * refunds take back what one whole refund would. Used credits cannot be taken back: the refund is
 * then limited to what the unused ones are worth.
 */
export function refundDecision(order: RefundableOrder, amountCents: number, as: RefundAs): RefundDecision {
  if (order.status !== 'PAID' || order.paidCents <= 0) return { ok: false, reason: 'NOT_REFUNDABLE' };
  if (!Number.isInteger(amountCents) || amountCents <= 0) return { ok: false, reason: 'NOT_POSITIVE' };
  if (order.promotional && as !== 'CREDIT_NOTE') return { ok: false, reason: 'PROMOTIONAL' };
  const refundedBefore = order.totalCents - order.paidCents;
  let maxCents = order.paidCents;
  if (order.grantedCredits > 0 && order.totalCents > 0) {
    const worthOfTakeable = Math.floor(((order.creditsTakenBack + order.unusedCredits) * order.totalCents) / order.grantedCredits);
    const byCredits = Math.max(0, worthOfTakeable - refundedBefore);
    if (byCredits < maxCents && amountCents > byCredits) return { ok: false, reason: 'EXCEEDS_UNUSED', maxCents: byCredits };
    maxCents = Math.min(maxCents, byCredits);
  }
  if (amountCents > maxCents) return { ok: false, reason: 'EXCEEDS_PAID', maxCents };
  return { ok: true, creditsToTakeBack: creditsFor(order, refundedBefore + amountCents) };
}

function creditsFor(order: RefundableOrder, refundedCents: number): number {
  if (order.grantedCredits <= 0 || order.totalCents <= 0) return 0;
  const owed = Math.ceil((refundedCents * order.grantedCredits) / order.totalCents);
  return Math.min(order.unusedCredits, Math.max(0, owed - order.creditsTakenBack));
}

export interface RefundablePayment {
  id: string;
  method: PaymentMethod;
  amountCents: number;
  refundedCents: number;
}

/**
 * Which payments give `amountCents` back, and how much each: the latest first (what was paid last
 * is given back first), each at most what is left of it. `payments` are the ones that paid the
 * order, oldest first.
 */
export function allocateRefund<P extends RefundablePayment>(payments: P[], amountCents: number): { payment: P; amountCents: number }[] {
  const parts: { payment: P; amountCents: number }[] = [];
  let left = amountCents;
  for (const payment of [...payments].reverse()) {
    if (left <= 0) break;
    const available = payment.amountCents - payment.refundedCents;
    if (available <= 0) continue;
    const part = Math.min(available, left);
    parts.push({ payment, amountCents: part });
    left -= part;
  }
  if (left > 0) throw new Error(`the payments cannot give back ${amountCents} cents`);
  return parts;
}

/** Methods whose money goes back through Stripe. */
export const ONLINE_PAYMENT_METHODS: readonly PaymentMethod[] = ['CARD', 'SEPA_DEBIT'];
