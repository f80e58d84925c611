import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { prisma } from '../../src/db/client.js';
import { execute, execute as run, request, startApp, success } from '../support/app.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  memberWithCredits,
  scheduleSession,
  type TestMember,
  unique,
} from '../support/factories.js';
import { decodeGlobalID } from '@pothos/plugin-relay';

// Issue 11: policies as data (SPEC §1, §11). The organisation's policies readable by anyone and
// set by its ADMINs; an offer's own late-cancellation rule; discovery classes for new clients only.

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

const CreateOffer = graphql(`
  mutation PoliciesCreateOffer($input: CreateOfferInput!) {
    createOffer(input: $input) {
      __typename
      ... on CreateOfferSuccess { offer { id kind lateCancellation } }
      ... on Error { code message }
    }
  }
`);

async function offer(catalogue: Catalogue, input: { kind?: 'PACK' | 'DISCOVERY'; lateCancellation?: 'FORFEIT' | 'RECREDIT' | null; priceCents?: number } = {}) {
  const kind = input.kind ?? 'PACK';
  const data = await execute(
    app,
    CreateOffer,
    {
      input: {
        organizationId: catalogue.organization.id,
        kind,
        name: unique(kind),
        priceCents: input.priceCents ?? 5_000,
        credits: kind === 'PACK' ? 5 : null,
        validityDays: 90,
        lateCancellation: input.lateCancellation ?? null,
      },
    },
    { token: catalogue.admin.token },
  );
  return success(data.createOffer, 'CreateOfferSuccess').offer;
}

const Cancel = graphql(`
  mutation PoliciesCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { id status entitlement { creditsRemaining } } }
      ... on Error { code message }
    }
  }
`);

describe('Offer.lateCancellation overrides the activity for bookings paid with its credits (000, SPEC §11)', () => {
  it('activity FORFEIT, offer A RECREDIT, offer B without a rule: late with A credits back, late with B forfeits', async () => {
    const catalogue = await createCatalogue(app); // the activity: 4 h notice, FORFEIT
    const annual = await offer(catalogue, { lateCancellation: 'RECREDIT' });
    const plain = await offer(catalogue);
    expect(annual.lateCancellation).toBe('RECREDIT');
    expect(plain.lateCancellation).toBeNull();

    const session = await scheduleSession(app, catalogue, { startsInHours: 2 }); // within the notice
    const outcomes: unknown[] = [];
    for (const offerId of [annual.id, plain.id]) {
      const member = await createMember(app);
      const beneficiaryId = await addBeneficiary(app, member);
      await buyCredits(app, catalogue, member, offerId, beneficiaryId);
      const bookingId = await book(app, member, session.id, beneficiaryId);
      outcomes.push(success((await execute(app, Cancel, { input: { bookingId } }, { token: member.token })).cancelBooking, 'CancelBookingSuccess'));
    }
    expect(outcomes).toMatchObject([
      { creditReturned: true, booking: { status: 'LATE_CANCELLED', entitlement: { creditsRemaining: 5 } } },
      { creditReturned: false, booking: { status: 'LATE_CANCELLED', entitlement: { creditsRemaining: 4 } } },
    ]);
  });
});

const Policies = graphql(`
  query PoliciesRead($slug: String!) {
    organization(slug: $slug) {
      policies {
        waitlistPolicy waitlistClaimDeadlineHours waitlistOfferWindowMinutes requiresRegistrationReview
        paymentGraceDays terminationNoticeRule terminationNoticeDays maxPauseMonthsPerYear withdrawalDays
        creditNoteValidityDays acceptedDeskPaymentMethods inPersonPaymentAllowed paymentHoldMinutes
      }
    }
  }
`);

const Update = graphql(`
  mutation PoliciesUpdate($input: UpdateOrganizationPoliciesInput!) {
    updateOrganizationPolicies(input: $input) {
      __typename
      ... on UpdateOrganizationPoliciesSuccess {
        organization { policies { withdrawalDays paymentHoldMinutes acceptedDeskPaymentMethods requiresRegistrationReview waitlistClaimDeadlineHours terminationNoticeRule } }
      }
      ... on ValidationError { issues { field } }
      ... on Error { code message }
    }
  }
`);

const GrantRole = graphql(`
  mutation PoliciesGrantRole($input: GrantRoleInput!) {
    grantRole(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

const SetReview = graphql(`
  mutation PoliciesSetReview($input: SetRegistrationReviewInput!) {
    setRegistrationReview(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

const Purchase = graphql(`
  mutation PoliciesPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id status amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const RecordPayment = graphql(`
  mutation PoliciesRecordPayment($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

async function slugOf(catalogue: Catalogue): Promise<string> {
  const id = decodeGlobalID(catalogue.organization.id).id;
  return (await prisma.organization.findUniqueOrThrow({ where: { id }, select: { slug: true } })).slug;
}

async function update(catalogue: Catalogue, by: TestMember, values: Record<string, unknown>, locale?: string) {
  const data = await run(app, Update, { input: { organizationId: catalogue.organization.id, ...values } }, { token: by.token, locale });
  return data.updateOrganizationPolicies;
}

describe('Organization.policies and updateOrganizationPolicies (issue 11)', () => {
  it('anyone reads the defaults, without logging in', async () => {
    const catalogue = await createCatalogue(app);
    const data = await run(app, Policies, { slug: await slugOf(catalogue) });
    expect(data.organization?.policies).toEqual({
      waitlistPolicy: 'FIRST_CLICK_WINS',
      waitlistClaimDeadlineHours: 12,
      waitlistOfferWindowMinutes: 60,
      requiresRegistrationReview: false,
      paymentGraceDays: 7,
      terminationNoticeRule: 'MONTH_BEFORE_ANNIVERSARY',
      terminationNoticeDays: 15,
      maxPauseMonthsPerYear: 2,
      withdrawalDays: 14,
      creditNoteValidityDays: 365,
      acceptedDeskPaymentMethods: ['CASH', 'CHEQUE', 'ANCV', 'SPORT_PASS', 'CREDIT_NOTE'],
      inPersonPaymentAllowed: false,
      paymentHoldMinutes: 15,
    });
  });

  it('an ADMIN sets several values at once; omitted ones stay; a member sees the new terms', async () => {
    const catalogue = await createCatalogue(app);
    const result = await update(catalogue, catalogue.admin, {
      withdrawalDays: 0,
      paymentHoldMinutes: 30,
      acceptedDeskPaymentMethods: ['SPORT_PASS', 'CASH', 'CASH'],
      terminationNoticeRule: 'DAYS_BEFORE_BILLING',
      inPersonPaymentAllowed: true,
    });
    expect(success(result, 'UpdateOrganizationPoliciesSuccess').organization.policies).toEqual({
      withdrawalDays: 0,
      paymentHoldMinutes: 30,
      acceptedDeskPaymentMethods: ['CASH', 'SPORT_PASS'],
      requiresRegistrationReview: false,
      waitlistClaimDeadlineHours: 12,
      terminationNoticeRule: 'DAYS_BEFORE_BILLING',
    });
    const member = await createMember(app);
    const seen = await run(app, Policies, { slug: await slugOf(catalogue) }, { token: member.token });
    expect(seen.organization?.policies).toMatchObject({ withdrawalDays: 0, inPersonPaymentAllowed: true, paymentHoldMinutes: 30 });
  });

  it('STAFF and members get FORBIDDEN; nothing changes', async () => {
    const catalogue = await createCatalogue(app);
    const staff = await memberWithCredits(app, catalogue);
    expect((await run(app, GrantRole, { input: { organizationId: catalogue.organization.id, memberId: staff.id, role: 'STAFF' } }, { token: catalogue.admin.token })).grantRole.__typename).toBe('GrantRoleSuccess');
    const member = await memberWithCredits(app, catalogue);
    const otherAdmin = (await createCatalogue(app)).admin; // ADMIN elsewhere, a stranger here
    for (const who of [staff, member, otherAdmin]) expect(await update(catalogue, who, { withdrawalDays: 30 })).toMatchObject({ code: 'FORBIDDEN' });
    const anonymous = await request(app, Update, { input: { organizationId: catalogue.organization.id, withdrawalDays: 30 } });
    expect(anonymous.data?.updateOrganizationPolicies?.__typename).not.toBe('UpdateOrganizationPoliciesSuccess');
    expect((await run(app, Policies, { slug: await slugOf(catalogue) })).organization?.policies.withdrawalDays).toBe(14);
  });

  it('values out of range answer VALIDATION with every field, in the caller’s language', async () => {
    const catalogue = await createCatalogue(app);
    const result = await update(
      catalogue,
      catalogue.admin,
      { withdrawalDays: 61, creditNoteValidityDays: 0, waitlistOfferWindowMinutes: 4, maxPauseMonthsPerYear: 13, acceptedDeskPaymentMethods: [] },
      'en',
    );
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', message: 'The value must be a whole number of at least 5.' });
    expect((result as { issues: { field: string[] }[] }).issues.map((issue) => issue.field)).toEqual([
      ['waitlistOfferWindowMinutes'],
      ['maxPauseMonthsPerYear'],
      ['withdrawalDays'],
      ['creditNoteValidityDays'],
      ['acceptedDeskPaymentMethods'],
    ]);
    expect((await run(app, Policies, { slug: await slugOf(catalogue) })).organization?.policies.withdrawalDays).toBe(14);
  });

  it('turning registration review off here unlocks the orders waiting for it, as setRegistrationReview does', async () => {
    const catalogue = await createCatalogue(app);
    expect((await run(app, SetReview, { input: { organizationId: catalogue.organization.id, required: true } }, { token: catalogue.admin.token })).setRegistrationReview.__typename).toBe('SetRegistrationReviewSuccess');
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    const offerId = await createOffer(app, catalogue);
    const order = success((await run(app, Purchase, { input: { offerId, beneficiaryId } }, { token: member.token })).purchaseOffer, 'PurchaseOfferSuccess').order;
    expect(order.status).toBe('AWAITING_REVIEW');

    const result = await update(catalogue, catalogue.admin, { requiresRegistrationReview: false });
    expect(success(result, 'UpdateOrganizationPoliciesSuccess').organization.policies.requiresRegistrationReview).toBe(false);
    const paid = await run(app, RecordPayment, { input: { orderId: order.id, method: 'CASH', amountCents: order.amountDue.amountCents } }, { token: catalogue.admin.token });
    expect(paid.recordPayment).toMatchObject({ __typename: 'RecordPaymentSuccess', order: { status: 'PAID' } });
  });
});

describe('recordPayment follows the accepted desk methods (issue 11)', () => {
  it('a method the organisation does not accept answers PAYMENT_METHOD_NOT_ACCEPTED; an accepted one is recorded', async () => {
    const catalogue = await createCatalogue(app);
    success(await update(catalogue, catalogue.admin, { acceptedDeskPaymentMethods: ['CASH', 'ANCV'] }), 'UpdateOrganizationPoliciesSuccess');
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    const offerId = await createOffer(app, catalogue, { priceCents: 6_000 });
    const order = success((await run(app, Purchase, { input: { offerId, beneficiaryId } }, { token: member.token })).purchaseOffer, 'PurchaseOfferSuccess').order;

    for (const [method, locale, message] of [
      ['CHEQUE', 'fr', "L'organisation n'accepte pas ce moyen de paiement au guichet."],
      ['SPORT_PASS', 'en', 'The organization does not accept this payment method at the desk.'],
    ] as const) {
      const refused = await run(app, RecordPayment, { input: { orderId: order.id, method, amountCents: 1_000 } }, { token: catalogue.admin.token, locale });
      expect(refused.recordPayment).toEqual({ __typename: 'PaymentMethodNotAcceptedError', code: 'PAYMENT_METHOD_NOT_ACCEPTED', message });
    }
    const parts = [['ANCV', 2_000], ['CASH', 4_000]] as const;
    const statuses: string[] = [];
    for (const [method, amountCents] of parts) {
      const paid = await run(app, RecordPayment, { input: { orderId: order.id, method, amountCents } }, { token: catalogue.admin.token });
      statuses.push(success(paid.recordPayment, 'RecordPaymentSuccess').order.status);
    }
    expect(statuses).toEqual(['PARTIALLY_PAID', 'PAID']);
    expect(await prisma.payment.count({ where: { orderId: decodeGlobalID(order.id).id } })).toBe(2);
  });
});

describe('discovery classes are for new clients only (004, SPEC §11)', () => {
  async function buy(member: TestMember, offerId: string, beneficiaryId: string, locale?: string) {
    return (await run(app, Purchase, { input: { offerId, beneficiaryId } }, { token: member.token, locale })).purchaseOffer;
  }

  it('a new client buys one; a client who bought a pack (paid, even in part) gets DISCOVERY_NEW_CLIENTS_ONLY, fr/en', async () => {
    const catalogue = await createCatalogue(app);
    const discovery = (await offer(catalogue, { kind: 'DISCOVERY', priceCents: 1_500 })).id;

    const newcomer = await createMember(app);
    expect(await buy(newcomer, discovery, await addBeneficiary(app, newcomer))).toMatchObject({ __typename: 'PurchaseOfferSuccess' });

    const regular = await memberWithCredits(app, catalogue);
    expect(await buy(regular, discovery, regular.beneficiaryId)).toEqual({
      __typename: 'DiscoveryNewClientsOnlyError',
      code: 'DISCOVERY_NEW_CLIENTS_ONLY',
      message: 'Le cours découverte est réservé aux nouveaux clients : vous avez déjà acheté ou réservé dans cette organisation.',
    });

    // An order not paid at all does not make a client; paid in part, it does.
    const hesitant = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, hesitant);
    const pack = await createOffer(app, catalogue, { priceCents: 6_000 });
    const order = success(await buy(hesitant, pack, beneficiaryId), 'PurchaseOfferSuccess').order;
    const part = await run(app, RecordPayment, { input: { orderId: order.id, method: 'CASH', amountCents: 1_000 } }, { token: catalogue.admin.token });
    expect(part.recordPayment).toMatchObject({ order: { status: 'PARTIALLY_PAID' } });
    expect(await buy(hesitant, discovery, beneficiaryId, 'en')).toMatchObject({
      code: 'DISCOVERY_NEW_CLIENTS_ONLY',
      message: 'The discovery class is for new clients only: you have already bought or booked in this organization.',
    });
  });

  it('a client who bought their discovery class and booked with it is told it was used (DISCOVERY_ALREADY_USED)', async () => {
    const catalogue = await createCatalogue(app);
    const discovery = (await offer(catalogue, { kind: 'DISCOVERY', priceCents: 0 })).id;
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    expect(await buy(member, discovery, beneficiaryId)).toMatchObject({ order: { status: 'PAID' } });
    const session = await scheduleSession(app, catalogue);
    await book(app, member, session.id, beneficiaryId);
    expect(await buy(member, discovery, beneficiaryId)).toMatchObject({ code: 'DISCOVERY_ALREADY_USED' });
    // Buying a pack stays possible, of course.
    expect(await buy(member, await createOffer(app, catalogue), beneficiaryId)).toMatchObject({ __typename: 'PurchaseOfferSuccess' });
  });

  it('a discovery purchase racing the payment that makes the member a client: one of the two serial outcomes, never an error', async () => {
    for (let round = 0; round < 4; round += 1) {
      const catalogue = await createCatalogue(app);
      const discovery = (await offer(catalogue, { kind: 'DISCOVERY', priceCents: 1_500 })).id;
      const member = await createMember(app);
      const beneficiaryId = await addBeneficiary(app, member);
      const pack = success(await buy(member, await createOffer(app, catalogue, { priceCents: 6_000 }), beneficiaryId), 'PurchaseOfferSuccess').order;
      const [paid, bought] = await Promise.all([
        run(app, RecordPayment, { input: { orderId: pack.id, method: 'CASH', amountCents: 6_000 } }, { token: catalogue.admin.token }),
        buy(member, discovery, beneficiaryId),
      ]);
      expect(paid.recordPayment).toMatchObject({ order: { status: 'PAID' } });
      // Either the discovery order was decided first (the member was still new), or after the
      // payment: then refused. Never an error, never a deadlock left to the client.
      if (bought.__typename === 'PurchaseOfferSuccess') {
        expect(bought.order.status).toBe('PENDING');
      } else {
        expect(bought).toMatchObject({ code: 'DISCOVERY_NEW_CLIENTS_ONLY' });
      }
    }
  });
});
