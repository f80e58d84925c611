import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { renderEmail } from '../../src/mail/templates.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { postStripeEvent, startFakeStripe, stripeEvent, TEST_WEBHOOK_SECRET, type FakeStripe } from '../support/fake-stripe.js';
import { addBeneficiary, book, createCatalogue, createMember, createOffer, scheduleSession } from '../support/factories.js';

// Staff corrections (issue 12, SPEC §11; 004): refundOrder gives back part or all of a paid order,
// to its methods (Stripe for card, recorded for the desk) or as a credit note, takes the credits
// back, and never gives back more than was paid, even when refunds race each other or a withdrawal.


let fake: FakeStripe;
let app: App;
let webhookUrl: string;
/** A second server on the same database, without STRIPE_SECRET_KEY. */
let noKeyApp: App;

beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startApp({ stripeSecretKey: 'sk_test_x', stripeWebhookSecret: TEST_WEBHOOK_SECRET, stripeApiBase: fake.url });
  const port = await app.listen(0, '127.0.0.1');
  webhookUrl = `http://127.0.0.1:${port}/webhooks/stripe`;
  noKeyApp = await startApp();
});
afterAll(async () => {
  await noKeyApp?.close();
  await app?.close();
  await fake?.close();
});

const Purchase = graphql(`
  mutation RefundsPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id status total { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const Record = graphql(`
  mutation RefundsRecord($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const StartCard = graphql(`
  mutation RefundsStartCard($input: StartCardPaymentInput!) {
    startCardPayment(input: $input) {
      __typename
      ... on StartCardPaymentSuccess { clientSecret }
      ... on Error { code message }
    }
  }
`);

const Refund = graphql(`
  mutation RefundsRefundOrder($input: RefundOrderInput!) {
    refundOrder(input: $input) {
      __typename
      ... on RefundOrderSuccess {
        order {
          id status
          paid { amountCents }
          amountDue { amountCents }
          refunded { amountCents currency }
          refunds { amount { amountCents } paymentMethod as status reason creditNote { id amount { amountCents } remaining { amountCents } } }
        }
      }
      ... on RefundExceedsRefundableError { refundable { amountCents currency } }
      ... on ValidationError { field }
      ... on NotFoundError { field }
      ... on Error { code message }
    }
  }
`);

const Withdraw = graphql(`
  mutation RefundsWithdraw($input: RequestWithdrawalInput!) {
    requestWithdrawal(input: $input) {
      __typename
      ... on RequestWithdrawalSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const CreatePromo = graphql(`
  mutation RefundsCreatePromo($input: CreatePromoCodeInput!) {
    createPromoCode(input: $input) {
      __typename
      ... on CreatePromoCodeSuccess { promoCode { id code } }
      ... on Error { code message }
    }
  }
`);

const MyCredits = graphql(`
  query RefundsMyCredits {
    viewer { entitlements { id creditsRemaining } }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

async function postEvent(event: object): Promise<void> {
  expect((await postStripeEvent(webhookUrl, event)).status).toBe(200);
}

/**
 * A 10-credit pack for 170 € (17 € a credit), paid 70 € in cash at the desk and 100 € by card
 * (hybrid, 001), or in cash only.
 */
async function paidOrder(options: { card?: boolean; catalogue?: Catalogue; promoCode?: string; priceCents?: number } = {}) {
  const catalogue = options.catalogue ?? (await createCatalogue(app));
  const buyer = await createMember(app);
  const beneficiaryId = await addBeneficiary(app, buyer);
  const offerId = await createOffer(app, catalogue, { credits: 10, priceCents: options.priceCents ?? 17_000, validityDays: 90 });
  const order = success(
    (await execute(app, Purchase, { input: { offerId, beneficiaryId, promoCode: options.promoCode } }, { token: buyer.token })).purchaseOffer,
    'PurchaseOfferSuccess',
  ).order;
  const total = order.total.amountCents;
  const desk = options.card ? 7_000 : total;
  success((await execute(app, Record, { input: { orderId: order.id, method: 'CASH', amountCents: desk } }, { token: catalogue.admin.token })).recordPayment, 'RecordPaymentSuccess');
  let intentId: string | null = null;
  if (options.card) {
    const started = success(
      (await execute(app, StartCard, { input: { orderId: order.id, amountCents: total - desk } }, { token: buyer.token })).startCardPayment,
      'StartCardPaymentSuccess',
    );
    const intent = started.clientSecret.split('_secret_')[0]!;
    intentId = intent;
    await postEvent(stripeEvent('payment_intent.succeeded', fake.transition(intent, 'succeeded')));
  }
  const uuid = decodeGlobalID(order.id).id;
  expect((await prisma.order.findUniqueOrThrow({ where: { id: uuid } })).status).toBe('PAID');
  return { catalogue, buyer, beneficiaryId, orderId: order.id, uuid, intentId };
}

function refund(catalogue: Catalogue, input: { orderId: string; amountCents: number; as: 'ORIGINAL_METHOD' | 'CREDIT_NOTE'; reason?: string }, locale?: string) {
  return execute(app, Refund, { input: { reason: 'Prix affiché par erreur', ...input } }, { token: catalogue.admin.token, locale }).then((r) => r.refundOrder);
}

async function creditsLeft(uuid: string): Promise<number> {
  const lots = await prisma.entitlement.findMany({ where: { orderId: uuid } });
  return lots.reduce((sum, lot) => sum + lot.creditsRemaining, 0);
}

/** Stripe's refunds of an intent, in cents. */
function stripeRefunded(intentId: string): number {
  return [...fake.refunds.values()].filter((r) => r.payment_intent === intentId).reduce((sum, r) => sum + (r.amount as number), 0);
}

describe('refundOrder to the original methods', () => {
  it('refunds the card (the latest payment) through Stripe, then the cash part at the desk; credits go back in proportion; the member is emailed', async () => {
    const { catalogue, buyer, orderId, uuid, intentId } = await paidOrder({ card: true });

    // 34 € of 170 € is two credits' worth: the card, paid last, gives it back through Stripe.
    const first = success(await refund(catalogue, { orderId, amountCents: 3_400, as: 'ORIGINAL_METHOD' }), 'RefundOrderSuccess').order;
    expect(first).toMatchObject({ status: 'PAID', paid: { amountCents: 13_600 }, amountDue: { amountCents: 0 }, refunded: { amountCents: 3_400, currency: 'EUR' } });
    expect(first.refunds).toEqual([
      { amount: { amountCents: 3_400 }, paymentMethod: 'CARD', as: 'ORIGINAL_METHOD', status: 'SUCCEEDED', reason: 'Prix affiché par erreur', creditNote: null },
    ]);
    expect(stripeRefunded(intentId!)).toBe(3_400);
    const call = fake.requests.find((r) => r.path === '/v1/refunds' && (r.body as { payment_intent?: string }).payment_intent === intentId);
    expect(call?.idempotencyKey).toMatch(/^refund:[0-9a-f-]{36}$/);
    expect(await creditsLeft(uuid)).toBe(8);
    const ledger = await prisma.creditLedgerEntry.findMany({ where: { entitlement: { orderId: uuid }, reason: 'REFUND' } });
    expect(ledger.map((entry) => entry.delta)).toEqual([-2]);

    // The rest: the card's 66 € left, then the 70 € in cash, recorded as given back at the desk.
    const rest = success(await refund(catalogue, { orderId, amountCents: 13_600, as: 'ORIGINAL_METHOD' }), 'RefundOrderSuccess').order;
    expect(rest).toMatchObject({ status: 'REFUNDED', paid: { amountCents: 0 }, amountDue: { amountCents: 0 }, refunded: { amountCents: 17_000 } });
    expect(rest.refunds.map((r) => [r.paymentMethod, r.amount.amountCents, r.status])).toEqual([
      ['CARD', 3_400, 'SUCCEEDED'],
      ['CARD', 6_600, 'SUCCEEDED'],
      ['CASH', 7_000, 'SUCCEEDED'],
    ]);
    expect(stripeRefunded(intentId!)).toBe(10_000);
    expect(await creditsLeft(uuid)).toBe(0);

    // Nothing left: another refund, or the member's withdrawal, gives nothing more.
    expect(await refund(catalogue, { orderId, amountCents: 100, as: 'CREDIT_NOTE' })).toMatchObject({ code: 'ORDER_NOT_REFUNDABLE' });
    expect((await execute(app, Withdraw, { input: { orderId } }, { token: buyer.token })).requestWithdrawal).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED' });

    const emails = await prisma.outboxEmail.findMany({ where: { toAddress: buyer.email, template: 'order-refunded' }, orderBy: { createdAt: 'asc' } });
    expect(emails).toHaveLength(2);
    const rendered = renderEmail(emails[0]!.template, 'fr', emails[0]!.payload as Record<string, unknown>, { publicUrl: 'http://localhost' });
    expect(rendered.subject).toBe('Remboursement de 34,00\u00a0€ (facture n° ' + String((emails[0]!.payload as { invoiceNumber: number }).invoiceNumber) + ')');
    expect(rendered.text).toContain('Motif : Prix affiché par erreur');
    expect(rendered.text).toContain('Les 2 crédits correspondants ont été retirés de votre compte.');
    const english = renderEmail(emails[1]!.template, 'en', emails[1]!.payload as Record<string, unknown>, { publicUrl: 'http://localhost' });
    expect(english.text).toContain('We have refunded €136.00 to the payment method you used');
  });

  it('a refund given as a credit note: a new note of the member, valid one year; card and cash stay as paid', async () => {
    const { catalogue, orderId, uuid, intentId } = await paidOrder({ card: true });
    const order = success(await refund(catalogue, { orderId, amountCents: 1_700, as: 'CREDIT_NOTE', reason: 'Geste commercial' }), 'RefundOrderSuccess').order;
    expect(order).toMatchObject({ status: 'PAID', paid: { amountCents: 15_300 }, refunded: { amountCents: 1_700 } });
    expect(order.refunds).toMatchObject([
      { amount: { amountCents: 1_700 }, as: 'CREDIT_NOTE', status: 'SUCCEEDED', creditNote: { amount: { amountCents: 1_700 }, remaining: { amountCents: 1_700 } } },
    ]);
    expect(stripeRefunded(intentId!)).toBe(0);
    expect(await creditsLeft(uuid)).toBe(9);
    const note = await prisma.creditNote.findUniqueOrThrow({ where: { id: decodeGlobalID(order.refunds[0]!.creditNote!.id).id } });
    const dbOrder = await prisma.order.findUniqueOrThrow({ where: { id: uuid } });
    expect(note.memberId).toBe(dbOrder.memberId);
    const days = (note.expiresAt.getTime() - note.issuedAt.getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(365);
    expect(days).toBeLessThanOrEqual(366);
  });

  it('when credits were used, only the unused part is refundable (typed, with the amount), fr and en', async () => {
    const { catalogue, buyer, beneficiaryId, orderId, uuid } = await paidOrder({ priceCents: 10_000 });
    for (const hours of [48, 72]) {
      const session = await scheduleSession(app, catalogue, { startsInHours: hours });
      await book(app, buyer, session.id, beneficiaryId);
    }
    expect(await creditsLeft(uuid)).toBe(8);

    const refused = await refund(catalogue, { orderId, amountCents: 9_000, as: 'ORIGINAL_METHOD' });
    expect(refused).toMatchObject({ __typename: 'RefundExceedsRefundableError', code: 'REFUND_EXCEEDS_REFUNDABLE', refundable: { amountCents: 8_000, currency: 'EUR' } });
    expect((refused as { message: string }).message).toBe('Des crédits de cette commande ont déjà été utilisés : seule la part non utilisée peut être remboursée (80,00\u00a0€ au plus).');
    const english = await refund(catalogue, { orderId, amountCents: 9_000, as: 'ORIGINAL_METHOD' }, 'en');
    expect((english as { message: string }).message).toBe('Credits of this order were already used: only the unused part can be refunded (€80.00 at most).');
    // Refused: nothing changed.
    expect(await creditsLeft(uuid)).toBe(8);
    expect(await prisma.refund.count({ where: { payment: { orderId: uuid } } })).toBe(0);

    const done = success(await refund(catalogue, { orderId, amountCents: 8_000, as: 'ORIGINAL_METHOD' }), 'RefundOrderSuccess').order;
    expect(done).toMatchObject({ status: 'PAID', paid: { amountCents: 2_000 }, refunded: { amountCents: 8_000 } });
    expect(await creditsLeft(uuid)).toBe(0);
    const mine = (await execute(app, MyCredits, {}, { token: buyer.token })).viewer!.entitlements.map((e) => e.creditsRemaining);
    expect(mine).toEqual([0]);
    expect(await refund(catalogue, { orderId, amountCents: 1, as: 'CREDIT_NOTE' })).toMatchObject({ code: 'REFUND_EXCEEDS_REFUNDABLE', refundable: { amountCents: 0 } });
  });

  it('004: a promotional purchase is compensated only by a credit note', async () => {
    const catalogue = await createCatalogue(app);
    const promo = success(
      (await execute(app, CreatePromo, { input: { organizationId: catalogue.organization.id, code: 'ETE20', percentOff: 20 } }, { token: catalogue.admin.token })).createPromoCode,
      'CreatePromoCodeSuccess',
    );
    const { orderId, uuid } = await paidOrder({ catalogue, promoCode: promo.promoCode.code, priceCents: 10_000 });
    expect(await refund(catalogue, { orderId, amountCents: 8_000, as: 'ORIGINAL_METHOD' }, 'en')).toMatchObject({
      __typename: 'RefundCreditNoteOnlyError',
      code: 'REFUND_CREDIT_NOTE_ONLY',
      message: 'A promotional purchase can only be compensated by a credit note.',
    });
    expect(await refund(catalogue, { orderId, amountCents: 8_001, as: 'CREDIT_NOTE' })).toMatchObject({ code: 'REFUND_EXCEEDS_REFUNDABLE', refundable: { amountCents: 8_000 } });
    const order = success(await refund(catalogue, { orderId, amountCents: 8_000, as: 'CREDIT_NOTE' }), 'RefundOrderSuccess').order;
    expect(order).toMatchObject({ status: 'REFUNDED', refunds: [{ as: 'CREDIT_NOTE', paymentMethod: 'CASH', creditNote: { amount: { amountCents: 8_000 } } }] });
    expect(await creditsLeft(uuid)).toBe(0);
  });

  it('refuses bad input with typed errors and changes nothing; card refunds need Stripe', async () => {
    const { catalogue, orderId, uuid } = await paidOrder({ card: true });
    expect(await refund(catalogue, { orderId, amountCents: 0, as: 'ORIGINAL_METHOD' })).toMatchObject({ code: 'VALIDATION', field: ['amountCents'] });
    expect(await refund(catalogue, { orderId, amountCents: 2_000_000_000, as: 'ORIGINAL_METHOD' })).toMatchObject({ code: 'VALIDATION', field: ['amountCents'] });
    expect(await refund(catalogue, { orderId, amountCents: 100, as: 'ORIGINAL_METHOD', reason: '  ' })).toMatchObject({ code: 'VALIDATION', field: ['reason'] });
    expect(await refund(catalogue, { orderId, amountCents: 100, as: 'ORIGINAL_METHOD', reason: 'x'.repeat(501) })).toMatchObject({ code: 'VALIDATION', field: ['reason'] });
    expect(await refund(catalogue, { orderId, amountCents: 17_001, as: 'ORIGINAL_METHOD' })).toMatchObject({ code: 'REFUND_EXCEEDS_REFUNDABLE', refundable: { amountCents: 17_000 } });
    expect(await refund(catalogue, { orderId: 'T3JkZXI6bm90LWEtdXVpZA==', amountCents: 100, as: 'ORIGINAL_METHOD' })).toMatchObject({ code: 'VALIDATION', field: ['orderId'] });

    // A pending order has nothing to refund.
    const buyer = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, buyer);
    const offerId = await createOffer(app, catalogue);
    const pending = success((await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: buyer.token })).purchaseOffer, 'PurchaseOfferSuccess').order;
    expect(await refund(catalogue, { orderId: pending.id, amountCents: 100, as: 'CREDIT_NOTE' })).toMatchObject({ code: 'ORDER_NOT_REFUNDABLE' });

    // Without a Stripe key, the card part cannot go back to the card (a credit note still can).
    const noKey = (await execute(noKeyApp, Refund, { input: { orderId, amountCents: 100, as: 'ORIGINAL_METHOD', reason: 'x' } }, { token: catalogue.admin.token })).refundOrder;
    expect(noKey).toMatchObject({ code: 'ONLINE_PAYMENT_UNAVAILABLE' });
    expect(await prisma.refund.count({ where: { payment: { orderId: uuid } } })).toBe(0);
    expect(await prisma.order.findUniqueOrThrow({ where: { id: uuid } })).toMatchObject({ status: 'PAID', paidCents: 17_000 });
    expect(await creditsLeft(uuid)).toBe(10);
    const viaNote = (await execute(noKeyApp, Refund, { input: { orderId, amountCents: 1_700, as: 'CREDIT_NOTE', reason: 'x' } }, { token: catalogue.admin.token })).refundOrder;
    expect(viaNote).toMatchObject({ __typename: 'RefundOrderSuccess' });
  });

  it('staff of another organisation, and the member themself, get nothing', async () => {
    const { buyer, orderId, uuid } = await paidOrder();
    const other = await createCatalogue(app);
    const stranger = (await execute(app, Refund, { input: { orderId, amountCents: 1_000, as: 'CREDIT_NOTE', reason: 'x' } }, { token: other.admin.token })).refundOrder;
    expect(stranger).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const self = (await execute(app, Refund, { input: { orderId, amountCents: 1_000, as: 'CREDIT_NOTE', reason: 'x' } }, { token: buyer.token })).refundOrder;
    expect(self).toMatchObject({ code: 'FORBIDDEN' });
    expect(await prisma.order.findUniqueOrThrow({ where: { id: uuid } })).toMatchObject({ status: 'PAID', paidCents: 17_000 });
    expect(await prisma.creditNote.count({ where: { member: { email: buyer.email } } })).toBe(0);
    expect(await creditsLeft(uuid)).toBe(10);
  });
});

describe('refunds under concurrency', () => {
  it('parallel refunds of one order give back exactly what was paid, never more', async () => {
    const { catalogue, orderId, uuid } = await paidOrder();
    // Eight refunds of 34 € at once on 170 €: exactly five fit.
    const results = await Promise.all(Array.from({ length: 8 }, () => refund(catalogue, { orderId, amountCents: 3_400, as: 'CREDIT_NOTE' })));
    const outcomes = results.map((r) => r.__typename);
    expect(outcomes.filter((t) => t === 'RefundOrderSuccess')).toHaveLength(5);
    expect(outcomes.filter((t) => t === 'OrderNotRefundableError' || t === 'RefundExceedsRefundableError')).toHaveLength(3);
    expect(await prisma.order.findUniqueOrThrow({ where: { id: uuid } })).toMatchObject({ status: 'REFUNDED', paidCents: 0 });
    const refunds = await prisma.refund.aggregate({ where: { payment: { orderId: uuid } }, _sum: { amountCents: true } });
    expect(refunds._sum.amountCents).toBe(17_000);
    expect(await prisma.creditNote.aggregate({ where: { refunds: { some: { payment: { orderId: uuid } } } }, _sum: { amountCents: true } })).toMatchObject({
      _sum: { amountCents: 17_000 },
    });
    expect(await creditsLeft(uuid)).toBe(0);
  });

  it('refunds racing the member’s withdrawal: together they give back exactly what was paid, card and cash', async () => {
    for (let round = 0; round < 3; round++) {
      const { catalogue, buyer, orderId, uuid, intentId } = await paidOrder({ card: true });
      const [withdrawal, ...refunds] = await Promise.all([
        execute(app, Withdraw, { input: { orderId } }, { token: buyer.token }).then((r) => r.requestWithdrawal),
        refund(catalogue, { orderId, amountCents: 4_000, as: 'ORIGINAL_METHOD' }),
        refund(catalogue, { orderId, amountCents: 4_000, as: 'CREDIT_NOTE' }),
        refund(catalogue, { orderId, amountCents: 4_000, as: 'ORIGINAL_METHOD' }),
      ]);
      // The withdrawal always succeeds (the refunds leave part of the order paid); a refund after it finds nothing left.
      expect(withdrawal).toMatchObject({ __typename: 'RequestWithdrawalSuccess', order: { status: 'REFUNDED' } });
      for (const result of refunds) expect(['RefundOrderSuccess', 'OrderNotRefundableError']).toContain(result.__typename);

      const payments = await prisma.payment.findMany({ where: { orderId: uuid }, include: { refunds: true } });
      await expect
        .poll(async () => (await prisma.refund.findMany({ where: { payment: { orderId: uuid } } })).every((r) => r.status === 'SUCCEEDED'))
        .toBe(true);
      const given = (await prisma.refund.findMany({ where: { payment: { orderId: uuid } } })).reduce((sum, r) => sum + r.amountCents, 0);
      expect(given).toBe(17_000);
      for (const payment of await prisma.payment.findMany({ where: { orderId: uuid } })) expect(payment.refundedCents).toBe(payment.amountCents);
      // Stripe gave back exactly the card's share: what the card paid minus what went to a credit note from it.
      const card = payments.find((p) => p.method === 'CARD')!;
      const cardAsNote = (await prisma.refund.findMany({ where: { paymentId: card.id, creditNoteId: { not: null } } })).reduce((s, r) => s + r.amountCents, 0);
      expect(stripeRefunded(intentId!)).toBe(10_000 - cardAsNote);
      expect(await prisma.order.findUniqueOrThrow({ where: { id: uuid } })).toMatchObject({ status: 'REFUNDED', paidCents: 0 });
      expect(await creditsLeft(uuid)).toBe(0);
    }
  });
});
