import { describe, expect, it } from 'vitest';
import { allocateRefund, refundDecision, type RefundableOrder } from '../../src/domain/refunds.js';

// Staff refunds of a paid order (issue 12; 004): what may be refunded, how many credits go back.

/** A pack of 10 credits for 100 €, paid, nothing used or refunded. */
const pack: RefundableOrder = {
  status: 'PAID',
  totalCents: 10_000,
  paidCents: 10_000,
  promotional: false,
  grantedCredits: 10,
  unusedCredits: 10,
  creditsTakenBack: 0,
};

describe('refundDecision', () => {
  it.each([
    ['all of an unused pack: every credit back', pack, 10_000, { ok: true, creditsToTakeBack: 10 }],
    ['a tenth: one credit', pack, 1_000, { ok: true, creditsToTakeBack: 1 }],
    ['a price shown in error, 1 € too much: one credit (rounded up)', pack, 100, { ok: true, creditsToTakeBack: 1 }],
    ['more than was paid', pack, 10_001, { ok: false, reason: 'EXCEEDS_PAID', maxCents: 10_000 }],
    ['4 credits used: only the 6 unused are refundable', { ...pack, unusedCredits: 6 }, 6_001, { ok: false, reason: 'EXCEEDS_UNUSED', maxCents: 6_000 }],
    ['4 credits used: the unused part exactly', { ...pack, unusedCredits: 6 }, 6_000, { ok: true, creditsToTakeBack: 6 }],
    // 25 € refunded before took 3 credits (rounded up): 25 € more makes 50 €, 5 credits in all, 2 more.
    ['a second half after a first', { ...pack, paidCents: 7_500, unusedCredits: 7, creditsTakenBack: 3 }, 2_500, { ok: true, creditsToTakeBack: 2 }],
    ['what is left after a partial refund', { ...pack, paidCents: 7_500, unusedCredits: 7, creditsTakenBack: 3 }, 7_501, { ok: false, reason: 'EXCEEDS_PAID', maxCents: 7_500 }],
    ['every credit used: nothing refundable', { ...pack, unusedCredits: 0 }, 1, { ok: false, reason: 'EXCEEDS_UNUSED', maxCents: 0 }],
    ['an order that grants no credit (a paid session): bounded by what was paid', { ...pack, grantedCredits: 0, unusedCredits: 0 }, 10_000, { ok: true, creditsToTakeBack: 0 }],
    ['not paid yet', { ...pack, status: 'PARTIALLY_PAID' as const, paidCents: 5_000 }, 1_000, { ok: false, reason: 'NOT_REFUNDABLE' }],
    ['already refunded in full', { ...pack, status: 'REFUNDED' as const, paidCents: 0 }, 1_000, { ok: false, reason: 'NOT_REFUNDABLE' }],
    ['zero', pack, 0, { ok: false, reason: 'NOT_POSITIVE' }],
    ['negative', pack, -5, { ok: false, reason: 'NOT_POSITIVE' }],
  ] as const)('%s', (_name, order, amount, expected) => {
    expect(refundDecision(order, amount, 'ORIGINAL_METHOD')).toEqual(expected);
  });

  it('004: a promotional purchase is compensated only by a credit note, of up to what was paid', () => {
    const promo = { ...pack, totalCents: 8_000, paidCents: 8_000, promotional: true };
    expect(refundDecision(promo, 8_000, 'ORIGINAL_METHOD')).toEqual({ ok: false, reason: 'PROMOTIONAL' });
    expect(refundDecision(promo, 8_000, 'CREDIT_NOTE')).toEqual({ ok: true, creditsToTakeBack: 10 });
    expect(refundDecision(promo, 8_001, 'CREDIT_NOTE')).toEqual({ ok: false, reason: 'EXCEEDS_PAID', maxCents: 8_000 });
  });

  it('refunding in pieces never takes back more credits than refunding at once', () => {
    const odd = { ...pack, totalCents: 9_900, paidCents: 9_900, grantedCredits: 7, unusedCredits: 7 };
    let state = odd;
    for (let i = 0; i < 9; i++) {
      const decision = refundDecision(state, 1_100, 'CREDIT_NOTE');
      if (!decision.ok) throw new Error(`refused at ${i}`);
      const refunded = odd.totalCents - state.paidCents + 1_100;
      expect(state.creditsTakenBack + decision.creditsToTakeBack).toBe(Math.min(7, Math.ceil((refunded * 7) / 9_900)));
      state = {
        ...state,
        paidCents: state.paidCents - 1_100,
        unusedCredits: state.unusedCredits - decision.creditsToTakeBack,
        creditsTakenBack: state.creditsTakenBack + decision.creditsToTakeBack,
      };
    }
    expect(state).toMatchObject({ paidCents: 0, unusedCredits: 0, creditsTakenBack: 7 });
  });
});

describe('allocateRefund', () => {
  const cash = { id: 'cash', method: 'CASH' as const, amountCents: 7_000, refundedCents: 0 };
  const card = { id: 'card', method: 'CARD' as const, amountCents: 10_000, refundedCents: 0 };

  it('gives back the latest payment first, then the earlier ones', () => {
    expect(allocateRefund([cash, card], 4_000).map((p) => [p.payment.id, p.amountCents])).toEqual([['card', 4_000]]);
    expect(allocateRefund([cash, card], 12_000).map((p) => [p.payment.id, p.amountCents])).toEqual([
      ['card', 10_000],
      ['cash', 2_000],
    ]);
  });

  it('skips what was already given back of a payment', () => {
    expect(allocateRefund([cash, { ...card, refundedCents: 9_000 }], 3_000).map((p) => [p.payment.id, p.amountCents])).toEqual([
      ['card', 1_000],
      ['cash', 2_000],
    ]);
  });

  it('refuses to give back more than the payments hold', () => {
    expect(() => allocateRefund([cash], 7_001)).toThrow();
  });
});
