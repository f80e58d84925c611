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
export async function createCatalogue(app: App) {
  const admin = await createMember(app);
  const organization = await createOrganization(app, admin);
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
  { startsInHours = 48, capacity = 10 }: { startsInHours?: number; capacity?: number } = {},
) {
  const startsAt = new Date(Date.now() + startsInHours * 3_600_000);
  const endsAt = new Date(startsAt.getTime() + 3_600_000);
  const data = await execute(
    app,
    ScheduleSession,
    {
      input: {
        activityId: catalogue.activity.id,
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
