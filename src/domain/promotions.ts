import type { BookingStatus, OrderStatus } from '../generated/prisma/enums.js';
import { Issues } from './validation.js';

// Promo codes (003 §3.3, 004): entered before payment, applied to the order's price (tax
// included). Pure rules; redemption itself is a compare-and-swap in services/order/promotions.ts.

const PROMO_CODE = /^[A-Z0-9_-]{3,32}$/;

/** Codes are stored uppercase and typed in any case: " summer-10 " is SUMMER-10. */
export function normalizePromoCode(raw: string): string {
  return raw.trim().toUpperCase();
}

export interface Discount {
  percentOff: number | null;
  amountOffCents: number | null;
}

/**
 * What a code takes off a price: a percentage rounded to the nearest cent, or a fixed amount;
 * never more than the price itself (the total cannot go below zero).
 */
export function discountCents(priceCents: number, discount: Discount): number {
  const raw = discount.percentOff !== null ? Math.round((priceCents * discount.percentOff) / 100) : (discount.amountOffCents ?? 0);
  return Math.min(Math.max(raw, 0), priceCents);
}

/** Whether a code may be redeemed at `now` (the service checks the same in its UPDATE). */
export function isPromoCodeUsable(
  promo: { validFrom: Date | null; validUntil: Date | null; maxRedemptions: number | null; redemptionCount: number },
  now: Date,
): boolean {
  if (promo.validFrom && promo.validFrom.getTime() > now.getTime()) return false;
  if (promo.validUntil && promo.validUntil.getTime() <= now.getTime()) return false;
  return promo.maxRedemptions === null || promo.redemptionCount < promo.maxRedemptions;
}

export const MAX_AMOUNT_OFF_CENTS = 1_000_000;

/** Checks a new code: its shape, exactly one kind of discount, sensible limits and dates. */
export function checkPromoCode(
  input: {
    code: string;
    percentOff?: number | null;
    amountOffCents?: number | null;
    validFrom?: Date | null;
    validUntil?: Date | null;
    maxRedemptions?: number | null;
  },
  now: Date,
): void {
  const percent = input.percentOff ?? null;
  const amount = input.amountOffCents ?? null;
  const issues = new Issues()
    .when(!PROMO_CODE.test(normalizePromoCode(input.code)), 'code', 'validation.promoCodeFormat')
    .when((percent === null) === (amount === null), percent === null ? 'percentOff' : 'amountOffCents', 'validation.promoDiscountKind');
  if (percent !== null) issues.when(!Number.isInteger(percent) || percent < 1 || percent > 100, 'percentOff', 'validation.percentOff');
  if (amount !== null) {
    issues
      .when(!Number.isInteger(amount) || amount <= 0, 'amountOffCents', 'validation.positive')
      .when(amount > MAX_AMOUNT_OFF_CENTS, 'amountOffCents', 'validation.tooLarge', { max: MAX_AMOUNT_OFF_CENTS });
  }
  const max = input.maxRedemptions ?? null;
  if (max !== null) issues.when(!Number.isInteger(max) || max <= 0, 'maxRedemptions', 'validation.positive');
  if (input.validUntil) {
    issues.when(input.validUntil.getTime() <= now.getTime(), 'validUntil', 'validation.validUntilPast');
    if (input.validFrom) issues.when(input.validUntil.getTime() <= input.validFrom.getTime(), 'validUntil', 'validation.endBeforeStart');
  }
  issues.throwIfAny();
}

// ─── Discovery classes: once per client, for new clients only (003 §17, 004) ─────────────────

/** Statuses of a (non-discovery) order that mean the member bought something: paid in full or in part, even if refunded since. */
export const PURCHASED_ORDER_STATUSES = ['PARTIALLY_PAID', 'PAID', 'REFUNDED'] as const satisfies readonly OrderStatus[];

/** Booking statuses that are not a booking made: an online hold never paid (pay-per-session). */
export const UNMADE_BOOKING_STATUSES = ['EXPIRED'] as const satisfies readonly BookingStatus[];

export interface ClientHistory {
  /** The member already has a discovery order here that is not CANCELLED. */
  discoveryOrdered: boolean;
  /** A non-discovery order here in one of PURCHASED_ORDER_STATUSES. */
  purchased: boolean;
  /** A booking here (any status but UNMADE_BOOKING_STATUSES, cancelled ones included). */
  booked: boolean;
}

/**
 * Why a member may not buy a discovery class in an organisation, or null when they may: once per
 * client ever (ALREADY_USED), and only for a new client, one who never bought nor booked there
 * (004: "valable uniquement pour tous les nouveaux clients").
 */
export function discoveryRefusal(history: ClientHistory): 'ALREADY_USED' | 'NEW_CLIENTS_ONLY' | null {
  if (history.discoveryOrdered) return 'ALREADY_USED';
  if (history.purchased || history.booked) return 'NEW_CLIENTS_ONLY';
  return null;
}
