import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DateTime } from 'luxon';
import { afterAll, beforeAll, inject } from 'vitest';
import { DEMO_ACCOUNT } from '../../src/demo/seed.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from './app.js';
import { postStripeEvent, startFakeStripe, stripeEvent, type FakePaymentIntent, type FakeStripe } from './fake-stripe.js';
import { createDatabase, databaseUrl, dropDatabase } from './global-setup.js';

// Scenario tests of the demo organisations (test/scenarios, issue 11 point 7): a server with the
// demo data (src/demo/seed.ts) and the test clock, on a database of its own (the demo data owns
// fixed slugs and emails, and advanceClock runs every due job of its database), with a fake Stripe
// so that online payments can be followed to their signed webhook, and a data directory of its own
// where the test clock's outbox writes the emails (read them with ./emails.ts). The database is a
// copy of the run's migrated template (global-setup.ts), so each file pays only for the demo seed.

const WEBHOOK_SECRET = 'whsec_demo_scenarios';

export interface DemoScenario {
  app: () => App;
  stripe: () => FakeStripe;
  /** Posts a signed Stripe event about a payment intent, as Stripe would; returns the HTTP status. */
  stripeEvent: (type: string, intent: FakePaymentIntent) => Promise<number>;
  /** GraphQL over real HTTP on the listening server (parallel requests really race). */
  url: () => string;
  /** The listening server's origin (for links the API gives: invoices, exports). */
  origin: () => string;
  /** Where the outbox writes this server's emails (`mail/<id>.eml`). */
  dataDir: string;
}

/** Starts the demo server for the whole file. Call at the top level. */
export function demoScenarioApp(prefix: string): DemoScenario {
  let app: App | undefined;
  let fake: FakeStripe | undefined;
  let databaseName: string | undefined;
  let origin = '';
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  beforeAll(async () => {
    fake = await startFakeStripe();
    databaseName = await createDatabase(prefix, inject('templateDatabase'));
    app = await startApp({
      databaseUrl: databaseUrl(databaseName),
      dataDir,
      demoData: true,
      testClock: true,
      // The scenarios move the clock by months: logins last ten years.
      tokenTtlSeconds: 10 * 365 * 24 * 3600,
      stripeSecretKey: 'sk_test_x',
      stripeWebhookSecret: WEBHOOK_SECRET,
      stripeApiBase: fake.url,
    });
    origin = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    if (databaseName) await dropDatabase(databaseName);
  });
  const started = <T>(value: T | undefined): T => {
    if (!value) throw new Error('the demo scenario server is not started yet');
    return value;
  };
  return {
    app: () => started(app),
    stripe: () => started(fake),
    url: () => `${origin}/graphql`,
    origin: () => origin,
    dataDir,
    stripeEvent: async (type, intent) =>
      (await postStripeEvent(`${origin}/webhooks/stripe`, stripeEvent(type, intent), { secret: WEBHOOK_SECRET })).status,
  };
}

const DemoOrganization = graphql(`
  query DemoScenarioOrganization($slug: String!) {
    organization(slug: $slug) {
      id
      name
      timeZone
      currency
      requiresRegistrationReview
      venues { id name address city }
      activities { id name audience kind minAgeMonths maxAgeMonths cancellationNoticeHours lateCancellation }
      policies {
        waitlistPolicy waitlistClaimDeadlineHours terminationNoticeRule terminationNoticeDays withdrawalDays
        acceptedDeskPaymentMethods inPersonPaymentAllowed paymentHoldMinutes paymentGraceDays maxPauseMonthsPerYear
        creditNoteValidityDays requiresRegistrationReview
      }
    }
  }
`);

const DemoOffers = graphql(`
  query DemoScenarioOffers($organizationId: ID!) {
    offers(organizationId: $organizationId) {
      id name kind credits validityDays period rolloverCapMultiplier lateCancellation price { amountCents currency } activities { name }
    }
  }
`);

/**
 * A demo organisation as the public API shows it (its policies, venues and activities), with its
 * offers; `activity`/`offer` find by name (and kind, where two offers share a name).
 */
export async function demoOrganization(app: App, slug: string) {
  const organization = (await execute(app, DemoOrganization, { slug })).organization;
  if (!organization) throw new Error(`no demo organisation ${slug}`);
  const offers = (await execute(app, DemoOffers, { organizationId: organization.id })).offers;
  const named = <T extends { name: string }>(list: T[], name: string, matches: (item: T) => boolean = () => true): T => {
    const found = list.find((item) => item.name === name && matches(item));
    if (!found) throw new Error(`${slug} has no ${name}`);
    return found;
  };
  return {
    ...organization,
    offers,
    activity: (name: string) => named(organization.activities, name),
    offer: (name: string, kind?: string) => named(offers, name, (offer) => !kind || offer.kind === kind),
  };
}

export type DemoOrganization = Awaited<ReturnType<typeof demoOrganization>>;

/** Logs in (shared: the scenario files try wrong passwords with it too). */
export const LogIn = graphql(`
  mutation DemoScenarioLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token viewer { id beneficiaries { id firstName birthDate } } }
      ... on Error { code message }
    }
  }
`);

/** A member's account, logged in. */
export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Logs in with an email and password: a demo persona (the admin by default), or any account. */
export async function logInDemo(app: App, account: { email: string; password: string } = DEMO_ACCOUNT) {
  const result = success((await execute(app, LogIn, { input: account })).logIn, 'LogInSuccess');
  return { token: result.token, id: result.viewer.id, email: account.email, password: account.password, beneficiaries: result.viewer.beneficiaries };
}

const SignUp = graphql(`
  mutation DemoScenarioSignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on SignUpSuccess { token viewer { id } }
      ... on Error { code message }
    }
  }
`);

const AddBeneficiary = graphql(`
  mutation DemoScenarioAddBeneficiary($input: AddBeneficiaryInput!) {
    addBeneficiary(input: $input) {
      __typename
      ... on AddBeneficiarySuccess { beneficiary { id firstName birthDate } }
      ... on Error { code message }
    }
  }
`);

/** How a new client is named (each file's own people), and the password they choose. */
export interface ClientDetails {
  lastName?: string;
  password?: string;
  /** The attending person's date of birth (an adult by default). */
  birthDate?: string;
}

/** A new member, signed up through the API with a fresh email (no one to attend yet). */
export async function signUpClient(app: App, firstName: string, details: ClientDetails = {}): Promise<Account> {
  const local = firstName.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase() || 'client';
  const email = `${local}-${randomUUID().slice(0, 8)}@example.com`;
  const password = details.password ?? 'correct horse battery';
  const signedUp = success(
    (await execute(app, SignUp, { input: { email, password, firstName, lastName: details.lastName ?? 'Client' } })).signUp,
    'SignUpSuccess',
  );
  return { id: signedUp.viewer.id, email, password, token: signedUp.token };
}

/** Names a person who attends for the account; returns their id. */
export async function addBeneficiary(app: App, account: { token: string }, firstName: string, birthDate: string, lastName = 'Client'): Promise<string> {
  return success(
    (await execute(app, AddBeneficiary, { input: { firstName, lastName, birthDate } }, { token: account.token })).addBeneficiary,
    'AddBeneficiarySuccess',
  ).beneficiary.id;
}

export interface Client extends Account {
  /** The person who attends (the member themself unless told otherwise). */
  beneficiaryId: string;
}

/** A new client: signs up and names the person who will attend (themself), with their date of birth. */
export async function newClient(app: App, firstName: string, details: ClientDetails = {}): Promise<Client> {
  const account = await signUpClient(app, firstName, details);
  const beneficiaryId = await addBeneficiary(app, account, firstName, details.birthDate ?? '1990-03-14', details.lastName);
  return { ...account, beneficiaryId };
}

const Sessions = graphql(`
  query DemoScenarioSessions($filter: SessionFilter!) {
    sessions(filter: $filter, first: 50) {
      edges { node { id startsAt seatsLeft capacity waitlistLength status activity { name } } }
    }
  }
`);

/** The demo session of an activity starting at `startsAt` (the seed's daily timetable), from the public schedule, if there is one. */
export async function findDemoSession(app: App, organizationId: string, activityId: string, startsAt: DateTime) {
  const { sessions } = await execute(app, Sessions, {
    filter: { organizationId, activityId, from: startsAt.toISO()!, to: startsAt.plus({ minutes: 1 }).toISO()! },
  });
  return sessions.edges[0]?.node;
}

/** The demo session of an activity starting at `startsAt`; fails when there is none. */
export async function demoSession(app: App, organizationId: string, activityId: string, startsAt: DateTime) {
  const session = await findDemoSession(app, organizationId, activityId, startsAt);
  if (!session) throw new Error(`no session at ${startsAt.toISO()}`);
  return session;
}

// ---- Operations more than one scenario file runs, as they are (each file keeps its own others) ----

export const RequestPasswordReset = graphql(`
  mutation DemoScenarioRequestPasswordReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input) { __typename ... on RequestPasswordResetSuccess { accepted } ... on Error { code message } }
  }
`);

export const ResetPassword = graphql(`
  mutation DemoScenarioResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      __typename
      ... on ResetPasswordSuccess { token viewer { email hasPassword } }
      ... on Error { code message }
    }
  }
`);

export const CancelBooking = graphql(`
  mutation DemoScenarioCancelBooking($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { status } }
      ... on Error { code message }
    }
  }
`);

export const StartCardPayment = graphql(`
  mutation DemoScenarioStartCardPayment($input: StartCardPaymentInput!) {
    startCardPayment(input: $input) {
      __typename
      ... on StartCardPaymentSuccess { clientSecret order { id status } }
      ... on Error { code message }
    }
  }
`);

export const StartSepaPayment = graphql(`
  mutation DemoScenarioStartSepaPayment($input: StartSepaPaymentInput!) {
    startSepaPayment(input: $input) {
      __typename
      ... on StartSepaPaymentSuccess { clientSecret order { id status } }
      ... on Error { code message }
    }
  }
`);

export const CreatePromoCode = graphql(`
  mutation DemoScenarioCreatePromoCode($input: CreatePromoCodeInput!) {
    createPromoCode(input: $input) {
      __typename
      ... on CreatePromoCodeSuccess { promoCode { code } }
      ... on Error { code message }
    }
  }
`);

export const ExportMyData = graphql(`
  mutation DemoScenarioExportMyData {
    exportMyData {
      __typename
      ... on ExportMyDataSuccess { url }
      ... on Error { code message }
    }
  }
`);
