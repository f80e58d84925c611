import { randomUUID } from 'node:crypto';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, success } from './app.js';

// Data is made through the public API, with unique names, so test files can run in parallel
// against one database without seeing each other.

export function unique(prefix = 'x'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

const SignUp = graphql(`
  mutation FactorySignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on SignUpSuccess { token viewer { id email } }
      ... on Error { code message }
    }
  }
`);

export interface TestMember {
  id: string;
  email: string;
  password: string;
  token: string;
}

export async function createMember(app: App, overrides: { email?: string; password?: string } = {}): Promise<TestMember> {
  const email = overrides.email ?? `${unique('member')}@example.com`;
  const password = overrides.password ?? 'correct horse battery';
  const data = await execute(app, SignUp, { input: { email, password, firstName: 'Ada', lastName: 'Lovelace' } });
  const result = success(data.signUp, 'SignUpSuccess');
  return { id: result.viewer.id, email: result.viewer.email, password, token: result.token };
}

const CreateOrganization = graphql(`
  mutation FactoryCreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) {
      __typename
      ... on CreateOrganizationSuccess { organization { id slug } }
      ... on Error { code message }
    }
  }
`);

export async function createOrganization(app: App, admin: TestMember, timeZone = 'Europe/Paris') {
  const slug = unique('org');
  const data = await execute(app, CreateOrganization, { input: { name: `Club ${slug}`, slug, timeZone } }, { token: admin.token });
  return success(data.createOrganization, 'CreateOrganizationSuccess').organization;
}

const CreateVenue = graphql(`
  mutation FactoryCreateVenue($input: CreateVenueInput!) {
    createVenue(input: $input) {
      __typename
      ... on CreateVenueSuccess { venue { id } }
      ... on Error { code message }
    }
  }
`);

const CreateActivity = graphql(`
  mutation FactoryCreateActivity($input: CreateActivityInput!) {
    createActivity(input: $input) {
      __typename
      ... on CreateActivitySuccess { activity { id } }
      ... on Error { code message }
    }
  }
`);

const ScheduleSession = graphql(`
  mutation FactoryScheduleSession($input: ScheduleSessionInput!) {
    scheduleSession(input: $input) {
      __typename
      ... on ScheduleSessionSuccess { session { id startsAt capacity seatsLeft } }
      ... on Error { code message }
    }
  }
`);

/** An organisation with a venue and an adult activity, run by a fresh admin. */
export async function createCatalogue(app: App, timeZone = 'Europe/Paris') {
  const admin = await createMember(app);
  const organization = await createOrganization(app, admin, timeZone);
  const options = { token: admin.token };
  const venue = success(
    (
      await execute(
        app,
        CreateVenue,
        { input: { organizationId: organization.id, name: 'Pool', address: '1 rue de l’Eau', city: 'Paris', latitude: 48.85, longitude: 2.35 } },
        options,
      )
    ).createVenue,
    'CreateVenueSuccess',
  ).venue;
  const activity = success(
    (
      await execute(
        app,
        CreateActivity,
        { input: { organizationId: organization.id, name: 'Aquagym', audience: 'ADULT', cancellationNoticeHours: 4 } },
        options,
      )
    ).createActivity,
    'CreateActivitySuccess',
  ).activity;
  return { admin, organization, venue, activity };
}

export async function scheduleSession(
  app: App,
  catalogue: Awaited<ReturnType<typeof createCatalogue>>,
  {
    startsInHours = 48,
    capacity = 10,
    startsAt: at,
    activityId,
  }: { startsInHours?: number; capacity?: number; startsAt?: Date; activityId?: string } = {},
) {
  const startsAt = at ?? new Date(Date.now() + startsInHours * 3_600_000);
  const endsAt = new Date(startsAt.getTime() + 3_600_000);
  const data = await execute(
    app,
    ScheduleSession,
    {
      input: {
        activityId: activityId ?? catalogue.activity.id,
        venueId: catalogue.venue.id,
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
        capacity,
      },
    },
    { token: catalogue.admin.token },
  );
  return success(data.scheduleSession, 'ScheduleSessionSuccess').session;
}

const AddBeneficiary = graphql(`
  mutation FactoryAddBeneficiary($input: AddBeneficiaryInput!) {
    addBeneficiary(input: $input) {
      __typename
      ... on AddBeneficiarySuccess { beneficiary { id } }
      ... on Error { code message }
    }
  }
`);

/** A beneficiary of `member`; an adult born in 1990 unless told otherwise. */
export async function addBeneficiary(app: App, member: TestMember, birthDate = '1990-05-17', firstName = 'Ada') {
  const data = await execute(app, AddBeneficiary, { input: { firstName, lastName: 'Lovelace', birthDate } }, { token: member.token });
  return success(data.addBeneficiary, 'AddBeneficiarySuccess').beneficiary.id;
}

const CreateOffer = graphql(`
  mutation FactoryCreateOffer($input: CreateOfferInput!) {
    createOffer(input: $input) {
      __typename
      ... on CreateOfferSuccess { offer { id } }
      ... on Error { code message }
    }
  }
`);

export type OfferOptions = {
  kind?: 'PACK' | 'SUBSCRIPTION' | 'SINGLE';
  credits?: number;
  priceCents?: number;
  validityDays?: number | null;
  period?: 'MONTH' | 'FOUR_WEEKS' | null;
  activityIds?: string[];
};

/** A staff-created offer; a 10-credit pack valid 90 days for 100 € by default. */
export async function createOffer(app: App, catalogue: { admin: TestMember; organization: { id: string } }, options: OfferOptions = {}) {
  const kind = options.kind ?? 'PACK';
  const data = await execute(
    app,
    CreateOffer,
    {
      input: {
        organizationId: catalogue.organization.id,
        kind,
        name: `${kind} ${unique('offer')}`,
        priceCents: options.priceCents ?? 10_000,
        credits: options.credits ?? 10,
        validityDays: kind === 'SUBSCRIPTION' ? null : (options.validityDays ?? 90),
        period: kind === 'SUBSCRIPTION' ? (options.period ?? 'MONTH') : null,
        activityIds: options.activityIds ?? [],
      },
    },
    { token: catalogue.admin.token },
  );
  return success(data.createOffer, 'CreateOfferSuccess').offer.id;
}

const PurchaseOffer = graphql(`
  mutation FactoryPurchaseOffer($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id status amountDue { amountCents } } }
      ... on Error { code message }
    }
  }
`);

const RecordPayment = graphql(`
  mutation FactoryRecordPayment($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

/** The member orders the offer for the beneficiary and staff take the whole amount in cash. */
export async function buyCredits(
  app: App,
  catalogue: { admin: TestMember },
  member: TestMember,
  offerId: string,
  beneficiaryId: string,
): Promise<string> {
  const ordered = success(
    (await execute(app, PurchaseOffer, { input: { offerId, beneficiaryId } }, { token: member.token })).purchaseOffer,
    'PurchaseOfferSuccess',
  ).order;
  if (ordered.status === 'PAID') return ordered.id;
  const paid = success(
    (
      await execute(
        app,
        RecordPayment,
        { input: { orderId: ordered.id, method: 'CASH', amountCents: ordered.amountDue.amountCents } },
        { token: catalogue.admin.token },
      )
    ).recordPayment,
    'RecordPaymentSuccess',
  ).order;
  if (paid.status !== 'PAID') throw new Error(`order not paid: ${paid.status}`);
  return paid.id;
}

const BookSession = graphql(`
  mutation FactoryBookSession($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status } }
      ... on Error { code message }
    }
  }
`);

export async function book(app: App, member: TestMember, sessionId: string, beneficiaryId: string): Promise<string> {
  const data = await execute(app, BookSession, { input: { sessionId, beneficiaryId } }, { token: member.token });
  return success(data.bookSession, 'BookSessionSuccess').booking.id;
}

/** A member with one adult beneficiary who bought a pack of `credits` (paid in cash at the desk). */
export async function memberWithCredits(
  app: App,
  catalogue: { admin: TestMember; organization: { id: string } },
  credits = 10,
): Promise<TestMember & { beneficiaryId: string; offerId: string }> {
  const member = await createMember(app);
  const beneficiaryId = await addBeneficiary(app, member);
  const offerId = await createOffer(app, catalogue, { credits });
  await buyCredits(app, catalogue, member, offerId, beneficiaryId);
  return { ...member, beneficiaryId, offerId };
}
