import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, startApp, success } from '../support/app.js';
import { addBeneficiary, createCatalogue, createMember, createOffer } from '../support/factories.js';

// SPEC §7: invoices are numbered sequentially per organisation, with no gaps and no duplicates,
// however many orders are paid at the same instant.

let app: App;
let url: string;
beforeAll(async () => {
  app = await startApp();
  url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await app.close();
});

const Order = graphql(`
  mutation InvoiceNumbersOrder($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const Pay = graphql(`
  mutation InvoiceNumbersPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { status invoiceNumber } }
      ... on Error { code message }
    }
  }
`);

describe('invoice numbers', () => {
  it('20 orders of two organisations paid at the same instant get 1…20 in each, once each, with no gap', async () => {
    const clubs = [await createCatalogue(app), await createCatalogue(app)];
    const buyer = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, buyer);
    const orders = await Promise.all(
      clubs.map(async (club) => {
        const offerId = await createOffer(app, club, { priceCents: 1_500 });
        const ids: { orderId: string; amount: number }[] = [];
        for (let i = 0; i < 20; i += 1) {
          const order = success((await execute(app, Order, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer, 'PurchaseOfferSuccess').order;
          ids.push({ orderId: order.id, amount: order.amountDue.amountCents });
        }
        return { club, ids };
      }),
    );
    const paid = await Promise.all(
      orders.flatMap(({ club, ids }) =>
        ids.map(async ({ orderId, amount }) => ({
          club: club.organization.id,
          result: (await httpRequest(url, Pay, { input: { orderId, method: 'CASH', amountCents: amount } }, { token: club.admin.token })).recordPayment,
        })),
      ),
    );
    for (const club of clubs) {
      const numbers = paid
        .filter((entry) => entry.club === club.organization.id)
        .map((entry) => success(entry.result, 'RecordPaymentSuccess').order.invoiceNumber)
        .sort((a, b) => a! - b!);
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });
});
