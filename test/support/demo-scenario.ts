import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { DEMO_ACCOUNT } from '../../src/demo/seed.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from './app.js';
import { startFakeStripe, type FakePaymentIntent, type FakeStripe } from './fake-stripe.js';
import { createDatabase, databaseUrl, dropDatabase } from './global-setup.js';

// Scenario tests of the demo organisations (test/scenarios, issue 11 point 7): a server with the
// demo data (src/demo/seed.ts) and the test clock, on a database of its own (the demo data owns
// fixed slugs and emails, and advanceClock runs every due job of its database), with a fake Stripe
// so that online payments can be followed to their signed webhook.

const WEBHOOK_SECRET = 'whsec_demo_scenarios';
const signer = new Stripe('sk_test_x');

export interface DemoScenario {
  app: () => App;
  stripe: () => FakeStripe;
  /** Posts a signed Stripe event about a payment intent, as Stripe would; returns the HTTP status. */
  stripeEvent: (type: string, intent: FakePaymentIntent) => Promise<number>;
  /** GraphQL over real HTTP on the listening server (parallel requests really race). */
  url: () => string;
  /** The listening server's origin (for links the API gives: invoices, exports). */
  origin: () => string;
}

/** Starts the demo server for the whole file. Call at the top level. */
export function demoScenarioApp(prefix: string): DemoScenario {
  let app: App | undefined;
  let fake: FakeStripe | undefined;
  let databaseName: string | undefined;
  let origin = '';
  beforeAll(async () => {
    fake = await startFakeStripe();
    databaseName = await createDatabase(prefix);
    app = await startApp({
      databaseUrl: databaseUrl(databaseName),
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
    stripeEvent: async (type, intent) => {
      const payload = JSON.stringify({
        id: `evt_${randomUUID().replaceAll('-', '')}`,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
        data: { object: intent },
      });
      const signature = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      const response = await fetch(`${origin}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
      return response.status;
    },
  };
}

const DemoOrganization = graphql(`
  query DemoScenarioOrganization($slug: String!) {
    organization(slug: $slug) {
      id
      name
      timeZone
      venues { id name city }
      activities { id name audience cancellationNoticeHours lateCancellation }
      policies {
        waitlistPolicy waitlistClaimDeadlineHours terminationNoticeRule terminationNoticeDays withdrawalDays
        acceptedDeskPaymentMethods maxPauseMonthsPerYear creditNoteValidityDays
      }
    }
  }
`);

const DemoOffers = graphql(`
  query DemoScenarioOffers($organizationId: ID!) {
    offers(organizationId: $organizationId) { id name kind credits validityDays period price { amountCents currency } }
  }
`);

/** A demo organisation as the public API shows it, with its offers; `activity`/`offer` find by name. */
export async function demoOrganization(app: App, slug: string) {
  const organization = (await execute(app, DemoOrganization, { slug })).organization;
  if (!organization) throw new Error(`no demo organisation ${slug}`);
  const offers = (await execute(app, DemoOffers, { organizationId: organization.id })).offers;
  const named = <T extends { name: string }>(list: T[], name: string): T => {
    const found = list.find((item) => item.name === name);
    if (!found) throw new Error(`${slug} has no ${name}`);
    return found;
  };
  return {
    ...organization,
    offers,
    activity: (name: string) => named(organization.activities, name),
    offer: (name: string) => named(offers, name),
  };
}

const LogIn = graphql(`
  mutation DemoScenarioLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token viewer { id beneficiaries { id firstName birthDate } } }
      ... on Error { code message }
    }
  }
`);

/** Logs in a demo persona (the admin by default). */
export async function logInDemo(app: App, account: { email: string; password: string } = DEMO_ACCOUNT) {
  const result = success((await execute(app, LogIn, { input: account })).logIn, 'LogInSuccess');
  return { token: result.token, id: result.viewer.id, email: account.email, beneficiaries: result.viewer.beneficiaries };
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

export interface Client {
  id: string;
  email: string;
  token: string;
  /** The person who attends (the member themself unless told otherwise). */
  beneficiaryId: string;
}

/** A new client: signs up and names the person who will attend, with their date of birth. */
export async function newClient(app: App, firstName: string, birthDate = '1990-03-14'): Promise<Client> {
  const email = `${firstName.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  const signedUp = success(
    (await execute(app, SignUp, { input: { email, password: 'correct horse battery', firstName, lastName: 'Client' } })).signUp,
    'SignUpSuccess',
  );
  const beneficiary = success(
    (await execute(app, AddBeneficiary, { input: { firstName, lastName: 'Client', birthDate } }, { token: signedUp.token })).addBeneficiary,
    'AddBeneficiarySuccess',
  ).beneficiary;
  return { id: signedUp.viewer.id, email, token: signedUp.token, beneficiaryId: beneficiary.id };
}

const Sessions = graphql(`
  query DemoScenarioSessions($filter: SessionFilter!) {
    sessions(filter: $filter, first: 50) {
      edges { node { id startsAt seatsLeft capacity waitlistLength status activity { name } } }
    }
  }
`);

/** The demo session of an activity starting at `startsAt` (the seed's daily timetable), from the public schedule. */
export async function demoSession(app: App, organizationId: string, activityId: string, startsAt: DateTime) {
  const { sessions } = await execute(app, Sessions, {
    filter: { organizationId, activityId, from: startsAt.toISO()!, to: startsAt.plus({ minutes: 1 }).toISO()! },
  });
  const session = sessions.edges[0]?.node;
  if (!session) throw new Error(`no session at ${startsAt.toISO()}`);
  return session;
}

/** Emails queued for an address with a template (the outbox the mail worker sends from). */
export async function emailsTo(email: string, template: string) {
  return prisma.outboxEmail.findMany({ where: { toAddress: email.toLowerCase(), template }, orderBy: { createdAt: 'asc' } });
}
