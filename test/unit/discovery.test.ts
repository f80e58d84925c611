import { describe, expect, it } from 'vitest';
import { discoveryRefusal, PURCHASED_ORDER_STATUSES, UNMADE_BOOKING_STATUSES, type ClientHistory } from '../../src/domain/promotions.js';

// 004: "valable uniquement pour tous les nouveaux clients"; 003 §17: once per client, ever.

describe('discoveryRefusal', () => {
  const fresh: ClientHistory = { discoveryOrdered: false, purchased: false, booked: false };

  it.each<[string, Partial<ClientHistory>, ReturnType<typeof discoveryRefusal>]>([
    ['a new client may buy one', {}, null],
    ['a client who already bought a pack may not', { purchased: true }, 'NEW_CLIENTS_ONLY'],
    ['a client who already booked may not', { booked: true }, 'NEW_CLIENTS_ONLY'],
    ['a client who had their discovery class: once ever', { discoveryOrdered: true }, 'ALREADY_USED'],
    ['having had it says so, even after buying and booking', { discoveryOrdered: true, purchased: true, booked: true }, 'ALREADY_USED'],
  ])('%s', (_name, history, expected) => {
    expect(discoveryRefusal({ ...fresh, ...history })).toBe(expected);
  });

  it('an order paid in part, in full or refunded is a purchase; an unpaid or cancelled one is not', () => {
    expect([...PURCHASED_ORDER_STATUSES].sort()).toEqual(['PAID', 'PARTIALLY_PAID', 'REFUNDED']);
  });

  it('every booking counts (cancelled ones too) but an online hold never paid', () => {
    expect(UNMADE_BOOKING_STATUSES).toEqual(['EXPIRED']);
  });
});
