import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  scheduleSession,
  type TestMember,
} from '../support/factories.js';

// Credits and bookings through the API, as a member and as staff would use them (SPEC §4–5,
// seeds 000, 003 §7–9, 004). Seed clauses are named in each test.

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

const Purchase = graphql(`
  mutation BookingsPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess {
        order { id status total { amountCents currency } amountDue { amountCents } invoiceNumber offer { id } }
      }
      ... on Error { code message }
    }
  }
`);

const Pay = graphql(`
  mutation BookingsPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess {
        order { id status amountDue { amountCents } paid { amountCents } invoiceNumber payments { method amount { amountCents } reference } }
      }
      ... on Error { code message }
    }
  }
`);

const MyCredits = graphql(`
  query BookingsMyCredits {
    viewer {
      entitlements {
        id creditsRemaining validFrom validUntil status carriedOver
        beneficiary { id }
        offer { id name }
        ledger { edges { node { delta reason note booking { id } } } }
      }
      orders { edges { node { id status invoiceNumber } } }
    }
  }
`);

const Book = graphql(`
  mutation BookingsBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess {
        booking { id status freeCancellationUntil bookedByStaff session { id seatsLeft } beneficiary { id } entitlement { id creditsRemaining } }
      }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation BookingsCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { id status cancelledAt session { seatsLeft } entitlement { creditsRemaining } } }
      ... on Error { code message }
    }
  }
`);

async function member(catalogue: Awaited<ReturnType<typeof createCatalogue>>, credits = 10) {
  const m = await createMember(app);
  const beneficiaryId = await addBeneficiary(app, m);
  const offerId = await createOffer(app, catalogue, { credits });
  await buyCredits(app, catalogue, m, offerId, beneficiaryId);
  return { ...m, beneficiaryId, offerId };
}

async function balance(m: TestMember): Promise<number> {
  const data = await execute(app, MyCredits, {}, { token: m.token });
  return data.viewer!.entitlements.reduce((sum, e) => sum + (e.status === 'ACTIVE' ? e.creditsRemaining : 0), 0);
}

describe('buying credits', () => {
  it('003 §3, 001: an order is paid at the desk in parts, then invoiced, and the pack’s credits granted', async () => {
    const catalogue = await createCatalogue(app);
    const buyer = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, buyer);
    const offerId = await createOffer(app, catalogue, { credits: 10, priceCents: 17_000, validityDays: 90 });

    const order = success(
      (await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer,
      'PurchaseOfferSuccess',
    ).order;
    expect(order).toMatchObject({ status: 'PENDING', total: { amountCents: 17_000, currency: 'EUR' }, amountDue: { amountCents: 17_000 }, invoiceNumber: null });
    expect((await execute(app, MyCredits, {}, { token: buyer.token })).viewer!.entitlements).toHaveLength(0);

    // The member cannot record a desk payment.
    const forbidden = (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 7_000 } }, { token: buyer.token }))
      .recordPayment;
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN' });

    const staff = { token: catalogue.admin.token };
    const part = success(
      (await execute(app, Pay, { input: { orderId: order.id, method: 'ANCV', amountCents: 7_000, reference: 'ANCV 123-456' } }, staff)).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(part).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 10_000 }, paid: { amountCents: 7_000 }, invoiceNumber: null });

    const tooMuch = (await request(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 10_001 } }, { ...staff, locale: 'en' }))
      .data!.recordPayment;
    expect(tooMuch).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE', message: 'This payment is more than the amount still due (€100.00).' });

    const paid = success(
      (await execute(app, Pay, { input: { orderId: order.id, method: 'CHEQUE', amountCents: 10_000, reference: 'Chq 0042' } }, staff)).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(paid).toMatchObject({ status: 'PAID', amountDue: { amountCents: 0 }, invoiceNumber: 1 });
    expect(paid.payments.map((p) => [p.method, p.amount.amountCents, p.reference])).toEqual([
      ['ANCV', 7_000, 'ANCV 123-456'],
      ['CHEQUE', 10_000, 'Chq 0042'],
    ]);
    const again = (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 1 } }, staff)).recordPayment;
    expect(again).toMatchObject({ code: 'ORDER_NOT_PAYABLE' });

    const [entitlement] = (await execute(app, MyCredits, {}, { token: buyer.token })).viewer!.entitlements;
    expect(entitlement).toMatchObject({ creditsRemaining: 10, status: 'ACTIVE', beneficiary: { id: beneficiaryId }, offer: { id: offerId } });
    expect(entitlement!.ledger.edges.map((e) => [e.node.reason, e.node.delta])).toEqual([['GRANT', 10]]);
    // Valid from the purchase through the end of the 90th day after it, in Paris.
    const validUntil = new Date(entitlement!.validUntil);
    expect(validUntil.getTime() - Date.now()).toBeGreaterThan(90 * 86_400_000 - 86_400_000);
    expect(validUntil.getTime() - Date.now()).toBeLessThanOrEqual(91 * 86_400_000 + 3_600_000);
    expect(new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', timeStyle: 'short' }).format(validUntil)).toBe('00:00');
  });
});

describe('booking', () => {
  it('003 §7: books at once with a credit, debits it, and takes a seat', async () => {
    const catalogue = await createCatalogue(app);
    const m = await member(catalogue, 3);
    const session = await scheduleSession(app, catalogue, { capacity: 5 });
    const result = success(
      (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    expect(result).toMatchObject({ status: 'CONFIRMED', bookedByStaff: false, session: { seatsLeft: 4 }, entitlement: { creditsRemaining: 2 } });
    expect(await balance(m)).toBe(2);
  });
});
