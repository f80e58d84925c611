import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT, DEMO_MEMBER } from '../../src/demo/seed.js';
import { graphql } from '../gql/index.js';
import { execute, success } from '../support/app.js';
import { testClock } from '../support/clock.js';
import { demoOrganization, demoScenarioApp, LogIn, logInDemo, RequestPasswordReset, ResetPassword } from '../support/demo-scenario.js';
import { lastEmail, resetLinkToken } from '../support/emails.js';
import { pdfText } from '../support/pdf.js';
import { unique } from '../support/factories.js';

// Seed 001, a Kalisport club ("Mon inscription sur Kalisport"), driven through the API on the demo
// organisation `club-kalisport` exactly as src/demo/seed.ts configures it: staff verify each
// registration file before payment is unlocked, the *Cotisation saison* of 170 € (the pages' own
// example), desk payments in cash, cheques, holiday cheques (ANCV) and Pass'Sport / Carte Sortir
// (SPORT_PASS), online payment by card, and the two paid in parts. The demo personas: the admin,
// and Camille, whose own registration is verified and who holds the cotisation, while her son
// Léo's registration is not. Each `it` names the clause of the document it proves. Stripe is the
// local stand-in, its webhooks signed as Stripe signs them; the test clock sends the emails.
//
// Clauses the product does not implement (no test):
// - « Confirmation de l'adresse e-mail » / « Confirmation du mot de passe »: typing twice is the
//   form's check; the API takes each once.
// - « Nous vous demandons de mettre votre moyen de paiement dans une enveloppe avec votre nom »,
//   « se renseigner auprès de votre activité » and « secrétariat de votre quartier »: desk
//   practice, not software (staff record what they receive with `recordPayment`).
// - « retrouver ce lien sur votre espace personnel »: the API has no payment-link field; the
//   member's unlocked order is listed in `viewer.orders` and paid from there with
//   `startCardPayment` (below), which is what the emailed link leads to.

const SLUG = 'club-kalisport';

const scenario = demoScenarioApp('scen001');
const app = () => scenario.app();
const { clockNow, advanceTo } = testClock(app);

const SignUp = graphql(`
  mutation S001SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on SignUpSuccess { token viewer { id email firstName lastName } }
      ... on Error { code message }
    }
  }
`);

const AddBeneficiary = graphql(`
  mutation S001AddBeneficiary($input: AddBeneficiaryInput!) {
    addBeneficiary(input: $input) {
      __typename
      ... on AddBeneficiarySuccess { beneficiary { id firstName lastName birthDate } }
      ... on Error { code message }
    }
  }
`);

const Submit = graphql(`
  mutation S001Submit($input: SubmitRegistrationInput!) {
    submitRegistration(input: $input) {
      __typename
      ... on SubmitRegistrationSuccess { registration { id status beneficiary { id } } }
      ... on ValidationError { field issues { field } }
      ... on Error { code message }
    }
  }
`);

const Review = graphql(`
  mutation S001Review($input: ReviewRegistrationInput!) {
    reviewRegistration(input: $input) {
      __typename
      ... on ReviewRegistrationSuccess { registration { id status reviewNote } }
      ... on Error { code message }
    }
  }
`);

const Pending = graphql(`
  query S001Pending($slug: String!) {
    organization(slug: $slug) { pendingRegistrations { id status beneficiary { id firstName } details { sex nationality birthplace city } } }
  }
`);

const Purchase = graphql(`
  mutation S001Purchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id status total { amountCents } amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const RecordPayment = graphql(`
  mutation S001RecordPayment($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status amountDue { amountCents } invoiceNumber } }
      ... on Error { code message }
    }
  }
`);

const StartCard = graphql(`
  mutation S001StartCard($input: StartCardPaymentInput!) {
    startCardPayment(input: $input) {
      __typename
      ... on StartCardPaymentSuccess { clientSecret order { status amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const Profile = graphql(`
  query S001Profile {
    viewer {
      registrations { status organization { slug } beneficiary { firstName } details { sex nationality birthplace address postalCode city phone } }
      orders {
        edges {
          node {
            id
            status
            invoiceNumber
            invoiceUrl
            total { amountCents }
            amountDue { amountCents }
            offer { name }
            beneficiary { firstName }
            payments { method status amount { amountCents } reference }
          }
        }
      }
      entitlements { creditsRemaining offer { name organization { slug } } beneficiary { firstName } }
    }
  }
`);

interface Ctx {
  organizationId: string;
  cotisation: string;
  admin: string;
  camille: { token: string; beneficiaryId: string };
  leo: { beneficiaryId: string };
}
let ctx: Ctx;

beforeAll(async () => {
  const admin = await logInDemo(app(), DEMO_ACCOUNT);
  const member = await logInDemo(app(), DEMO_MEMBER);
  const organization = await demoOrganization(app(), SLUG);
  ctx = {
    organizationId: organization.id,
    cotisation: organization.offer('Cotisation saison').id,
    admin: admin.token,
    camille: { token: member.token, beneficiaryId: member.beneficiaries.find((b) => b.firstName === 'Camille')!.id },
    leo: { beneficiaryId: member.beneficiaries.find((b) => b.firstName === 'Léo')!.id },
  };
});

// ─── Helpers ──────────────────────────────────────────────────────────────────────────────────

const tick = async () => advanceTo((await clockNow()).plus({ seconds: 1 }));

/** The registration form (« Renseignements »), complete. */
const FORM = {
  sex: 'FEMALE' as 'FEMALE' | 'MALE',
  nationality: 'Française',
  birthplace: 'Nantes',
  address: '3 rue des Lilas',
  postalCode: '44000',
  city: 'Nantes',
  phone: '+33 6 10 20 30 40',
};

async function submit(token: string, beneficiaryId: string, details: Partial<typeof FORM> & Pick<typeof FORM, 'sex'> = FORM) {
  const input = { organizationId: ctx.organizationId, beneficiaryId, details: { ...details, address: details.address ?? '', postalCode: details.postalCode ?? '', city: details.city ?? '', phone: details.phone ?? '' } };
  return (await execute(app(), Submit, { input }, { token })).submitRegistration;
}

async function review(registrationId: string, approve: boolean, note?: string) {
  return success((await execute(app(), Review, { input: { registrationId, approve, note } }, { token: ctx.admin })).reviewRegistration, 'ReviewRegistrationSuccess')
    .registration;
}

async function purchase(token: string, beneficiaryId: string) {
  return success((await execute(app(), Purchase, { input: { offerId: ctx.cotisation, beneficiaryId } }, { token })).purchaseOffer, 'PurchaseOfferSuccess').order;
}

async function desk(orderId: string, method: 'CASH' | 'CHEQUE' | 'ANCV' | 'SPORT_PASS' | 'CREDIT_NOTE', amountCents: number, reference?: string) {
  return (await execute(app(), RecordPayment, { input: { orderId, method, amountCents, reference } }, { token: ctx.admin })).recordPayment;
}

async function startCard(token: string, orderId: string, amountCents: number) {
  return (await execute(app(), StartCard, { input: { orderId, amountCents } }, { token })).startCardPayment;
}

/** The member's bank confirms the card: Stripe's signed `payment_intent.succeeded` webhook. */
async function bankConfirms(clientSecret: string): Promise<void> {
  const intent = scenario.stripe().transition(clientSecret.split('_secret_')[0]!, 'succeeded');
  expect(await scenario.stripeEvent('payment_intent.succeeded', intent)).toBe(200);
}

async function profile(token: string) {
  return (await execute(app(), Profile, {}, { token })).viewer!;
}

async function orderOf(token: string, orderId: string) {
  return (await profile(token)).orders.edges.map((edge) => edge.node).find((order) => order.id === orderId)!;
}

// ─── Créer mon compte, remplir le formulaire d'inscription ────────────────────────────────────

/** The account made in the first step (« Je crée mon compte personnel »). */
let family: { email: string; token: string; childId: string };

describe('Créer mon compte et remplir le formulaire d\'inscription', () => {
  it('« Je crée mon compte personnel » (nom, prénom, adresse e-mail, mot de passe), then « Je crée le compte d\'un membre de ma famille »', async () => {
    const email = `${unique('exemple')}@example.com`;
    const signed = success(
      (await execute(app(), SignUp, { input: { email, password: 'mot de passe solide', firstName: 'Inscription', lastName: 'Exemple' } })).signUp,
      'SignUpSuccess',
    );
    expect(signed.viewer).toMatchObject({ email, firstName: 'Inscription', lastName: 'Exemple' });
    const child = success(
      (await execute(app(), AddBeneficiary, { input: { firstName: 'Lou', lastName: 'Exemple', birthDate: '2014-09-01' } }, { token: signed.token })).addBeneficiary,
      'AddBeneficiarySuccess',
    ).beneficiary;
    expect(child).toMatchObject({ firstName: 'Lou', lastName: 'Exemple', birthDate: '2014-09-01' });
    family = { email, token: signed.token, childId: child.id };
  });

  it('« Remplir l\'ensemble du formulaire d\'inscription … Les champs marqués d\'un * sont obligatoires »: an incomplete form is refused field by field; the complete one waits for review', async () => {
    const incomplete = await submit(family.token, family.childId, { sex: 'FEMALE', nationality: 'Française' });
    expect(incomplete).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
    const fields = (incomplete as { issues: { field: string[] }[] }).issues.map((issue) => issue.field.join('.')).sort();
    expect(fields).toEqual(['details.address', 'details.city', 'details.phone', 'details.postalCode']);

    const sent = success(await submit(family.token, family.childId, { ...FORM, birthplace: 'Rezé' }), 'SubmitRegistrationSuccess').registration;
    expect(sent).toMatchObject({ status: 'PENDING_REVIEW', beneficiary: { id: family.childId } });
    // Staff find it in their list, with what was filled in (« Identité »).
    const pending = (await execute(app(), Pending, { slug: SLUG }, { token: ctx.admin })).organization!.pendingRegistrations;
    expect(pending.find((registration) => registration.id === sent.id)).toMatchObject({
      status: 'PENDING_REVIEW',
      beneficiary: { firstName: 'Lou' },
      details: { sex: 'FEMALE', nationality: 'Française', birthplace: 'Rezé', city: 'Nantes' },
    });
  });

  it('« Une fois l\'inscription sur Kalisport enregistrée, vous aurez accès à vos informations ainsi qu\'au montant à régler »', async () => {
    const order = await purchase(family.token, family.childId);
    expect(order).toMatchObject({ status: 'AWAITING_REVIEW', total: { amountCents: 17_000 }, amountDue: { amountCents: 17_000 } });
    const mine = await profile(family.token);
    expect(mine.registrations).toEqual([
      { status: 'PENDING_REVIEW', organization: { slug: SLUG }, beneficiary: { firstName: 'Lou' }, details: { ...FORM, birthplace: 'Rezé' } },
    ]);
    expect(mine.orders.edges.map((edge) => edge.node)).toEqual([expect.objectContaining({ id: order.id, status: 'AWAITING_REVIEW', amountDue: { amountCents: 17_000 } })]);
  });

  it('« tous dossiers incomplets ne sera pas pris en compte »: staff reject the file, no payment is taken and no link is sent; the completed file is reviewed again', async () => {
    const [registration] = (await profile(family.token)).registrations;
    expect(registration).toBeDefined();
    const { id: registrationId } = (await execute(app(), Pending, { slug: SLUG }, { token: ctx.admin })).organization!.pendingRegistrations.find(
      (candidate) => candidate.beneficiary.firstName === 'Lou',
    )!;
    const rejected = await review(registrationId, false, 'Certificat médical manquant');
    expect(rejected).toMatchObject({ status: 'REJECTED', reviewNote: 'Certificat médical manquant' });
    const [order] = (await profile(family.token)).orders.edges.map((edge) => edge.node);
    expect(order).toMatchObject({ status: 'AWAITING_REVIEW' });
    expect(await desk(order!.id, 'CASH', 17_000)).toMatchObject({ __typename: 'RegistrationNotVerifiedError', code: 'REGISTRATION_NOT_VERIFIED' });
    expect(await startCard(family.token, order!.id, 17_000)).toMatchObject({ code: 'REGISTRATION_NOT_VERIFIED' });
    await expect(lastEmail(scenario.dataDir, tick, family.email, 'payment-link')).rejects.toThrow(/no payment-link email/);

    // Completed and sent again: back in the staff's list.
    const again = success(await submit(family.token, family.childId, FORM), 'SubmitRegistrationSuccess').registration;
    expect(again).toMatchObject({ id: registrationId, status: 'PENDING_REVIEW' });
  });
});

// ─── Le paiement ──────────────────────────────────────────────────────────────────────────────

describe('Le paiement: the demo member\'s son Léo, whose registration is not verified yet', () => {
  let orderId: string;

  it('« Le paiement en ligne … une fois le paiement débloqué par les gestionnaires de l\'activité (vérification du dossier au préalable) »: refused before the review', async () => {
    const order = await purchase(ctx.camille.token, ctx.leo.beneficiaryId);
    expect(order).toMatchObject({ status: 'AWAITING_REVIEW', amountDue: { amountCents: 17_000 } });
    orderId = order.id;
    expect(await startCard(ctx.camille.token, orderId, 10_000)).toMatchObject({ __typename: 'RegistrationNotVerifiedError', code: 'REGISTRATION_NOT_VERIFIED' });
    expect(scenario.stripe().intents.size).toBe(0);
  });

  it('« attendre la réception du lien de paiement en ligne par mail »: staff verify the file, the order is unlocked and the link emailed', async () => {
    const registration = success(
      await submit(ctx.camille.token, ctx.leo.beneficiaryId, { ...FORM, sex: 'MALE', birthplace: 'Nantes' }),
      'SubmitRegistrationSuccess',
    ).registration;
    expect(await review(registration.id, true)).toMatchObject({ status: 'VERIFIED' });
    expect(await orderOf(ctx.camille.token, orderId)).toMatchObject({ status: 'PENDING', amountDue: { amountCents: 17_000 } });

    const mail = await lastEmail(scenario.dataDir, tick, DEMO_MEMBER.email, 'payment-link');
    expect(mail.subject).toBe('Votre inscription est validée : vous pouvez régler votre commande');
    expect(mail.text).toContain(`/orders/${encodeURIComponent(orderId)}/pay`);
    expect(mail.text).toContain('170,00');
  });

  it('« régler de manière hybride : ma cotisation est de 170€ … un montant de 70€ [au secrétariat], puis … les 100€ restants [en ligne] »', async () => {
    const partly = success(await desk(orderId, 'CHEQUE', 7_000, 'Chèque n° 1234567, Léo Martin au dos'), 'RecordPaymentSuccess').order;
    expect(partly).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 10_000 }, invoiceNumber: null });
    // Online, no more than what is left to pay.
    expect(await startCard(ctx.camille.token, orderId, 10_001)).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE' });
    const started = success(await startCard(ctx.camille.token, orderId, 10_000), 'StartCardPaymentSuccess');
    // The client's word is not enough: the order waits for Stripe's signed webhook.
    expect(started.order).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 10_000 } });

    await bankConfirms(started.clientSecret);
    const paid = await orderOf(ctx.camille.token, orderId);
    expect(paid).toMatchObject({ status: 'PAID', amountDue: { amountCents: 0 }, offer: { name: 'Cotisation saison' }, beneficiary: { firstName: 'Léo' } });
    expect(paid.invoiceNumber).toBeGreaterThan(0);
    expect(paid.payments.map((payment) => [payment.method, payment.status, payment.amount.amountCents])).toEqual(
      expect.arrayContaining([
        ['CHEQUE', 'SUCCEEDED', 7_000],
        ['CARD', 'SUCCEEDED', 10_000],
      ]),
    );
    const leo = (await profile(ctx.camille.token)).entitlements.filter((lot) => lot.offer.organization.slug === SLUG && lot.beneficiary.firstName === 'Léo');
    expect(leo).toEqual([expect.objectContaining({ creditsRemaining: 36, offer: expect.objectContaining({ name: 'Cotisation saison' }) })]);
  });
});

describe('Le paiement en physique', () => {
  it('« Pass\'sport, Carte Sortir … La secrétaire vous indiquera le montant restant à votre charge », then « Espèces, Chèque vacances » for the rest; no other desk method', async () => {
    // Another family, whose file staff verify before anything is bought.
    const email = `${unique('famille')}@example.com`;
    const signed = success(
      (await execute(app(), SignUp, { input: { email, password: 'mot de passe solide', firstName: 'Nadia', lastName: 'Benali' } })).signUp,
      'SignUpSuccess',
    );
    const child = success(
      (await execute(app(), AddBeneficiary, { input: { firstName: 'Sami', lastName: 'Benali', birthDate: '2012-02-20' } }, { token: signed.token })).addBeneficiary,
      'AddBeneficiarySuccess',
    ).beneficiary;
    const registration = success(await submit(signed.token, child.id, { ...FORM, sex: 'MALE' }), 'SubmitRegistrationSuccess').registration;
    await review(registration.id, true);
    const order = await purchase(signed.token, child.id);
    // Verified before the purchase: payable at once.
    expect(order).toMatchObject({ status: 'PENDING', amountDue: { amountCents: 17_000 } });

    const policies = (await demoOrganization(app(), SLUG)).policies;
    expect(policies.acceptedDeskPaymentMethods).toEqual(expect.arrayContaining(['CASH', 'CHEQUE', 'ANCV', 'SPORT_PASS']));
    expect(await desk(order.id, 'CREDIT_NOTE', 1_000)).toMatchObject({ __typename: 'PaymentMethodNotAcceptedError', code: 'PAYMENT_METHOD_NOT_ACCEPTED' });

    const aid = success(await desk(order.id, 'SPORT_PASS', 5_000, "Pass'Sport 2026-ABC"), 'RecordPaymentSuccess').order;
    expect(aid).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amountCents: 12_000 } });
    success(await desk(order.id, 'ANCV', 10_000, 'Chèques vacances'), 'RecordPaymentSuccess');
    expect(await desk(order.id, 'CASH', 2_001)).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE' });
    const paid = success(await desk(order.id, 'CASH', 2_000), 'RecordPaymentSuccess').order;
    expect(paid).toMatchObject({ status: 'PAID', amountDue: { amountCents: 0 } });
  });
});

// ─── Se rendre sur son espace personnel ───────────────────────────────────────────────────────

describe('Se rendre sur son espace personnel', () => {
  it('« Mon profil … vos factures, vos paiements, mais surtout vos adhésions en cours ou encore les informations renseignées »', async () => {
    const mine = await profile(ctx.camille.token);
    // Adhésions: Camille's own cotisation (the demo's), and Léo's paid above.
    const lots = mine.entitlements.filter((lot) => lot.offer.organization.slug === SLUG);
    expect(lots.map((lot) => [lot.beneficiary.firstName, lot.offer.name, lot.creditsRemaining]).sort()).toEqual([
      ['Camille', 'Cotisation saison', 36],
      ['Léo', 'Cotisation saison', 36],
    ]);
    // Informations renseignées: the registrations and their review.
    const registrations = mine.registrations.filter((registration) => registration.organization.slug === SLUG);
    expect(registrations.map((registration) => [registration.beneficiary.firstName, registration.status]).sort()).toEqual([
      ['Camille', 'VERIFIED'],
      ['Léo', 'VERIFIED'],
    ]);
    // Factures et paiements: Léo's invoice, downloadable, shows both parts of the hybrid payment.
    const leo = mine.orders.edges.map((edge) => edge.node).find((order) => order.beneficiary.firstName === 'Léo' && order.status === 'PAID')!;
    const link = new URL(leo.invoiceUrl!);
    const response = await fetch(`${scenario.origin()}${link.pathname}${link.search}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const text = pdfText(Buffer.from(await response.arrayBuffer()));
    expect(text).toContain('Cotisation saison');
    expect(text).toContain('Chèque');
    expect(text).toContain('Carte bancaire');
  });

  it('« Entrer l\'adresse mail et le mot de passe que vous avez utilisés lors de la première étape de votre inscription »', async () => {
    const wrong = (await execute(app(), LogIn, { input: { email: family.email, password: 'pas le bon' } })).logIn;
    expect(wrong).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const logged = success((await execute(app(), LogIn, { input: { email: family.email, password: 'mot de passe solide' } })).logIn, 'LogInSuccess');
    expect(logged.viewer.beneficiaries.map((b) => b.firstName)).toEqual(['Lou']);
  });

  it('« Ne pas hésiter à utiliser l\'option J\'ai oublié mon mot de passe si besoin »', async () => {
    expect((await execute(app(), RequestPasswordReset, { input: { email: DEMO_MEMBER.email } })).requestPasswordReset).toMatchObject({ accepted: true });
    const mail = await lastEmail(scenario.dataDir, tick, DEMO_MEMBER.email, 'password-reset');
    success((await execute(app(), ResetPassword, { input: { token: resetLinkToken(mail.text), password: 'un autre mot de passe' } })).resetPassword, 'ResetPasswordSuccess');
    success((await execute(app(), LogIn, { input: { email: DEMO_MEMBER.email, password: 'un autre mot de passe' } })).logIn, 'LogInSuccess');
  });
});
