import { describe, expect, it } from 'vitest';
import { checkPromoCode, discountCents, isPromoCodeUsable, normalizePromoCode } from '../../src/domain/promotions.js';
import { issuePairs } from './issues-of.js';

// Promo codes (003 §3.3, 004): applied before payment to a price that includes tax.

describe('discountCents', () => {
  it.each<[string, number, number | null, number | null, number]>([
    ['10 % of a 100 € pack', 10_000, 10, null, 1_000],
    ['15 % of 170 €', 17_000, 15, null, 2_550],
    ['a percentage rounds to the nearest cent (33 % of 10,01 € = 3,3033 €)', 1_001, 33, null, 330],
    ['half a cent rounds up (50 % of 0,01 €)', 1, 50, null, 1],
    ['100 % makes the order free', 10_000, 100, null, 10_000],
    ['a fixed 20 € off', 10_000, null, 2_000, 2_000],
    ['never more than the price: 20 € off a 15 € class', 1_500, null, 2_000, 1_500],
    ['nothing off a free offer', 0, 10, null, 0],
  ])('%s', (_name, price, percentOff, amountOffCents, expected) => {
    expect(discountCents(price, { percentOff, amountOffCents })).toBe(expected);
  });
});

describe('isPromoCodeUsable', () => {
  const now = new Date('2026-06-15T10:00:00Z');
  type Promo = Parameters<typeof isPromoCodeUsable>[0];
  const base: Promo = { validFrom: null, validUntil: null, maxRedemptions: null, redemptionCount: 0 };
  it.each<[string, Partial<Promo>, boolean]>([
    ['no window, no limit', {}, true],
    ['not yet valid', { validFrom: new Date('2026-06-15T10:00:01Z') }, false],
    ['valid from exactly now', { validFrom: now }, true],
    ['expired: validUntil is excluded', { validUntil: now }, false],
    ['still valid one second before the end', { validUntil: new Date('2026-06-15T10:00:01Z') }, true],
    ['2 of 3 used', { maxRedemptions: 3, redemptionCount: 2 }, true],
    ['used up', { maxRedemptions: 3, redemptionCount: 3 }, false],
  ])('%s', (_name, promo, usable) => {
    expect(isPromoCodeUsable({ ...base, ...promo }, now)).toBe(usable);
  });
});

describe('normalizePromoCode', () => {
  it('trims and uppercases: members type codes in any case', () => {
    expect(normalizePromoCode('  summer-10 ')).toBe('SUMMER-10');
  });
});

describe('checkPromoCode', () => {
  const now = new Date('2026-06-15T10:00:00Z');
  it('accepts a percentage or an amount, with limits and a window', () => {
    expect(() => checkPromoCode({ code: 'rentree', percentOff: 10 }, now)).not.toThrow();
    expect(() =>
      checkPromoCode({ code: 'VIP_2026', amountOffCents: 500, maxRedemptions: 3, validUntil: new Date('2026-09-01T00:00:00Z') }, now),
    ).not.toThrow();
  });
  it.each<[string, Parameters<typeof checkPromoCode>[0], [string, string][]]>([
    ['neither kind of discount', { code: 'ABC' }, [['percentOff', 'validation.promoDiscountKind']]],
    ['both kinds', { code: 'ABC', percentOff: 10, amountOffCents: 100 }, [['amountOffCents', 'validation.promoDiscountKind']]],
    ['a percentage above 100', { code: 'ABC', percentOff: 101 }, [['percentOff', 'validation.percentOff']]],
    ['a zero amount', { code: 'ABC', amountOffCents: 0 }, [['amountOffCents', 'validation.positive']]],
    ['a code too short, with spaces', { code: 'a b', percentOff: 5 }, [['code', 'validation.promoCodeFormat']]],
    ['zero uses', { code: 'ABC', percentOff: 5, maxRedemptions: 0 }, [['maxRedemptions', 'validation.positive']]],
    ['already expired', { code: 'ABC', percentOff: 5, validUntil: now }, [['validUntil', 'validation.validUntilPast']]],
    [
      'ending before it starts',
      { code: 'ABC', percentOff: 5, validFrom: new Date('2026-08-01T00:00:00Z'), validUntil: new Date('2026-07-01T00:00:00Z') },
      [['validUntil', 'validation.endBeforeStart']],
    ],
  ])('refuses %s', (_name, input, expected) => {
    expect(issuePairs(() => checkPromoCode(input, now))).toEqual(expected);
  });
});
