import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '../../src/generated/prisma/enums.js';
import { amountDue, checkPayment, countedPayments, formatMoney, type PaymentCheck, statusAfterPayment } from '../../src/domain/orders.js';

// Order arithmetic of SPEC §7 (integer cents, prices include tax) and 001's hybrid payment.

describe('amountDue', () => {
  it.each<[string, number, number, number]>([
    ['001: a 170 € membership, nothing paid yet', 17_000, 0, 17_000],
    ['001: 70 € paid at the desk leaves 100 € to pay online', 17_000, 7_000, 10_000],
    ['001: 170 € paid in full leaves nothing', 17_000, 17_000, 0],
    ['SPEC §7: an overpaid order never shows a negative amount due', 17_000, 17_001, 0],
    ['SPEC §7: one cent left', 1_250, 1_249, 1],
  ])('%s', (_name, totalCents, paidCents, due) => {
    expect(amountDue({ totalCents, paidCents })).toBe(due);
  });
});

describe('statusAfterPayment', () => {
  it.each<[string, number, number, OrderStatus]>([
    ['001: nothing paid → PENDING', 17_000, 0, 'PENDING'],
    ['001: 70 € of 170 € paid at the desk → PARTIALLY_PAID', 17_000, 7_000, 'PARTIALLY_PAID'],
    ['001: one cent short of the total → PARTIALLY_PAID', 17_000, 16_999, 'PARTIALLY_PAID'],
    ['001: 70 € at the desk + 100 € online cover the total → PAID', 17_000, 17_000, 'PAID'],
    ['SPEC §7: a free order (0 €) is PAID at once', 0, 0, 'PAID'],
  ])('%s', (_name, totalCents, paidCents, status) => {
    expect(statusAfterPayment({ totalCents, paidCents })).toBe(status);
  });
});

describe('checkPayment', () => {
  it('001: hybrid payment of a 170 € order, 70 € at the desk then 100 € online', () => {
    let order = { status: 'PENDING' as OrderStatus, totalCents: 17_000, paidCents: 0 };
    const pay = (amountCents: number) => {
      const check = checkPayment(order, amountCents);
      if (check.ok) {
        const paidCents = order.paidCents + amountCents;
        order = { ...order, paidCents, status: statusAfterPayment({ totalCents: order.totalCents, paidCents }) };
      }
      return check;
    };

    expect(pay(7_000)).toEqual({ ok: true });
    expect(order.status).toBe('PARTIALLY_PAID');
    expect(amountDue(order)).toBe(10_000);

    expect(pay(10_001)).toEqual({ ok: false, reason: 'EXCEEDS_BALANCE' });
    expect(order.paidCents).toBe(7_000);

    expect(pay(10_000)).toEqual({ ok: true });
    expect(order.status).toBe('PAID');
    expect(amountDue(order)).toBe(0);

    expect(pay(1)).toEqual({ ok: false, reason: 'NOT_PAYABLE' });
    expect(order.paidCents).toBe(17_000);
  });

  it.each<[string, OrderStatus, number, number, PaymentCheck]>([
    ['001: the whole 170 € online on a pending order', 'PENDING', 0, 17_000, { ok: true }],
    ['001: 70 € at the desk on a pending order', 'PENDING', 0, 7_000, { ok: true }],
    ['001: the remaining 100 € on a partially paid order', 'PARTIALLY_PAID', 7_000, 10_000, { ok: true }],
    ['001: part of the remainder (50 €) on a partially paid order', 'PARTIALLY_PAID', 7_000, 5_000, { ok: true }],
    ['001: 1 cent more than the 100 € due', 'PARTIALLY_PAID', 7_000, 10_001, { ok: false, reason: 'EXCEEDS_BALANCE' }],
    ['001: 1 cent more than the 170 € total on a pending order', 'PENDING', 0, 17_001, { ok: false, reason: 'EXCEEDS_BALANCE' }],
    ['001: paying an order already PAID', 'PAID', 17_000, 100, { ok: false, reason: 'NOT_PAYABLE' }],
    ['001: paying before staff verified the registration (payment not unlocked)', 'AWAITING_REVIEW', 0, 17_000, { ok: false, reason: 'NOT_PAYABLE' }],
    ['003 §11: paying a refunded order', 'REFUNDED', 0, 17_000, { ok: false, reason: 'NOT_PAYABLE' }],
    ['SPEC §7: paying a cancelled order', 'CANCELLED', 0, 17_000, { ok: false, reason: 'NOT_PAYABLE' }],
    ['SPEC §7: a zero payment', 'PENDING', 0, 0, { ok: false, reason: 'NOT_POSITIVE' }],
    ['SPEC §7: a negative payment', 'PARTIALLY_PAID', 7_000, -7_000, { ok: false, reason: 'NOT_POSITIVE' }],
    ['SPEC §7: a fraction of a cent', 'PENDING', 0, 12.5, { ok: false, reason: 'NOT_POSITIVE' }],
    ['SPEC §7: not a number', 'PENDING', 0, Number.NaN, { ok: false, reason: 'NOT_POSITIVE' }],
    ['SPEC §7: an infinite amount', 'PENDING', 0, Number.POSITIVE_INFINITY, { ok: false, reason: 'NOT_POSITIVE' }],
  ])('%s', (_name, status, paidCents, amountCents, expected) => {
    expect(checkPayment({ status, totalCents: 17_000, paidCents }, amountCents)).toEqual(expected);
  });
});

describe('formatMoney', () => {
  // French: decimal comma, U+00A0 (no-break space) before the symbol, U+202F (narrow no-break
  // space) between thousands, as ICU/CLDR format fr-FR.
  it.each<[string, number, string, 'fr' | 'en', string]>([
    ['SPEC §7: 12,50 € in French', 1_250, 'EUR', 'fr', '12,50\u00a0€'],
    ['SPEC §7: €12.50 in English', 1_250, 'EUR', 'en', '€12.50'],
    ['001: the 170 € membership in French', 17_000, 'EUR', 'fr', '170,00\u00a0€'],
    ['001: the 170 € membership in English', 17_000, 'EUR', 'en', '€170.00'],
    ['SPEC §7: thousands in French', 123_456, 'EUR', 'fr', '1\u202f234,56\u00a0€'],
    ['SPEC §7: thousands in English', 123_456, 'EUR', 'en', '€1,234.56'],
    ['SPEC §7: five cents in French', 5, 'EUR', 'fr', '0,05\u00a0€'],
    ['SPEC §7: zero in English', 0, 'EUR', 'en', '€0.00'],
  ])('%s', (_name, cents, currency, locale, expected) => {
    expect(formatMoney(cents, currency, locale)).toBe(expected);
  });
});

describe('countedPayments (which payments paid an order: invoiced, and refunded on withdrawal)', () => {
  const pay = (amountCents: number, name: string) => ({ amountCents, name });
  it.each([
    ['001 hybrid: 70 € desk then 100 € card pay 170 €', [pay(7_000, 'cash'), pay(10_000, 'card')], 17_000, ['cash', 'card']],
    ['a card that went through after the desk paid it all is not counted', [pay(17_000, 'cash'), pay(17_000, 'card')], 17_000, ['cash']],
    ['a late card between smaller parts is skipped, the parts that fit still count', [pay(7_000, 'cash'), pay(17_000, 'late card'), pay(10_000, 'cheque')], 17_000, ['cash', 'cheque']],
    ['nothing paid', [], 17_000, []],
    ['a free order counts nothing', [pay(500, 'card')], 0, []],
  ])('%s', (_name, payments, total, expected) => {
    expect(countedPayments(payments, total).map((p) => p.name)).toEqual(expected);
  });
});
