import { decodeGlobalID } from '@pothos/plugin-relay';
import type { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MEMBER, topUpDemoTimetable } from '../../src/demo/seed.js';
import { graphql } from '../gql/index.js';
import { execute, request, success } from '../support/app.js';
import { ms, testClock } from '../support/clock.js';
import {
  CancelBooking,
  type Client,
  CreatePromoCode,
  demoOrganization,
  demoScenarioApp,
  demoSession,
  ExportMyData,
  logInDemo,
  newClient,
  StartCardPayment,
  StartSepaPayment,
} from '../support/demo-scenario.js';
import { emailsTo } from '../support/emails.js';
import { pdfText } from '../support/pdf.js';

// Seed 004 (Swim Stars, conditions générales de vente), driven through the API on the demo
// organisation `swim-stars` exactly as src/demo/seed.ts configures it: every class cancels without
// charge up to 4 hours before; four-week subscriptions (79 €, or 69 € with a 6-period commitment)
// ended with 15 days' notice before the next billing date; packs of 10 and 20 classes valid one
// year; a discovery class for new clients only; desk payments in ANCV vouchers (and ACTOBI coupons,
// recorded as ANCV) and credit notes; 14 days' withdrawal.
//
// Clauses left out on purpose:
// - Being built by others now (issue 12), so not tested here: pool closures (temporary: sessions
//   cancelled and packs extended, "suspension ou report de cours sans frais"; definitive: a credit
//   note valid one year, refundable after it when no pool reopened within 15 km, refund refused when
//   another pool lies within 15 km), early termination on moving when no pool lies within 15 km of
//   the new address, and staff refunds (the order at a "prix erroné et manifestement dérisoire"
//   cancelled, a promotional purchase compensated only by a credit note).
// - Not in the product: the billing date "choisie par le client" (a subscription starts on the day
//   its first order is paid); a pack's complementary options (1.1: a validity extension sold as an
//   offer, a change of city); orders at partner sellers under their own terms (2.2); withdrawal and
//   termination requests through a pool's chat (the API's requestWithdrawal and
//   terminateSubscription take their place); the 14-day limit for refunding a withdrawal (refunds
//   are immediate). "Les annulations ne se font pas par téléphone", the coaches' recruitment, the
//   mediator, cookies and the do-not-call registers ask nothing of the product. Staff changing an
//   offer's price (no such mutation: "nous nous engageons à vous appliquer les tarifs indiqués…
//   au moment de votre commande" holds trivially) and moving a class ("changement de créneau
//   horaire": updateSession is not in the API yet) are not tested either.
// - Doubtful: 1.2 and 3.2 show the CGV before and after the purchase; Order.termsUrl exists, but
//   the seed publishes no terms URL for Swim Stars (the document gives none), so it stays null.

const scenario = demoScenarioApp('scen_004');
const app = () => scenario.app();
const { advanceTo, nextMorning } = testClock(app);

let swim: Awaited<ReturnType<typeof demoOrganization>>;
let admin: Awaited<ReturnType<typeof logInDemo>>;
let adults: string;
let children: string;
beforeAll(async () => {
  swim = await demoOrganization(app(), 'swim-stars');
  admin = await logInDemo(app());
  adults = swim.activity('Cours adultes').id;
  children = swim.activity('Cours enfants').id;
});

const Purchase = graphql(`
  mutation SwimPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess {
        order { id status total { amountCents currency } discount { amountCents } amountDue { amountCents } offer { validityDays } termsUrl }
      }
      ... on Error { code message }
    }
  }
`);

const PayAtDesk = graphql(`
  mutation SwimPayAtDesk($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const OrderState = graphql(`
  query SwimOrderState($id: ID!) {
    node(id: $id) { ... on Order { status invoiceNumber invoiceUrl amountDue { amountCents } payments { method status } } }
  }
`);

const Account = graphql(`
  query SwimAccount {
    viewer {
      entitlements {
        id status creditsRemaining validFrom validUntil offer { name }
        ledger { edges { node { reason delta note } } }
      }
      orders { edges { node { id status periodIndex total { amountCents } payments { method status } } } }
      subscriptions { id status startedAt endsAt currentPeriodIndex currentPeriodEnd commitmentEndsAt }
    }
  }
`);

const Book = graphql(`
  mutation SwimBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status freeCancellationUntil entitlement { offer { name } } } }
      ... on Error { code message }
    }
  }
`);

const BookingState = graphql(`
  query SwimBookingState($id: ID!) {
    node(id: $id) { ... on Booking { status } }
  }
`);

const Restore = graphql(`
  mutation SwimRestore($input: RestoreCreditInput!) {
    restoreCredit(input: $input) {
      __typename
      ... on RestoreCreditSuccess { booking { status creditRestoredAt } }
      ... on Error { code message }
    }
  }
`);

const CancelSession = graphql(`
  mutation SwimCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on CancelSessionSuccess { session { status } }
      ... on Error { code message }
    }
  }
`);

const AddChild = graphql(`
  mutation SwimAddChild($input: AddBeneficiaryInput!) {
    addBeneficiary(input: $input) {
      __typename
      ... on AddBeneficiarySuccess { beneficiary { id } }
      ... on Error { code message }
    }
  }
`);

const Terminate = graphql(`
  mutation SwimTerminate($input: TerminateSubscriptionInput!) {
    terminateSubscription(input: $input) {
      __typename
      ... on TerminateSubscriptionSuccess { subscription { id status endsAt } }
      ... on Error { code message }
    }
  }
`);

const Withdraw = graphql(`
  mutation SwimWithdraw($input: RequestWithdrawalInput!) {
    requestWithdrawal(input: $input) {
      __typename
      ... on RequestWithdrawalSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const Extend = graphql(`
  mutation SwimExtend($input: ExtendValidityInput!) {
    extendValidity(input: $input) {
      __typename
      ... on ExtendValiditySuccess { entitlement { validUntil extensions { previousValidUntil newValidUntil reason } } }
      ... on Error { code message }
    }
  }
`);

const IssueCreditNote = graphql(`
  mutation SwimIssueCreditNote($input: IssueCreditNoteInput!) {
    issueCreditNote(input: $input) {
      __typename
      ... on IssueCreditNoteSuccess { creditNote { id issuedAt expiresAt remaining { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const UpdateProfile = graphql(`
  mutation SwimUpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      __typename
      ... on UpdateProfileSuccess { viewer { marketingConsent phone } }
      ... on Error { code message }
    }
  }
`);

const DeleteAccount = graphql(`
  mutation SwimDeleteAccount($input: RequestAccountDeletionInput!) {
    requestAccountDeletion(input: $input) {
      __typename
      ... on Error { code message }
    }
  }
`);

const LogIn = graphql(`
  mutation SwimLogIn($input: LogInInput!) {
    logIn(input: $input) { __typename ... on Error { code } }
  }
`);

type Order = { id: string; amountDue: { amountCents: number } };

const uuid = (globalId: string) => decodeGlobalID(globalId).id;
const account = async (client: Client) => (await execute(app(), Account, {}, { token: client.token })).viewer!;
const lot = async (client: Client, name: string) => (await account(client)).entitlements.find((entitlement) => entitlement.offer.name === name)!;
const orderState = async (client: Client, id: string) => (await execute(app(), OrderState, { id }, { token: client.token })).node as {
  status: string;
  invoiceNumber: number | null;
  invoiceUrl: string | null;
  amountDue: { amountCents: number };
  payments: { method: string; status: string }[];
};

async function order(client: Client, offerName: string, options: { beneficiaryId?: string; promoCode?: string } = {}) {
  const input = { offerId: swim.offer(offerName).id, beneficiaryId: options.beneficiaryId ?? client.beneficiaryId, promoCode: options.promoCode };
  return (await execute(app(), Purchase, { input }, { token: client.token })).purchaseOffer;
}

/** Staff take the whole amount at the desk in ANCV holiday vouchers (the seed's first desk method). */
async function payInVouchers(placed: Order) {
  const paid = success(
    (await execute(app(), PayAtDesk, { input: { orderId: placed.id, method: 'ANCV', amountCents: placed.amountDue.amountCents, reference: 'ANCV 0001' } }, { token: admin.token }))
      .recordPayment,
    'RecordPaymentSuccess',
  ).order;
  expect(paid.status).toBe('PAID');
  return paid.id;
}

async function buy(client: Client, offerName: string, beneficiaryId?: string) {
  return payInVouchers(success(await order(client, offerName, { beneficiaryId }), 'PurchaseOfferSuccess').order);
}

const book = async (client: Client, sessionId: string, options: { beneficiaryId?: string; entitlementId?: string } = {}) =>
  (await execute(app(), Book, { input: { sessionId, beneficiaryId: options.beneficiaryId ?? client.beneficiaryId, entitlementId: options.entitlementId } }, { token: client.token }))
    .bookSession;
const cancel = async (client: Client, bookingId: string) => (await execute(app(), CancelBooking, { input: { bookingId } }, { token: client.token })).cancelBooking;
/**
 * The clock's next morning (10:00 Paris). The demo timetable reaches 14 days past each server start;
 * this file runs a year of the organisation's life, so it tops the timetable up as a start would.
 */
async function nextDay(): Promise<DateTime> {
  const day = await nextMorning();
  await advanceTo(day);
  await topUpDemoTimetable(day.toJSDate());
  return day;
}

const adultClass = (at: DateTime) => demoSession(app(), swim.id, adults, at);

describe('cancelling a class (4 hours’ notice)', () => {
  let day: DateTime;
  let nina: Client;
  let lateBookingId: string;
  let spareBookingId: string;

  it('"Si un préavis minimum de quatre (4) heures… est respecté, le cours est annulé sans frais et sera automatiquement recrédité… Une nouvelle réservation pourra être faite immédiatement"; at 5 h before an adult class', async () => {
    day = await nextDay();
    nina = await newClient(app(), 'Nina');
    await buy(nina, 'Carte 10 cours');
    const seven = day.set({ hour: 19 });
    const booked = success(await book(nina, (await adultClass(seven)).id), 'BookSessionSuccess').booking;
    expect(ms(booked.freeCancellationUntil)).toBe(seven.minus({ hours: 4 }).toMillis());
    lateBookingId = success(await book(nina, (await adultClass(day.set({ hour: 20 }))).id), 'BookSessionSuccess').booking.id;
    expect((await lot(nina, 'Carte 10 cours')).creditsRemaining).toBe(8);

    await advanceTo(seven.minus({ hours: 5 }));
    expect(await cancel(nina, booked.id)).toEqual({ __typename: 'CancelBookingSuccess', creditReturned: true, booking: { status: 'CANCELLED' } });
    expect((await lot(nina, 'Carte 10 cours')).creditsRemaining).toBe(9);
    // "un email de confirmation automatique est reçu après chaque annulation de cours"
    expect(await emailsTo(nina.email, 'booking-cancelled')).toHaveLength(1);
    spareBookingId = success(await book(nina, (await adultClass(day.set({ hour: 21 }))).id), 'BookSessionSuccess').booking.id;
    expect((await lot(nina, 'Carte 10 cours')).creditsRemaining).toBe(8);
  });

  it('"En cas d’annulation d’une réservation sous le délai des quatre (4) heures, le cours annulé est perdu"; at 3 h before', async () => {
    await advanceTo(day.set({ hour: 17 }));
    expect(await cancel(nina, lateBookingId)).toEqual({ __typename: 'CancelBookingSuccess', creditReturned: false, booking: { status: 'LATE_CANCELLED' } });
    const card = await lot(nina, 'Carte 10 cours');
    expect(card.creditsRemaining).toBe(8);
    expect(card.ledger.edges.map((edge) => [edge.node.reason, edge.node.delta]).filter(([reason]) => reason === 'FORFEIT')).toEqual([['FORFEIT', 0]]);
    expect(await emailsTo(nina.email, 'booking-cancelled')).toHaveLength(2);
  });

  it('"Seul un certificat médical au nom de l’élève peut permettre de récupérer le crédit de cours perdu": staff only', async () => {
    const note = 'Certificat médical du Dr Martin';
    expect((await execute(app(), Restore, { input: { bookingId: lateBookingId, note } }, { token: nina.token })).restoreCredit).toMatchObject({ code: 'FORBIDDEN' });
    const restored = success((await execute(app(), Restore, { input: { bookingId: lateBookingId, note } }, { token: admin.token })).restoreCredit, 'RestoreCreditSuccess');
    expect(restored.booking).toMatchObject({ status: 'LATE_CANCELLED', creditRestoredAt: expect.any(String) });
    const card = await lot(nina, 'Carte 10 cours');
    expect(card.creditsRemaining).toBe(9);
    expect(card.ledger.edges.at(-1)!.node).toEqual({ reason: 'RECREDIT', delta: 1, note });
  });

  it('"En cas d’annulation d’un cours par Swim Stars, le crédit de cours est automatiquement recrédité et pourra être réservé de nouveau"', async () => {
    const nine = await adultClass(day.set({ hour: 21 }));
    success(
      (await execute(app(), CancelSession, { input: { sessionId: nine.id, reason: 'Absence du coach' } }, { token: admin.token })).cancelSession,
      'CancelSessionSuccess',
    );
    const mine = await account(nina);
    expect(mine.entitlements.find((e) => e.offer.name === 'Carte 10 cours')!.creditsRemaining).toBe(10);
    expect(await emailsTo(nina.email, 'session-cancelled')).toHaveLength(1);
    expect((await execute(app(), BookingState, { id: spareBookingId }, { token: nina.token })).node).toEqual({ status: 'CANCELLED' });
    success(await book(nina, (await adultClass(day.plus({ days: 1 }).set({ hour: 19 }))).id), 'BookSessionSuccess');
  });

  it('1.4 "Client: le bénéficiaire de l’achat, à savoir soit l’élève lui-même soit un tiers"; the 4 h rule for a 14:00 children’s class (the terms’ example)', async () => {
    // Nina buys a pack for her daughter, a third party who takes the classes.
    const birthDate = day.minus({ years: 6 }).toISODate()!;
    const lila = success((await execute(app(), AddChild, { input: { firstName: 'Lila', lastName: 'Client', birthDate } }, { token: nina.token })).addBeneficiary, 'AddBeneficiarySuccess')
      .beneficiary.id;
    await buy(nina, 'Carte 10 cours', lila);
    const two = day.plus({ days: 1 }).set({ hour: 14 });
    const session = await demoSession(app(), swim.id, children, two);
    // Nina herself, an adult, is not the children's class audience.
    expect(await book(nina, session.id)).toMatchObject({ code: 'NOT_ELIGIBLE' });
    const booked = success(await book(nina, session.id, { beneficiaryId: lila }), 'BookSessionSuccess').booking;
    expect(ms(booked.freeCancellationUntil)).toBe(two.set({ hour: 10 }).toMillis());
  });
});

describe('"Le cours découverte est valable uniquement pour tous les nouveaux clients et peut être acheté une seule fois"', () => {
  it('a new client buys it once, books with it, and cannot buy a second', async () => {
    const nadia = await newClient(app(), 'Nadia');
    const first = success(await order(nadia, 'Cours découverte'), 'PurchaseOfferSuccess').order;
    expect(first.total).toEqual({ amountCents: 1_500, currency: 'EUR' });
    await payInVouchers(first);
    const tomorrow = (await nextMorning()).set({ hour: 12, minute: 30 });
    const booked = success(await book(nadia, (await adultClass(tomorrow)).id), 'BookSessionSuccess').booking;
    expect(booked.entitlement).toEqual({ offer: { name: 'Cours découverte' } });
    expect(await order(nadia, 'Cours découverte')).toMatchObject({ code: 'DISCOVERY_ALREADY_USED' });
  });

  it('is refused to a member who already bought (a pack) or booked (the demo member Camille)', async () => {
    const omar = await newClient(app(), 'Omar');
    await buy(omar, 'Carte 20 cours');
    expect(await order(omar, 'Cours découverte')).toMatchObject({ code: 'DISCOVERY_NEW_CLIENTS_ONLY' });

    const member = await logInDemo(app(), DEMO_MEMBER);
    const camille: Client = { ...member, beneficiaryId: member.beneficiaries.find((b) => b.firstName === 'Camille')!.id };
    const tomorrow = (await nextMorning()).set({ hour: 20 });
    expect(success(await book(camille, (await adultClass(tomorrow)).id), 'BookSessionSuccess').booking.entitlement).toEqual({ offer: { name: 'Carte 10 cours' } });
    expect(await order(camille, 'Cours découverte')).toMatchObject({ code: 'DISCOVERY_NEW_CLIENTS_ONLY', message: expect.stringContaining('nouveaux clients') });
  });
});

describe('ordering and paying (3.2–3.4, 6.1)', () => {
  it('3.2 a summary of the product (its validity) and its total before payment; prices in euros, tax included; 3.3 a promo code entered applies to the basket', async () => {
    const code = 'BIENVENUE20';
    success(
      (await execute(app(), CreatePromoCode, { input: { organizationId: swim.id, code, percentOff: 20 } }, { token: admin.token })).createPromoCode,
      'CreatePromoCodeSuccess',
    );
    const paco = await newClient(app(), 'Paco');
    expect(await order(paco, 'Carte 10 cours', { promoCode: 'INCONNU' })).toMatchObject({ code: 'PROMO_CODE_INVALID' });
    const placed = success(await order(paco, 'Carte 10 cours', { promoCode: code }), 'PurchaseOfferSuccess').order;
    expect(placed).toMatchObject({
      status: 'PENDING',
      offer: { validityDays: 365 },
      total: { amountCents: 15_200, currency: 'EUR' },
      discount: { amountCents: 3_800 },
      amountDue: { amountCents: 15_200 },
    });
  });

  it('6.1 "Règlement par carte de crédit: le débit est effectué au moment de la confirmation"; 3.4 a summary email and invoices to download', async () => {
    const rita = await newClient(app(), 'Rita');
    const placed = success(await order(rita, 'Carte 20 cours'), 'PurchaseOfferSuccess').order;
    const started = success((await execute(app(), StartCardPayment, { input: { orderId: placed.id, amountCents: 36_000 } }, { token: rita.token })).startCardPayment, 'StartCardPaymentSuccess');
    expect(started.order.status).toBe('PENDING');
    const intentId = started.clientSecret.split('_secret_')[0]!;
    expect(await scenario.stripeEvent('payment_intent.succeeded', scenario.stripe().transition(intentId, 'succeeded'))).toBe(200);

    const paid = await orderState(rita, placed.id);
    expect(paid).toMatchObject({ status: 'PAID', invoiceNumber: expect.any(Number), payments: [{ method: 'CARD', status: 'SUCCEEDED' }] });
    expect((await lot(rita, 'Carte 20 cours')).creditsRemaining).toBe(20);
    expect(await emailsTo(rita.email, 'order-paid')).toHaveLength(1);
    const link = new URL(paid.invoiceUrl!);
    const response = await fetch(`${scenario.origin()}${link.pathname}${link.search}`);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(await pdfText(Buffer.from(await response.arrayBuffer()))).toContain('Swim Stars');
  });

  it('3.3 "Dans le cas d’un paiement par prélèvement SEPA, le paiement sera définitif après l’acceptation du paiement par votre banque"', async () => {
    const sam = await newClient(app(), 'Sam');
    const placed = success(await order(sam, 'Carte 10 cours'), 'PurchaseOfferSuccess').order;
    const started = success((await execute(app(), StartSepaPayment, { input: { orderId: placed.id, amountCents: 19_000 } }, { token: sam.token })).startSepaPayment, 'StartSepaPaymentSuccess');
    const intentId = started.clientSecret.split('_secret_')[0]!;
    expect(await scenario.stripeEvent('payment_intent.processing', scenario.stripe().transition(intentId, 'processing'))).toBe(200);
    expect(await orderState(sam, placed.id)).toMatchObject({ status: 'PENDING', payments: [{ method: 'SEPA_DEBIT', status: 'PENDING' }] });
    expect(await account(sam)).toMatchObject({ entitlements: [] });

    expect(await scenario.stripeEvent('payment_intent.succeeded', scenario.stripe().transition(intentId, 'succeeded'))).toBe(200);
    expect(await orderState(sam, placed.id)).toMatchObject({ status: 'PAID', payments: [{ method: 'SEPA_DEBIT', status: 'SUCCEEDED' }] });
    expect((await lot(sam, 'Carte 10 cours')).creditsRemaining).toBe(10);
  });

  it('6.1 "Chèques vacances ANCV et coupons ACTOBI" and "Avoir (manipulation faite uniquement par le service client)"; no cash, no cheque', async () => {
    const tom = await newClient(app(), 'Tom');
    const placed = success(await order(tom, 'Carte 10 cours'), 'PurchaseOfferSuccess').order;
    for (const method of ['CASH', 'CHEQUE'] as const) {
      expect((await execute(app(), PayAtDesk, { input: { orderId: placed.id, method, amountCents: 1_000 } }, { token: admin.token })).recordPayment).toMatchObject({
        code: 'PAYMENT_METHOD_NOT_ACCEPTED',
      });
    }
    const vouchers = success(
      (await execute(app(), PayAtDesk, { input: { orderId: placed.id, method: 'ANCV', amountCents: 10_000, reference: 'ACTOBI 42' } }, { token: admin.token })).recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(vouchers).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 9_000 } });

    const creditNote = { organizationId: swim.id, memberEmail: tom.email, amountCents: 9_000, reason: 'Geste commercial' };
    expect((await execute(app(), IssueCreditNote, { input: creditNote }, { token: tom.token })).issueCreditNote).toMatchObject({ code: 'FORBIDDEN' });
    const note = success((await execute(app(), IssueCreditNote, { input: creditNote }, { token: admin.token })).issueCreditNote, 'IssueCreditNoteSuccess').creditNote;
    // Valid one year (the organisation's credit-note policy).
    expect(ms(note.expiresAt)).toBeGreaterThanOrEqual(ms(note.issuedAt) + 365 * 24 * 3_600_000 - 3_600_000);
    const paid = success(
      (await execute(app(), PayAtDesk, { input: { orderId: placed.id, method: 'CREDIT_NOTE', creditNoteId: note.id, amountCents: 9_000 } }, { token: admin.token }))
        .recordPayment,
      'RecordPaymentSuccess',
    ).order;
    expect(paid.status).toBe('PAID');
  });
});

describe('withdrawal: "un délai de quatorze (14) jours francs… Dans le cas où vous décideriez de prendre un premier cours… vous ne pourriez plus exercer votre droit de rétractation"', () => {
  it('a pack unused is refunded on day 14, a pack used is not, day 15 is too late; a subscription "avec les mêmes conditions"', async () => {
    const bought = await nextDay();
    const olga = await newClient(app(), 'Olga');
    const oscar = await newClient(app(), 'Oscar');
    const used = await buy(olga, 'Carte 10 cours');
    const unused = await buy(olga, 'Carte 20 cours');
    const subscription = await buy(olga, 'Abonnement 4 semaines');
    const tooLate = await buy(oscar, 'Carte 20 cours');
    const withdraw = async (client: Client, orderId: string) =>
      (await execute(app(), Withdraw, { input: { orderId } }, { token: client.token, locale: 'fr' })).requestWithdrawal;

    // Olga takes a first class with the 10-class card (cancelled in time or not, the right is gone).
    const card = await lot(olga, 'Carte 10 cours');
    const booked = success(await book(olga, (await adultClass(bought.plus({ days: 1 }).set({ hour: 7 }))).id, { entitlementId: card.id }), 'BookSessionSuccess').booking;
    success(await cancel(olga, booked.id), 'CancelBookingSuccess');
    expect(await withdraw(olga, used)).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED' });

    // The 14th day after the purchase, late evening: still in time, refunded in full.
    await advanceTo(bought.plus({ days: 14 }).set({ hour: 23, minute: 30 }));
    expect(await withdraw(olga, unused)).toMatchObject({ order: { id: unused, status: 'REFUNDED' } });
    expect(await withdraw(olga, subscription)).toMatchObject({ order: { id: subscription, status: 'REFUNDED' } });
    const mine = await account(olga);
    expect(mine.subscriptions).toMatchObject([{ status: 'TERMINATED' }]);
    expect(mine.entitlements.find((e) => e.offer.name === 'Carte 20 cours')).toMatchObject({ status: 'REVOKED', creditsRemaining: 0 });
    expect(mine.entitlements.find((e) => e.offer.name === 'Carte 10 cours')).toMatchObject({ status: 'ACTIVE', creditsRemaining: 10 });

    // Day 15: too late for Oscar's unused card.
    await advanceTo(bought.plus({ days: 15 }).startOf('day'));
    expect(await withdraw(oscar, tooLate)).toMatchObject({ code: 'WITHDRAWAL_NOT_ALLOWED' });
    expect(await orderState(oscar, tooLate)).toMatchObject({ status: 'PAID' });
  });
});

describe('personal data: "savoir quelles informations sont détenues vous concernant, vous opposer à leur traitement ou demander leur modification ou encore leur suppression"', () => {
  it('a client exports their data, stops the promotional emails they had accepted, and has their account erased', async () => {
    const zoe = await newClient(app(), 'Zoe');
    const exported = success((await execute(app(), ExportMyData, {}, { token: zoe.token })).exportMyData, 'ExportMyDataSuccess');
    const link = new URL(exported.url);
    const document = await (await fetch(`${scenario.origin()}${link.pathname}${link.search}`)).text();
    expect(document).toContain(zoe.email);

    const update = async (input: { marketingConsent?: boolean; phone?: string }) =>
      success((await execute(app(), UpdateProfile, { input }, { token: zoe.token })).updateProfile, 'UpdateProfileSuccess').viewer;
    expect(await update({ marketingConsent: true, phone: '+33612345678' })).toEqual({ marketingConsent: true, phone: '+33612345678' });
    expect(await update({ marketingConsent: false })).toMatchObject({ marketingConsent: false });

    expect((await execute(app(), DeleteAccount, { input: { password: 'correct horse battery' } }, { token: zoe.token })).requestAccountDeletion).toMatchObject({
      __typename: 'RequestAccountDeletionSuccess',
    });
    expect((await request(app(), LogIn, { input: { email: zoe.email, password: 'correct horse battery' } })).data?.logIn).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });
});

describe('1.2 "Abonnement: … un certain nombre de cours par période de 4 semaines, avec ou sans engagement"', () => {
  let anchor: DateTime;
  let uma: Client;
  let vera: Client;
  let wanda: Client;
  const subscriptionOf = async (client: Client) => (await account(client)).subscriptions[0]!;

  it('four classes per four weeks from the billing date, the first paid by SEPA Direct Debit with the mandate kept for the renewals', async () => {
    const day = await nextDay();
    anchor = day.startOf('day');
    uma = await newClient(app(), 'Uma');
    const placed = success(await order(uma, 'Abonnement 4 semaines'), 'PurchaseOfferSuccess').order;
    expect(placed.total).toEqual({ amountCents: 7_900, currency: 'EUR' });
    const started = success(
      (await execute(app(), StartSepaPayment, { input: { orderId: placed.id, amountCents: 7_900, saveMandate: true } }, { token: uma.token })).startSepaPayment,
      'StartSepaPaymentSuccess',
    );
    const mandate = scenario.stripe().addPaymentMethod({ type: 'sepa_debit', last4: '3000' });
    const intentId = started.clientSecret.split('_secret_')[0]!;
    expect(await scenario.stripeEvent('payment_intent.succeeded', scenario.stripe().transition(intentId, 'succeeded', { paymentMethod: mandate }))).toBe(200);

    const mine = await account(uma);
    expect(mine.subscriptions).toHaveLength(1);
    const subscription = mine.subscriptions[0]!;
    expect(subscription).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 0, commitmentEndsAt: null });
    expect(ms(subscription.startedAt)).toBe(anchor.toMillis());
    expect(ms(subscription.currentPeriodEnd)).toBe(anchor.plus({ days: 28 }).toMillis());
    expect(mine.entitlements).toMatchObject([{ status: 'ACTIVE', creditsRemaining: 4, offer: { name: 'Abonnement 4 semaines' } }]);
    expect(ms(mine.entitlements[0]!.validUntil)).toBe(anchor.plus({ days: 28 }).toMillis());
    success(await book(uma, (await adultClass(day.plus({ days: 1 }).set({ hour: 19 }))).id), 'BookSessionSuccess');
    expect((await account(uma)).entitlements[0]!.creditsRemaining).toBe(3);

    vera = await newClient(app(), 'Vera');
    await buy(vera, 'Abonnement 4 semaines');
    wanda = await newClient(app(), 'Wanda');
    await buy(wanda, 'Abonnement 4 semaines, engagement 6 périodes');
    expect(ms((await subscriptionOf(wanda)).commitmentEndsAt!)).toBe(anchor.plus({ days: 6 * 28 }).toMillis());
  });

  it('"La résiliation… en respectant un préavis de quinze (15) jours avant la prochaine date de facturation… à la date la plus proche" without commitment', async () => {
    const terminate = async (client: Client) =>
      success(
        (await execute(app(), Terminate, { input: { subscriptionId: (await subscriptionOf(client)).id } }, { token: client.token })).terminateSubscription,
        'TerminateSubscriptionSuccess',
      ).subscription;
    // Vera asks on the 15th day before the next billing date: it ends then.
    await advanceTo(anchor.plus({ days: 13, hours: 18 }));
    expect(ms((await terminate(vera)).endsAt!)).toBe(anchor.plus({ days: 28 }).toMillis());
    // Uma asks a day later, 14 days before it: one more period runs, and is due.
    await advanceTo(anchor.plus({ days: 14, hours: 9 }));
    expect(ms((await terminate(uma)).endsAt!)).toBe(anchor.plus({ days: 56 }).toMillis());
  });

  it('"La résiliation sera effective à la fin de votre date d’engagement, dans le cadre d’un abonnement avec engagement"', async () => {
    const result = success(
      (await execute(app(), Terminate, { input: { subscriptionId: (await subscriptionOf(wanda)).id } }, { token: wanda.token })).terminateSubscription,
      'TerminateSubscriptionSuccess',
    );
    expect(result.subscription.status).toBe('ACTIVE');
    expect(ms(result.subscription.endsAt!)).toBe(anchor.plus({ days: 6 * 28 }).toMillis());
  });

  it('"renouvelé automatiquement toutes les 4 semaines par tacite reconduction, sur une carte de crédit ou un compte bancaire"; "Le paiement de chaque mois entamé est intégralement dû"', async () => {
    await advanceTo(anchor.plus({ days: 28 }));
    // Vera's subscription ended on its billing date: nothing more is billed, its credits are over.
    const veras = await account(vera);
    expect(veras.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    expect(veras.orders.edges).toHaveLength(1);
    expect(veras.entitlements.every((e) => e.status === 'EXPIRED' && e.creditsRemaining === 0)).toBe(true);

    // Uma's renews: a new order charged on her SEPA mandate, four fresh classes; the three unused
    // ones are not carried over (the terms never say they are).
    const umas = await account(uma);
    expect(umas.subscriptions[0]).toMatchObject({ status: 'ACTIVE', currentPeriodIndex: 1 });
    const renewal = umas.orders.edges.map((edge) => edge.node).find((node) => node.periodIndex === 1)!;
    expect(renewal).toMatchObject({ status: 'PENDING', total: { amountCents: 7_900 }, payments: [{ method: 'SEPA_DEBIT', status: 'PENDING' }] });
    const lots = umas.entitlements.filter((e) => e.offer.name === 'Abonnement 4 semaines');
    expect(lots.map((e) => [e.status, e.creditsRemaining]).sort()).toEqual([
      ['ACTIVE', 4],
      ['EXPIRED', 0],
    ]);
    const expired = lots.find((e) => e.status === 'EXPIRED')!;
    expect(expired.ledger.edges.at(-1)!.node).toMatchObject({ reason: 'EXPIRE', delta: -3 });
    expect(await emailsTo(uma.email, 'subscription-renewed')).toHaveLength(1);

    const intent = [...scenario.stripe().intents.values()].find((candidate) => candidate.metadata.orderId === uuid(renewal.id))!;
    expect(intent).toMatchObject({ off_session: true, amount: 7_900, payment_method_types: ['sepa_debit'] });
    expect(await scenario.stripeEvent('payment_intent.succeeded', scenario.stripe().transition(intent.id, 'succeeded'))).toBe(200);
    expect(await orderState(uma, renewal.id)).toMatchObject({ status: 'PAID' });

    // The period started after her notice still ran in full; then it ends.
    await advanceTo(anchor.plus({ days: 56 }));
    const after = await account(uma);
    expect(after.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    expect(after.orders.edges).toHaveLength(2);
  });
});

describe('packs: "La date de début de validité d’un produit correspond à la date d’achat"; "Les cartes de cours ont une durée de validité limitée, affichée lors de l’achat"', () => {
  it('valid from the purchase through its 365th day; a medical extension asked before the end; unused credits expire unrefunded', async () => {
    const day = await nextDay();
    expect(swim.offers.filter((offer) => offer.kind === 'PACK').map((offer) => [offer.name, offer.credits, offer.validityDays])).toEqual(
      expect.arrayContaining([
        ['Carte 10 cours', 10, 365],
        ['Carte 20 cours', 20, 365],
      ]),
    );
    const yann = await newClient(app(), 'Yann');
    const tenOrder = await buy(yann, 'Carte 10 cours');
    await buy(yann, 'Carte 20 cours');
    const ten = await lot(yann, 'Carte 10 cours');
    const twenty = await lot(yann, 'Carte 20 cours');
    expect(ms(ten.validFrom)).toBe(day.toMillis());
    const end = day.plus({ days: 366 }).startOf('day');
    expect(ms(ten.validUntil)).toBe(end.toMillis());

    // "inaptitude physique… de plus d'un (1) mois… La demande devra être formulée avant la fin de
    // validité des crédits": staff extend the 20-class card by the certificate's six weeks.
    const reason = 'Certificat médical: incapacité de 6 semaines';
    const extend = async (entitlementId: string, token: string) =>
      (await execute(app(), Extend, { input: { entitlementId, days: 42, reason } }, { token })).extendValidity;
    expect(await extend(twenty.id, yann.token)).toMatchObject({ code: 'FORBIDDEN' });
    const extended = success(await extend(twenty.id, admin.token), 'ExtendValiditySuccess').entitlement;
    expect(ms(extended.validUntil)).toBe(end.plus({ days: 42 }).toMillis());
    expect(extended.extensions.map((e) => [ms(e.previousValidUntil), ms(e.newValidUntil), e.reason])).toEqual([[end.toMillis(), end.plus({ days: 42 }).toMillis(), reason]]);

    // "L'absence d'utilisation des crédits… ne donnera pas lieu au remboursement": at the end of
    // validity the 10 credits expire, the order stays paid.
    await advanceTo(end);
    const expired = await lot(yann, 'Carte 10 cours');
    expect(expired).toMatchObject({ status: 'EXPIRED', creditsRemaining: 0 });
    expect(expired.ledger.edges.at(-1)!.node).toMatchObject({ reason: 'EXPIRE', delta: -10 });
    expect(await orderState(yann, tenOrder)).toMatchObject({ status: 'PAID' });
    // Asked after the end: too late.
    expect(await extend(ten.id, admin.token)).toMatchObject({ code: 'EXTENSION_NOT_ALLOWED' });

    // The timetable a year on (as every start of the server tops it up): the expired card books
    // nothing, the extended one still does.
    await topUpDemoTimetable(end.toJSDate());
    const soon = await adultClass(end.plus({ days: 1 }).set({ hour: 19 }));
    expect(await book(yann, soon.id, { entitlementId: ten.id })).toMatchObject({ code: 'NO_CREDIT' });
    expect(success(await book(yann, soon.id), 'BookSessionSuccess').booking.entitlement).toEqual({ offer: { name: 'Carte 20 cours' } });
  });
});
