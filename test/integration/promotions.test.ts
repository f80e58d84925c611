import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { pdfText } from '../support/pdf.js';
import { execute, httpRequest, request, startApp, success } from '../support/app.js';
import { addBeneficiary, createCatalogue, createMember, createOffer, type TestMember } from '../support/factories.js';

// Issue 5, orders and payments: promo codes (003 §3.3), the discovery class once per client
// (003 §17, 004), the order summary (003 §3.2), registration review before payment (001) and
// downloadable invoices (003 §3.4, SPEC §7). Races go over real HTTP to a listening server.

let app: App;
let base: string;
let url: string;
beforeAll(async () => {
  app = await startApp();
  base = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  url = `${base}/graphql`;
});
afterAll(async () => {
  await app.close();
});

const CreatePromo = graphql(`
  mutation PromoCreate($input: CreatePromoCodeInput!) {
    createPromoCode(input: $input) {
      __typename
      ... on CreatePromoCodeSuccess { promoCode { id code percentOff amountOffCents maxRedemptions redemptionCount } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const Purchase = graphql(`
  mutation PromoPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess {
        order {
          id status promoCode invoiceNumber invoiceUrl
          subtotal { amountCents } discount { amountCents } total { amountCents } amountDue { amountCents }
        }
      }
      ... on Error { code message }
    }
  }
`);

const Pay = graphql(`
  mutation PromoPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status invoiceNumber invoiceUrl } }
      ... on Error { code message }
    }
  }
`);

const CreateOffer = graphql(`
  mutation PromoCreateOffer($input: CreateOfferInput!) {
    createOffer(input: $input) {
      __typename
      ... on CreateOfferSuccess { offer { id } }
      ... on Error { code message }
    }
  }
`);

const Summary = graphql(`
  query PromoSummary($id: ID!) {
    node(id: $id) {
      ... on Order {
        status promoCode termsUrl
        offer { name kind credits validityDays period }
        beneficiary { firstName lastName }
        eligibility { everyActivity activities { id name } everyVenue venues { id } }
        subtotal { amountCents currency } discount { amountCents } total { amountCents }
      }
    }
  }
`);

const StaffPromoCodes = graphql(`
  query PromoStaffCodes($slug: String!) {
    organization(slug: $slug) { promoCodes { code redemptionCount maxRedemptions } }
  }
`);

type Club = Awaited<ReturnType<typeof createCatalogue>>;

async function promo(club: Club, input: { code: string; percentOff?: number; amountOffCents?: number; maxRedemptions?: number; validFrom?: string }) {
  const data = await execute(app, CreatePromo, { input: { organizationId: club.organization.id, ...input } }, { token: club.admin.token });
  return success(data.createPromoCode, 'CreatePromoCodeSuccess').promoCode;
}

async function buy(member: TestMember, offerId: string, beneficiaryId: string, promoCode?: string) {
  return (await execute(app, Purchase, { input: { offerId, beneficiaryId, promoCode } }, { token: member.token })).purchaseOffer;
}

describe('promo codes (003 §3.3)', () => {
  it('staff create a code stored uppercase; a duplicate in any case is VALIDATION on `code`; exactly one kind of discount', async () => {
    const club = await createCatalogue(app);
    const created = await promo(club, { code: 'summer10', percentOff: 10 });
    expect(created).toMatchObject({ code: 'SUMMER10', percentOff: 10, amountOffCents: null, redemptionCount: 0 });

    const duplicate = (await execute(app, CreatePromo, { input: { organizationId: club.organization.id, code: 'Summer10', amountOffCents: 500 } }, { token: club.admin.token }))
      .createPromoCode;
    expect(duplicate).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['code'] });

    const both = (
      await execute(app, CreatePromo, { input: { organizationId: club.organization.id, code: 'BOTH', percentOff: 10, amountOffCents: 500 } }, { token: club.admin.token })
    ).createPromoCode;
    expect(both).toMatchObject({ code: 'VALIDATION', field: ['amountOffCents'] });

    // Another organisation may use the same code.
    const other = await createCatalogue(app);
    expect((await promo(other, { code: 'SUMMER10', percentOff: 20 })).code).toBe('SUMMER10');

    const member = await createMember(app);
    const refused = (await execute(app, CreatePromo, { input: { organizationId: club.organization.id, code: 'MINE', percentOff: 50 } }, { token: member.token }))
      .createPromoCode;
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a code typed in any case is applied before payment: discount, total = subtotal − discount, counted once', async () => {
    const club = await createCatalogue(app);
    const offerId = await createOffer(app, club, { priceCents: 17_000 });
    await promo(club, { code: 'RENTREE15', percentOff: 15 });
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);

    const order = success(await buy(member, offerId, beneficiaryId, ' rentree15 '), 'PurchaseOfferSuccess').order;
    expect(order).toMatchObject({
      status: 'PENDING',
      promoCode: 'RENTREE15',
      subtotal: { amountCents: 17_000 },
      discount: { amountCents: 2_550 },
      total: { amountCents: 14_450 },
      amountDue: { amountCents: 14_450 },
    });
    const paid = success((await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 14_450 } }, { token: club.admin.token })).recordPayment, 'RecordPaymentSuccess');
    expect(paid.order.status).toBe('PAID');
    const codes = await execute(app, StaffPromoCodes, { slug: club.organization.slug }, { token: club.admin.token });
    expect(codes.organization?.promoCodes).toEqual([{ code: 'RENTREE15', redemptionCount: 1, maxRedemptions: null }]);
  });

  it('an amount off larger than the price makes the order free (never negative), and it is paid at once', async () => {
    const club = await createCatalogue(app);
    const offerId = await createOffer(app, club, { priceCents: 1_500, credits: 1 });
    await promo(club, { code: 'OFFERT', amountOffCents: 2_000 });
    const member = await createMember(app);
    const order = success(await buy(member, offerId, await addBeneficiary(app, member), 'offert'), 'PurchaseOfferSuccess').order;
    expect(order).toMatchObject({ status: 'PAID', discount: { amountCents: 1_500 }, total: { amountCents: 0 } });
    expect(order.invoiceNumber).toBe(1);
  });

  it('unknown, not yet valid, expired, used up or another organisation’s code: PROMO_CODE_INVALID, and no order', async () => {
    const club = await createCatalogue(app);
    const offerId = await createOffer(app, club);
    await promo(club, { code: 'LATER', percentOff: 10, validFrom: new Date(Date.now() + 86_400_000).toISOString() });
    await promo(club, { code: 'OLD', percentOff: 10 });
    await prisma.promoCode.updateMany({ where: { organizationId: await orgId(club), code: 'OLD' }, data: { validUntil: new Date(Date.now() - 1000) } });
    await promo(club, { code: 'ONCE', percentOff: 10, maxRedemptions: 1 });
    const other = await createCatalogue(app);
    await promo(other, { code: 'ELSEWHERE', percentOff: 10 });
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);

    success(await buy(member, offerId, beneficiaryId, 'once'), 'PurchaseOfferSuccess');
    for (const code of ['NOPE', 'LATER', 'OLD', 'ONCE', 'ELSEWHERE']) {
      expect(await buy(member, offerId, beneficiaryId, code), code).toMatchObject({ __typename: 'PromoCodeInvalidError', code: 'PROMO_CODE_INVALID' });
    }
    expect(await prisma.order.count({ where: { memberId: decodeId(member.id) } })).toBe(1);
    // The refused codes were not counted (read back from the database after the attempts).
    const codes = await prisma.promoCode.findMany({ where: { organizationId: await orgId(club), code: { in: ['LATER', 'OLD'] } } });
    expect(codes.map((code) => code.redemptionCount)).toEqual([0, 0]);
  });

  it('maxRedemptions 3 and 10 parallel purchases: exactly 3 discounted orders, 7 PROMO_CODE_INVALID, redemptionCount 3', async () => {
    const club = await createCatalogue(app);
    const offerId = await createOffer(app, club, { priceCents: 10_000 });
    await promo(club, { code: 'FIRST3', amountOffCents: 2_500, maxRedemptions: 3 });
    const buyers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const member = await createMember(app);
        return { member, beneficiaryId: await addBeneficiary(app, member) };
      }),
    );
    const results = await Promise.all(
      buyers.map(async ({ member, beneficiaryId }) =>
        (await httpRequest(url, Purchase, { input: { offerId, beneficiaryId, promoCode: 'first3' } }, { token: member.token })).purchaseOffer,
      ),
    );
    const won = results.filter((r) => r.__typename === 'PurchaseOfferSuccess');
    const lost = results.filter((r) => r.__typename !== 'PurchaseOfferSuccess');
    expect(won).toHaveLength(3);
    for (const r of won) expect(success(r, 'PurchaseOfferSuccess').order).toMatchObject({ discount: { amountCents: 2_500 }, total: { amountCents: 7_500 } });
    expect(lost).toHaveLength(7);
    for (const r of lost) expect(r).toMatchObject({ code: 'PROMO_CODE_INVALID' });
    const row = await prisma.promoCode.findFirstOrThrow({ where: { organizationId: await orgId(club), code: 'FIRST3' } });
    expect(row.redemptionCount).toBe(3);
    expect(await prisma.order.count({ where: { promoCodeId: row.id } })).toBe(3);
  });
});

async function orgId(club: Club): Promise<string> {
  return (await prisma.organization.findUniqueOrThrow({ where: { slug: club.organization.slug }, select: { id: true } })).id;
}

async function discoveryOffer(club: Club, priceCents = 1_500) {
  const data = await execute(
    app,
    CreateOffer,
    { input: { organizationId: club.organization.id, kind: 'DISCOVERY', name: 'Cours découverte', priceCents, validityDays: 30 } },
    { token: club.admin.token },
  );
  return success(data.createOffer, 'CreateOfferSuccess').offer.id;
}

describe('discovery class, once per client ever (003 §17, 004)', () => {
  it('6 parallel purchases by one member for two beneficiaries: exactly one order, 5 DISCOVERY_ALREADY_USED; then never again', async () => {
    const club = await createCatalogue(app);
    const offerId = await discoveryOffer(club);
    const member = await createMember(app);
    const beneficiaries = [await addBeneficiary(app, member, '1990-01-01', 'Ada'), await addBeneficiary(app, member, '1992-02-02', 'Bea')];
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, i) =>
        (await httpRequest(url, Purchase, { input: { offerId, beneficiaryId: beneficiaries[i % 2]! } }, { token: member.token })).purchaseOffer,
      ),
    );
    expect(results.filter((r) => r.__typename === 'PurchaseOfferSuccess')).toHaveLength(1);
    const refused = results.filter((r) => r.__typename !== 'PurchaseOfferSuccess');
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r).toMatchObject({ __typename: 'DiscoveryAlreadyUsedError', code: 'DISCOVERY_ALREADY_USED' });

    // Paid or not, a second discovery offer of the same organisation is refused too.
    const another = await discoveryOffer(club, 0);
    expect(await buy(member, another, beneficiaries[1]!)).toMatchObject({ code: 'DISCOVERY_ALREADY_USED' });
    // Other clients, and the same client elsewhere, are not affected.
    const stranger = await createMember(app);
    expect((await buy(stranger, offerId, await addBeneficiary(app, stranger))).__typename).toBe('PurchaseOfferSuccess');
    const elsewhere = await createCatalogue(app);
    expect((await buy(member, await discoveryOffer(elsewhere), beneficiaries[0]!)).__typename).toBe('PurchaseOfferSuccess');
  });
});

describe('order summary (003 §3.2)', () => {
  it('shows the offer, the beneficiary, the eligibility, the terms, subtotal, discount, total and the code before payment', async () => {
    const club = await createCatalogue(app);
    const offerId = await createOffer(app, club, { priceCents: 12_000, credits: 10, validityDays: 120, activityIds: [club.activity.id] });
    await prisma.offer.update({ where: { id: decodeId(offerId) }, data: { termsUrl: 'https://club.example/cgv' } });
    await promo(club, { code: 'DIX', amountOffCents: 1_000 });
    const member = await createMember(app);
    const order = success(await buy(member, offerId, await addBeneficiary(app, member, '2019-04-01', 'Léa'), 'dix'), 'PurchaseOfferSuccess').order;

    const { node } = await execute(app, Summary, { id: order.id }, { token: member.token });
    expect(node).toMatchObject({
      status: 'PENDING',
      promoCode: 'DIX',
      termsUrl: 'https://club.example/cgv',
      offer: { kind: 'PACK', credits: 10, validityDays: 120, period: null },
      beneficiary: { firstName: 'Léa' },
      eligibility: { everyActivity: false, activities: [{ id: club.activity.id, name: 'Aquagym' }], everyVenue: true, venues: [] },
      subtotal: { amountCents: 12_000, currency: 'EUR' },
      discount: { amountCents: 1_000 },
      total: { amountCents: 11_000 },
    });
  });
});

/** The database id inside a global ID ("Type:uuid", base64). */
function decodeId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
}

const SetReview = graphql(`
  mutation PromoSetReview($input: SetRegistrationReviewInput!) {
    setRegistrationReview(input: $input) {
      __typename
      ... on SetRegistrationReviewSuccess { organization { id requiresRegistrationReview } }
      ... on Error { code message }
    }
  }
`);

const Submit = graphql(`
  mutation PromoSubmitRegistration($input: SubmitRegistrationInput!) {
    submitRegistration(input: $input) {
      __typename
      ... on SubmitRegistrationSuccess { registration { id status details { sex city phone nationality } beneficiary { id } } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const Review = graphql(`
  mutation PromoReviewRegistration($input: ReviewRegistrationInput!) {
    reviewRegistration(input: $input) {
      __typename
      ... on ReviewRegistrationSuccess { registration { id status reviewNote reviewedAt } }
      ... on Error { code message }
    }
  }
`);

const Pending = graphql(`
  query PromoPendingRegistrations($slug: String!) {
    organization(slug: $slug) { pendingRegistrations { id status beneficiary { firstName } details { city } } }
  }
`);

const MyRegistrations = graphql(`
  query PromoMyRegistrations {
    viewer { registrations { id status reviewNote organization { id } } }
  }
`);

const OrderStatus = graphql(`
  query PromoOrderStatus($id: ID!) {
    node(id: $id) { ... on Order { status invoiceUrl } }
  }
`);

const details = { sex: 'FEMALE' as const, nationality: 'française', birthplace: 'Saint-Pierre', address: '1 rue des Bains', postalCode: '97410', city: 'Saint-Pierre', phone: '0692000000' };

describe('registration review before payment (001)', () => {
  it('orders wait in AWAITING_REVIEW (desk payment refused) until staff verify; then PENDING and the payment link is emailed', async () => {
    const club = await createCatalogue(app);
    const staff = { token: club.admin.token };
    const turnedOn = success((await execute(app, SetReview, { input: { organizationId: club.organization.id, required: true } }, staff)).setRegistrationReview, 'SetRegistrationReviewSuccess');
    expect(turnedOn.organization.requiresRegistrationReview).toBe(true);
    const offerId = await createOffer(app, club, { priceCents: 17_000 });
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member, '2018-03-03', 'Zoé');

    const order = success(await buy(member, offerId, beneficiaryId), 'PurchaseOfferSuccess').order;
    expect(order.status).toBe('AWAITING_REVIEW');
    const early = (await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 7_000 } }, staff)).recordPayment;
    expect(early).toMatchObject({ __typename: 'RegistrationNotVerifiedError', code: 'REGISTRATION_NOT_VERIFIED' });

    const invalid = (await execute(app, Submit, { input: { organizationId: club.organization.id, beneficiaryId, details: { ...details, city: ' ' } } }, { token: member.token }))
      .submitRegistration;
    expect(invalid).toMatchObject({ code: 'VALIDATION', field: ['details', 'city'] });
    const registration = success(
      (await execute(app, Submit, { input: { organizationId: club.organization.id, beneficiaryId, details } }, { token: member.token })).submitRegistration,
      'SubmitRegistrationSuccess',
    ).registration;
    expect(registration).toMatchObject({ status: 'PENDING_REVIEW', details: { sex: 'FEMALE', city: 'Saint-Pierre', nationality: 'française' } });

    // Staff see it waiting; the member sees it among theirs; members cannot list the pending ones.
    const pending = await execute(app, Pending, { slug: club.organization.slug }, staff);
    expect(pending.organization?.pendingRegistrations).toEqual([{ id: registration.id, status: 'PENDING_REVIEW', beneficiary: { firstName: 'Zoé' }, details: { city: 'Saint-Pierre' } }]);
    const forbidden = await request(app, Pending, { slug: club.organization.slug }, { token: member.token });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const mine = await execute(app, MyRegistrations, {}, { token: member.token });
    expect(mine.viewer?.registrations).toEqual([{ id: registration.id, status: 'PENDING_REVIEW', reviewNote: null, organization: { id: club.organization.id } }]);

    // Only staff review.
    expect((await execute(app, Review, { input: { registrationId: registration.id, approve: true } }, { token: member.token })).reviewRegistration).toMatchObject({ code: 'FORBIDDEN' });
    const reviewed = success(
      (await execute(app, Review, { input: { registrationId: registration.id, approve: true, note: 'Dossier complet' } }, staff)).reviewRegistration,
      'ReviewRegistrationSuccess',
    ).registration;
    expect(reviewed).toMatchObject({ status: 'VERIFIED', reviewNote: 'Dossier complet' });
    expect((await execute(app, OrderStatus, { id: order.id }, { token: member.token })).node).toMatchObject({ status: 'PENDING', invoiceUrl: null });

    const emails = await prisma.outboxEmail.findMany({ where: { toAddress: member.email, template: 'payment-link' } });
    expect(emails).toHaveLength(1);
    expect((emails[0]!.payload as { payUrl: string }).payUrl).toMatch(new RegExp(`/orders/${encodeURIComponent(order.id)}/pay$`));

    // Hybrid payment now goes through; a later order is PENDING straight away.
    expect(success((await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 7_000 } }, staff)).recordPayment, 'RecordPaymentSuccess').order.status).toBe(
      'PARTIALLY_PAID',
    );
    expect(success(await buy(member, offerId, beneficiaryId), 'PurchaseOfferSuccess').order.status).toBe('PENDING');
    // Reviewing twice is refused.
    expect((await execute(app, Review, { input: { registrationId: registration.id, approve: false } }, staff)).reviewRegistration).toMatchObject({ code: 'VALIDATION' });
  });

  it('a rejected registration keeps the orders waiting; corrected and resubmitted, it can be verified', async () => {
    const club = await createCatalogue(app);
    const staff = { token: club.admin.token };
    await execute(app, SetReview, { input: { organizationId: club.organization.id, required: true } }, staff);
    const offerId = await createOffer(app, club);
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    const order = success(await buy(member, offerId, beneficiaryId), 'PurchaseOfferSuccess').order;
    const submit = async () =>
      success((await execute(app, Submit, { input: { organizationId: club.organization.id, beneficiaryId, details } }, { token: member.token })).submitRegistration, 'SubmitRegistrationSuccess')
        .registration;
    const first = await submit();
    const rejected = success((await execute(app, Review, { input: { registrationId: first.id, approve: false, note: 'Pièce illisible' } }, staff)).reviewRegistration, 'ReviewRegistrationSuccess');
    expect(rejected.registration).toMatchObject({ status: 'REJECTED', reviewNote: 'Pièce illisible' });
    expect((await execute(app, OrderStatus, { id: order.id }, { token: member.token })).node).toMatchObject({ status: 'AWAITING_REVIEW' });
    expect(await prisma.outboxEmail.count({ where: { toAddress: member.email, template: 'payment-link' } })).toBe(0);

    const again = await submit();
    expect(again).toMatchObject({ id: first.id, status: 'PENDING_REVIEW' });
    success((await execute(app, Review, { input: { registrationId: again.id, approve: true } }, staff)).reviewRegistration, 'ReviewRegistrationSuccess');
    expect((await execute(app, OrderStatus, { id: order.id }, { token: member.token })).node).toMatchObject({ status: 'PENDING' });
  });

  it('without review required, orders are PENDING at once', async () => {
    const club = await createCatalogue(app);
    const member = await createMember(app);
    expect(success(await buy(member, await createOffer(app, club), await addBeneficiary(app, member)), 'PurchaseOfferSuccess').order.status).toBe('PENDING');
  });
});


describe('invoices (003 §3.4, SPEC §7)', () => {
  it('a paid order has a PDF invoice behind a signed link: number, names, line, totals TTC, payments; a bad token is a 404', async () => {
    const club = await createCatalogue(app);
    const offerId = await createOffer(app, club, { priceCents: 17_000 });
    await promo(club, { code: 'MOINS20', amountOffCents: 2_000 });
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member, '2017-06-06', 'Noé');
    const order = success(await buy(member, offerId, beneficiaryId, 'moins20'), 'PurchaseOfferSuccess').order;
    expect(order.invoiceUrl).toBeNull();

    const staff = { token: club.admin.token };
    await execute(app, Pay, { input: { orderId: order.id, method: 'CHEQUE', amountCents: 5_000, reference: 'CHQ 123' } }, staff);
    const paid = success((await execute(app, Pay, { input: { orderId: order.id, method: 'CASH', amountCents: 10_000 } }, staff)).recordPayment, 'RecordPaymentSuccess').order;
    expect(paid.status).toBe('PAID');
    expect(paid.invoiceUrl).toMatch(new RegExp(`/invoices/${encodeURIComponent(order.id)}\\.pdf\\?token=`));

    // The link works without any login.
    const link = new URL(paid.invoiceUrl!);
    const response = await fetch(`${base}${link.pathname}${link.search}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf);
    expect(text).toContain(`Facture n° ${paid.invoiceNumber}`);
    expect(text).toContain(`Club ${club.organization.slug}`);
    expect(text).toContain('Client : Ada Lovelace');
    expect(text).toContain('Bénéficiaire : Noé');
    expect(text).toContain('Remise (code MOINS20)');
    expect(text).toContain('Total TTC');
    expect(text).toMatch(/150,00/);
    expect(text).toContain('TVA incluse');
    expect(text).toContain('Chèque (CHQ 123)');
    expect(text).toContain('Espèces');

    const token = link.searchParams.get('token')!;
    // Change a character inside the signature: the last one carries bits that decoding may ignore.
    const at = token.length - 5;
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect((await fetch(`${base}${link.pathname}?token=${tampered}`)).status).toBe(404);
    expect((await fetch(`${base}${link.pathname}`)).status).toBe(404);
    // A login token is not an invoice token, and one order's token opens no other invoice.
    expect((await fetch(`${base}${link.pathname}?token=${member.token}`)).status).toBe(404);
    const second = success(await buy(member, offerId, beneficiaryId), 'PurchaseOfferSuccess').order;
    await execute(app, Pay, { input: { orderId: second.id, method: 'CASH', amountCents: 17_000 } }, staff);
    expect((await fetch(`${base}/invoices/${encodeURIComponent(second.id)}.pdf?token=${token}`)).status).toBe(404);
  });
});
