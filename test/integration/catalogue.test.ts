import { randomUUID } from 'node:crypto';
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
import { createCatalogue, createMember, createOrganization, scheduleSession, unique } from '../support/factories.js';

const CreateOrganization = graphql(`
  mutation CatalogueCreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) {
      __typename
      ... on CreateOrganizationSuccess { organization { id slug name timeZone viewerRole } }
      ... on Error { code message }
      ... on ValidationError { field issues { field message } }
    }
  }
`);

const Organization = graphql(`
  query CatalogueOrganization($slug: String!) {
    organization(slug: $slug) {
      id
      slug
      timeZone
      viewerRole
      venues { id name }
      activities { id name }
      coaches { id displayName }
    }
  }
`);

const CreateVenue = graphql(`
  mutation CatalogueCreateVenue($input: CreateVenueInput!) {
    createVenue(input: $input) {
      __typename
      ... on CreateVenueSuccess { venue { id name city } }
      ... on Error { code message }
      ... on ValidationError { field }
      ... on NotFoundError { field }
    }
  }
`);

const CreateCoach = graphql(`
  mutation CatalogueCreateCoach($input: CreateCoachInput!) {
    createCoach(input: $input) {
      __typename
      ... on CreateCoachSuccess { coach { id displayName } }
      ... on Error { code message }
      ... on ValidationError { field }
      ... on NotFoundError { field }
    }
  }
`);

const CreateActivity = graphql(`
  mutation CatalogueCreateActivity($input: CreateActivityInput!) {
    createActivity(input: $input) {
      __typename
      ... on CreateActivitySuccess { activity { id name audience minAgeMonths maxAgeMonths cancellationNoticeHours } }
      ... on Error { code message }
      ... on ValidationError { field issues { field message } }
      ... on NotFoundError { field }
    }
  }
`);

const ScheduleSession = graphql(`
  mutation CatalogueScheduleSession($input: ScheduleSessionInput!) {
    scheduleSession(input: $input) {
      __typename
      ... on ScheduleSessionSuccess { session { id startsAt endsAt capacity seatsLeft } }
      ... on Error { code message }
      ... on ValidationError { field issues { field message } }
      ... on NotFoundError { field }
    }
  }
`);

const CreateOffer = graphql(`
  mutation CatalogueCreateOffer($input: CreateOfferInput!) {
    createOffer(input: $input) {
      __typename
      ... on CreateOfferSuccess { offer { id kind name credits validityDays price { amountCents currency } } }
      ... on Error { code message }
      ... on ValidationError { field issues { field message } }
      ... on NotFoundError { field }
    }
  }
`);

const Offers = graphql(`
  query CatalogueOffers($organizationId: ID!) {
    offers(organizationId: $organizationId) {
      id
      kind
      name
      credits
      validityDays
      period
      price { amountCents currency }
      activities { id name }
    }
  }
`);

const Sessions = graphql(`
  query CatalogueSessions($filter: SessionFilter!, $first: Int, $after: String) {
    sessions(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node { id startsAt capacity seatsLeft venue { id } activity { id } }
      }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);

const Node = graphql(`
  query CatalogueNode($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Session { startsAt capacity venue { id } }
      ... on Venue { name city }
      ... on Organization { slug }
    }
  }
`);

const MemberNode = graphql(`
  query CatalogueMemberNode($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Member { email firstName }
    }
  }
`);

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

/** A well-formed global ID (base64 "Type:uuid") that names nothing. */
function globalId(typename: string, id: string = randomUUID()): string {
  return Buffer.from(`${typename}:${id}`).toString('base64');
}

function hoursFromNow(hours: number): string {
  return new Date(Date.now() + hours * 3_600_000).toISOString();
}

/** Raw HTTP POST through the real server, for status codes. */
async function post<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, locale?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (locale) headers['accept-language'] = locale;
  const response = await app.yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: response.status, body };
}

async function sessionIds(organizationId: string, filter: Record<string, unknown> = {}, first?: number): Promise<string[]> {
  const data = await execute(app, Sessions, { filter: { organizationId, ...filter }, first });
  return data.sessions.edges.map((edge) => edge.node.id);
}

async function addVenue(catalogue: Catalogue, name: string) {
  const data = await execute(
    app,
    CreateVenue,
    { input: { organizationId: catalogue.organization.id, name, address: '2 rue du Stade', city: 'Lyon', latitude: 45.76, longitude: 4.83 } },
    { token: catalogue.admin.token },
  );
  return success(data.createVenue, 'CreateVenueSuccess').venue;
}

async function addActivity(catalogue: Catalogue, name: string) {
  const data = await execute(
    app,
    CreateActivity,
    { input: { organizationId: catalogue.organization.id, name, audience: 'ADULT', cancellationNoticeHours: 6 } },
    { token: catalogue.admin.token },
  );
  return success(data.createActivity, 'CreateActivitySuccess').activity;
}

/** Schedules at exact instants (the factory derives them from Date.now()). */
async function scheduleAt(catalogue: Catalogue, startsAt: string, capacity = 10) {
  const endsAt = new Date(Date.parse(startsAt) + 3_600_000).toISOString();
  const data = await execute(
    app,
    ScheduleSession,
    { input: { activityId: catalogue.activity.id, venueId: catalogue.venue.id, startsAt, endsAt, capacity } },
    { token: catalogue.admin.token },
  );
  return success(data.scheduleSession, 'ScheduleSessionSuccess').session;
}

describe('createOrganization', () => {
  it('makes the caller ADMIN; other members and anonymous callers have no role', async () => {
    const creator = await createMember(app);
    const slug = unique('club');
    const data = await execute(app, CreateOrganization, { input: { name: '  Club Nautique ', slug, timeZone: 'America/New_York' } }, { token: creator.token });
    const organization = success(data.createOrganization, 'CreateOrganizationSuccess').organization;
    expect(organization).toMatchObject({ slug, name: 'Club Nautique', timeZone: 'America/New_York', viewerRole: 'ADMIN' });

    const asCreator = await execute(app, Organization, { slug }, { token: creator.token });
    expect(asCreator.organization).toMatchObject({ id: organization.id, slug, viewerRole: 'ADMIN' });

    const stranger = await createMember(app);
    const asStranger = await execute(app, Organization, { slug }, { token: stranger.token });
    expect(asStranger.organization?.id).toBe(organization.id);
    expect(asStranger.organization?.viewerRole).toBeNull();

    const anonymous = await execute(app, Organization, { slug });
    expect(anonymous.organization?.id).toBe(organization.id);
    expect(anonymous.organization?.viewerRole).toBeNull();
  });

  it('defaults the time zone to Europe/Paris', async () => {
    const creator = await createMember(app);
    const slug = unique('paris');
    const data = await execute(app, CreateOrganization, { input: { name: 'Club', slug } }, { token: creator.token });
    expect(success(data.createOrganization, 'CreateOrganizationSuccess').organization.timeZone).toBe('Europe/Paris');
  });

  it('refuses a slug already taken with VALIDATION on ["slug"], and keeps the first owner', async () => {
    const first = await createMember(app);
    const organization = await createOrganization(app, first);
    const second = await createMember(app);
    const data = await execute(
      app,
      CreateOrganization,
      { input: { name: 'Copycat', slug: organization.slug } },
      { token: second.token, locale: 'en' },
    );
    expect(data.createOrganization).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['slug'],
      message: 'This identifier is already used by another organization.',
    });
    const asSecond = await execute(app, Organization, { slug: organization.slug }, { token: second.token });
    expect(asSecond.organization?.id).toBe(organization.id);
    expect(asSecond.organization?.viewerRole).toBeNull();
  });

  it('lets exactly one of two simultaneous creations with one slug through', async () => {
    const [a, b] = await Promise.all([createMember(app), createMember(app)]);
    const slug = unique('race');
    const results = await Promise.all(
      [a, b].map((member) => execute(app, CreateOrganization, { input: { name: 'Race', slug } }, { token: member.token })),
    );
    const typenames = results.map((r) => r.createOrganization.__typename).sort();
    expect(typenames).toEqual(['CreateOrganizationSuccess', 'ValidationError']);
    const failed = results.find((r) => r.createOrganization.__typename === 'ValidationError');
    expect(failed?.createOrganization).toMatchObject({ code: 'VALIDATION', field: ['slug'] });
  });

  it('refuses a malformed slug and an unknown time zone on those fields, creating nothing', async () => {
    const member = await createMember(app);
    const badSlug = await execute(app, CreateOrganization, { input: { name: 'Club', slug: 'Bad Slug!' } }, { token: member.token });
    expect(badSlug.createOrganization).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['slug'] });
    expect((await execute(app, Organization, { slug: 'Bad Slug!' })).organization).toBeNull();

    const slug = unique('tz');
    const badZone = await execute(
      app,
      CreateOrganization,
      { input: { name: 'Club', slug, timeZone: 'Mars/Olympus' } },
      { token: member.token, locale: 'en' },
    );
    expect(badZone.createOrganization).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['timeZone'],
      message: 'The time zone is not recognised (example: Europe/Paris).',
    });
    expect((await execute(app, Organization, { slug })).organization).toBeNull();

    const both = await execute(app, CreateOrganization, { input: { name: 'Club', slug: 'Bad Slug!', timeZone: 'Mars/Olympus' } }, { token: member.token });
    if (both.createOrganization.__typename !== 'ValidationError') throw new Error('expected a ValidationError');
    expect(both.createOrganization.issues.map((issue) => issue.field)).toEqual([['slug'], ['timeZone']]);
  });

  it('needs a login', async () => {
    const slug = unique('anon');
    const data = await execute(app, CreateOrganization, { input: { name: 'Club', slug } });
    expect(data.createOrganization).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
    expect((await execute(app, Organization, { slug })).organization).toBeNull();
  });
});

describe('staff-only catalogue mutations', () => {
  let catalogue: Catalogue;
  let session: { id: string };
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
    session = await scheduleSession(app, catalogue, { startsInHours: 30 });
  });

  async function snapshot() {
    const organization = (await execute(app, Organization, { slug: catalogue.organization.slug })).organization;
    const offers = (await execute(app, Offers, { organizationId: catalogue.organization.id })).offers;
    const sessions = await sessionIds(catalogue.organization.id);
    return {
      venues: organization?.venues.map((v) => v.id),
      activities: organization?.activities.map((a) => a.id),
      coaches: organization?.coaches.map((c) => c.id),
      offers: offers.map((o) => o.id),
      sessions,
    };
  }

  function attempts(organizationId: string) {
    return [
      {
        name: 'createVenue',
        run: async (token?: string) =>
          (await execute(app, CreateVenue, { input: { organizationId, name: 'Intruder pool', address: '3 rue X', city: 'Nice', latitude: 43.7, longitude: 7.26 } }, { token }))
            .createVenue,
      },
      {
        name: 'createActivity',
        run: async (token?: string) =>
          (await execute(app, CreateActivity, { input: { organizationId, name: 'Intruder class', audience: 'ADULT', cancellationNoticeHours: 4 } }, { token }))
            .createActivity,
      },
      {
        name: 'scheduleSession',
        run: async (token?: string) =>
          (
            await execute(
              app,
              ScheduleSession,
              { input: { activityId: catalogue.activity.id, venueId: catalogue.venue.id, startsAt: hoursFromNow(50), endsAt: hoursFromNow(51), capacity: 5 } },
              { token },
            )
          ).scheduleSession,
      },
      {
        name: 'createOffer',
        run: async (token?: string) =>
          (await execute(app, CreateOffer, { input: { organizationId, kind: 'PACK', name: 'Intruder pack', priceCents: 100, credits: 5, validityDays: 30 } }, { token }))
            .createOffer,
      },
      {
        name: 'createCoach',
        run: async (token?: string) =>
          (await execute(app, CreateCoach, { input: { organizationId, displayName: 'Intruder coach' } }, { token })).createCoach,
      },
    ];
  }

  it('answer FORBIDDEN to a logged-in member who is not staff, and write nothing', async () => {
    const before = await snapshot();
    expect(before.sessions).toEqual([session.id]);
    const outsider = await createMember(app);
    for (const attempt of attempts(catalogue.organization.id)) {
      const result = await attempt.run(outsider.token);
      expect(result, attempt.name).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answer FORBIDDEN to the admin of another organization', async () => {
    const before = await snapshot();
    const other = await createCatalogue(app);
    for (const attempt of attempts(catalogue.organization.id)) {
      const result = await attempt.run(other.admin.token);
      expect(result, attempt.name).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answer UNAUTHENTICATED without a login, and write nothing', async () => {
    const before = await snapshot();
    for (const attempt of attempts(catalogue.organization.id)) {
      const result = await attempt.run(undefined);
      expect(result, attempt.name).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('let the admin do all of it', async () => {
    const before = await snapshot();
    for (const attempt of attempts(catalogue.organization.id)) {
      const result = await attempt.run(catalogue.admin.token);
      expect(result.__typename, attempt.name).toMatch(/Success$/);
    }
    const after = await snapshot();
    expect(after.venues).toHaveLength(before.venues!.length + 1);
    expect(after.activities).toHaveLength(before.activities!.length + 1);
    expect(after.coaches).toHaveLength(before.coaches!.length + 1);
    expect(after.offers).toHaveLength(before.offers.length + 1);
    expect(after.sessions).toHaveLength(before.sessions.length + 1);
  });
});

describe('unknown ids', () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
  });

  /** Each bad organizationId with the code it gets: NOT_FOUND when well-formed, VALIDATION when it cannot name an organization. */
  function badOrganizationIds() {
    return {
      'a well-formed ID of no organization': [globalId('Organization'), 'NotFoundError', 'NOT_FOUND'],
      'a garbage string': ['not-an-id', 'ValidationError', 'VALIDATION'],
      'an ID of another type': [catalogue.venue.id, 'ValidationError', 'VALIDATION'],
    } as const;
  }

  it('answer NOT_FOUND (or VALIDATION, malformed) on ["organizationId"] to every organization-scoped mutation', async () => {
    const options = { token: catalogue.admin.token };
    for (const [label, [organizationId, typename, code]] of Object.entries(badOrganizationIds())) {
      const results = {
        createVenue: (await execute(app, CreateVenue, { input: { organizationId, name: 'P', address: 'A', city: 'C', latitude: 0, longitude: 0 } }, options))
          .createVenue,
        createActivity: (await execute(app, CreateActivity, { input: { organizationId, name: 'A', audience: 'ADULT', cancellationNoticeHours: 1 } }, options))
          .createActivity,
        createOffer: (await execute(app, CreateOffer, { input: { organizationId, kind: 'SINGLE', name: 'S', priceCents: 10, validityDays: 30 } }, options))
          .createOffer,
        createCoach: (await execute(app, CreateCoach, { input: { organizationId, displayName: 'C' } }, options)).createCoach,
      };
      for (const [mutation, result] of Object.entries(results)) {
        expect(result, `${mutation} with ${label}`).toMatchObject({ __typename: typename, code, field: ['organizationId'] });
      }
    }
  });

  it('name the organization in the message, in the requested language', async () => {
    const data = await execute(
      app,
      CreateCoach,
      { input: { organizationId: globalId('Organization'), displayName: 'C' } },
      { token: catalogue.admin.token, locale: 'en' },
    );
    expect(data.createCoach).toMatchObject({ code: 'NOT_FOUND', message: 'Organization not found.' });
    const fr = await execute(app, CreateCoach, { input: { organizationId: globalId('Organization'), displayName: 'C' } }, { token: catalogue.admin.token });
    expect(fr.createCoach).toMatchObject({ code: 'NOT_FOUND', message: 'Organisation introuvable.' });
    const malformed = await execute(app, CreateCoach, { input: { organizationId: 'garbage', displayName: 'C' } }, { token: catalogue.admin.token, locale: 'en' });
    expect(malformed.createCoach).toMatchObject({ code: 'VALIDATION', message: 'This is not a valid ID of the type “Organization”.' });
  });

  it('answer NOT_FOUND (VALIDATION when malformed) on the field that holds the unknown activity, venue or coach', async () => {
    const options = { token: catalogue.admin.token };
    const base = { activityId: catalogue.activity.id, venueId: catalogue.venue.id, startsAt: hoursFromNow(20), endsAt: hoursFromNow(21), capacity: 4 };
    const cases: [Record<string, string>, string, string][] = [
      [{ activityId: globalId('Activity') }, 'activityId', 'NOT_FOUND'],
      [{ activityId: 'garbage' }, 'activityId', 'VALIDATION'],
      [{ activityId: catalogue.venue.id }, 'activityId', 'VALIDATION'],
      [{ venueId: globalId('Venue') }, 'venueId', 'NOT_FOUND'],
      [{ venueId: 'garbage' }, 'venueId', 'VALIDATION'],
      [{ venueId: catalogue.activity.id }, 'venueId', 'VALIDATION'],
      [{ coachId: globalId('Coach') }, 'coachId', 'NOT_FOUND'],
    ];
    for (const [override, field, code] of cases) {
      const data = await execute(app, ScheduleSession, { input: { ...base, ...override } }, options);
      expect(data.scheduleSession, JSON.stringify(override)).toMatchObject({ code, field: [field] });
    }
    expect(await sessionIds(catalogue.organization.id)).toEqual([]);
  });

  it('answer NOT_FOUND for an unknown activity in an offer', async () => {
    const data = await execute(
      app,
      CreateOffer,
      {
        input: {
          organizationId: catalogue.organization.id,
          kind: 'PACK',
          name: 'Pack',
          priceCents: 1000,
          credits: 5,
          validityDays: 30,
          activityIds: [catalogue.activity.id, globalId('Activity')],
        },
      },
      { token: catalogue.admin.token },
    );
    expect(data.createOffer).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    if (data.createOffer.__typename !== 'NotFoundError') throw new Error('expected a NotFoundError');
    expect(data.createOffer.field?.[0]).toBe('activityIds');
    expect((await execute(app, Offers, { organizationId: catalogue.organization.id })).offers).toEqual([]);
  });
});

describe('scheduleSession validation', () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
  });

  function input(overrides: Partial<{ startsAt: string; endsAt: string; capacity: number; venueId: string }> = {}) {
    return {
      activityId: catalogue.activity.id,
      venueId: catalogue.venue.id,
      startsAt: hoursFromNow(10),
      endsAt: hoursFromNow(11),
      capacity: 8,
      ...overrides,
    };
  }

  it('refuses an end before the start, in French by default and in English on request', async () => {
    const bad = input({ startsAt: hoursFromNow(10), endsAt: hoursFromNow(9) });
    const fr = await execute(app, ScheduleSession, { input: bad }, { token: catalogue.admin.token });
    expect(fr.scheduleSession).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['endsAt'],
      message: 'La fin doit être postérieure au début.',
    });
    const en = await execute(app, ScheduleSession, { input: bad }, { token: catalogue.admin.token, locale: 'en' });
    expect(en.scheduleSession).toMatchObject({ code: 'VALIDATION', field: ['endsAt'], message: 'The end must be after the start.' });

    const same = hoursFromNow(12);
    const zeroLength = await execute(app, ScheduleSession, { input: input({ startsAt: same, endsAt: same }) }, { token: catalogue.admin.token });
    expect(zeroLength.scheduleSession).toMatchObject({ code: 'VALIDATION', field: ['endsAt'] });
  });

  it('refuses a negative capacity', async () => {
    const data = await execute(app, ScheduleSession, { input: input({ capacity: -1 }) }, { token: catalogue.admin.token, locale: 'en' });
    expect(data.scheduleSession).toMatchObject({ code: 'VALIDATION', field: ['capacity'], message: 'The value cannot be negative.' });
  });

  it('refuses a start in the past', async () => {
    const data = await execute(app, ScheduleSession, { input: input({ startsAt: hoursFromNow(-2), endsAt: hoursFromNow(-1) }) }, { token: catalogue.admin.token });
    expect(data.scheduleSession).toMatchObject({
      code: 'VALIDATION',
      field: ['startsAt'],
      message: 'Une séance ne peut pas commencer dans le passé.',
    });
  });

  it('lists every problem at once', async () => {
    const data = await execute(
      app,
      ScheduleSession,
      { input: input({ startsAt: hoursFromNow(-2), endsAt: hoursFromNow(-3), capacity: -5 }) },
      { token: catalogue.admin.token, locale: 'en' },
    );
    if (data.scheduleSession.__typename !== 'ValidationError') throw new Error(`expected a ValidationError, got ${JSON.stringify(data.scheduleSession)}`);
    expect(data.scheduleSession.issues).toEqual([
      { field: ['startsAt'], message: 'A session cannot start in the past.' },
      { field: ['endsAt'], message: 'The end must be after the start.' },
      { field: ['capacity'], message: 'The value cannot be negative.' },
    ]);
  });

  it("refuses another organization's venue", async () => {
    const other = await createCatalogue(app);
    const data = await execute(app, ScheduleSession, { input: input({ venueId: other.venue.id }) }, { token: catalogue.admin.token, locale: 'en' });
    expect(data.scheduleSession).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['venueId'],
      message: 'This item belongs to another organization.',
    });
  });

  it('wrote none of the refused sessions, and accepts a valid one with capacity 0', async () => {
    expect(await sessionIds(catalogue.organization.id)).toEqual([]);
    const data = await execute(app, ScheduleSession, { input: input({ capacity: 0 }) }, { token: catalogue.admin.token });
    const session = success(data.scheduleSession, 'ScheduleSessionSuccess').session;
    expect(session).toMatchObject({ capacity: 0, seatsLeft: 0 });
    expect(await sessionIds(catalogue.organization.id)).toEqual([session.id]);
  });
});

describe('createActivity validation', () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
  });

  it('refuses a minimum age above the maximum age on ["maxAgeMonths"]', async () => {
    const data = await execute(
      app,
      CreateActivity,
      { input: { organizationId: catalogue.organization.id, name: 'Bébés nageurs', audience: 'CHILD', minAgeMonths: 36, maxAgeMonths: 6, cancellationNoticeHours: 24 } },
      { token: catalogue.admin.token, locale: 'en' },
    );
    expect(data.createActivity).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['maxAgeMonths'],
      message: 'The minimum age cannot exceed the maximum age.',
    });
  });

  it('refuses a negative cancellation notice', async () => {
    const data = await execute(
      app,
      CreateActivity,
      { input: { organizationId: catalogue.organization.id, name: 'Aquabike', audience: 'ADULT', cancellationNoticeHours: -1 } },
      { token: catalogue.admin.token },
    );
    expect(data.createActivity).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['cancellationNoticeHours'],
      message: 'La valeur ne peut pas être négative.',
    });
  });

  it('wrote neither, and accepts a valid child activity', async () => {
    const names = async () =>
      (await execute(app, Organization, { slug: catalogue.organization.slug })).organization?.activities.map((a) => a.name);
    expect(await names()).toEqual(['Aquagym']);
    const data = await execute(
      app,
      CreateActivity,
      { input: { organizationId: catalogue.organization.id, name: 'Bébés nageurs', audience: 'CHILD', minAgeMonths: 6, maxAgeMonths: 36, cancellationNoticeHours: 24 } },
      { token: catalogue.admin.token },
    );
    expect(success(data.createActivity, 'CreateActivitySuccess').activity).toMatchObject({
      audience: 'CHILD',
      minAgeMonths: 6,
      maxAgeMonths: 36,
      cancellationNoticeHours: 24,
    });
    expect(await names()).toEqual(['Aquagym', 'Bébés nageurs']);
  });
});

describe('createOffer and offers', () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
  });

  it('refuses a subscription without a period on ["period"]', async () => {
    const data = await execute(
      app,
      CreateOffer,
      { input: { organizationId: catalogue.organization.id, kind: 'SUBSCRIPTION', name: 'Mensuel', priceCents: 4900, credits: 4 } },
      { token: catalogue.admin.token, locale: 'en' },
    );
    expect(data.createOffer).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['period'],
      message: 'A subscription must state its period (MONTH or FOUR_WEEKS).',
    });
    expect((await execute(app, Offers, { organizationId: catalogue.organization.id })).offers).toEqual([]);
  });

  it("refuses another organization's activities", async () => {
    const other = await createCatalogue(app);
    const data = await execute(
      app,
      CreateOffer,
      {
        input: {
          organizationId: catalogue.organization.id,
          kind: 'PACK',
          name: 'Pack volé',
          priceCents: 1000,
          credits: 5,
          validityDays: 30,
          activityIds: [other.activity.id],
        },
      },
      { token: catalogue.admin.token },
    );
    expect(data.createOffer).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['activityIds'] });
    expect((await execute(app, Offers, { organizationId: catalogue.organization.id })).offers).toEqual([]);
  });

  it('creates a pack that then appears in offers with its price and activities, cheapest first', async () => {
    const options = { token: catalogue.admin.token };
    const pack = success(
      (
        await execute(
          app,
          CreateOffer,
          {
            input: {
              organizationId: catalogue.organization.id,
              kind: 'PACK',
              name: 'Carte 10 séances',
              priceCents: 15000,
              credits: 10,
              validityDays: 180,
              activityIds: [catalogue.activity.id],
            },
          },
          options,
        )
      ).createOffer,
      'CreateOfferSuccess',
    ).offer;
    expect(pack).toMatchObject({ kind: 'PACK', credits: 10, validityDays: 180, price: { amountCents: 15000, currency: 'EUR' } });

    const single = success(
      (
        await execute(
          app,
          CreateOffer,
          { input: { organizationId: catalogue.organization.id, kind: 'SINGLE', name: 'Séance', priceCents: 1800, validityDays: 30 } },
          options,
        )
      ).createOffer,
      'CreateOfferSuccess',
    ).offer;
    expect(single.credits).toBe(1);

    const offers = (await execute(app, Offers, { organizationId: catalogue.organization.id })).offers;
    expect(offers).toEqual([
      {
        id: single.id,
        kind: 'SINGLE',
        name: 'Séance',
        credits: 1,
        validityDays: 30,
        period: null,
        price: { amountCents: 1800, currency: 'EUR' },
        activities: [],
      },
      {
        id: pack.id,
        kind: 'PACK',
        name: 'Carte 10 séances',
        credits: 10,
        validityDays: 180,
        period: null,
        price: { amountCents: 15000, currency: 'EUR' },
        activities: [{ id: catalogue.activity.id, name: 'Aquagym' }],
      },
    ]);
  });

  it("never shows an organization's offers under another organization; an unknown id is NOT_FOUND, a malformed one VALIDATION", async () => {
    const other = await createCatalogue(app);
    expect((await execute(app, Offers, { organizationId: other.organization.id })).offers).toEqual([]);
    const malformed = await request(app, Offers, { organizationId: 'garbage' }, { locale: 'en' });
    expect(malformed.data ?? null).toBeNull();
    expect(malformed.errors).toMatchObject([
      { message: 'This is not a valid ID of the type “Organization”.', extensions: { code: 'VALIDATION', field: ['organizationId'] } },
    ]);
    const unknown = await request(app, Offers, { organizationId: globalId('Organization') }, { locale: 'en' });
    expect(unknown.data ?? null).toBeNull();
    expect(unknown.errors).toMatchObject([{ message: 'Organization not found.', extensions: { code: 'NOT_FOUND', field: ['organizationId'] } }]);
  });
});

describe('sessions(filter)', () => {
  let catalogue: Catalogue;
  let secondVenue: { id: string };
  let secondActivity: { id: string };
  /** Sessions of the catalogue, in start order. */
  let ordered: { id: string; startsAt: string; venueId: string; activityId: string; capacity: number }[];

  beforeAll(async () => {
    catalogue = await createCatalogue(app);
    secondVenue = await addVenue(catalogue, 'Gymnase');
    secondActivity = await addActivity(catalogue, 'Yoga');
    // Created out of start order, so that ordering by id would not pass for ordering by start.
    const at72 = await scheduleSession(app, catalogue, { startsInHours: 72 });
    const at24 = await scheduleSession(app, { ...catalogue, venue: secondVenue }, { startsInHours: 24 });
    const at96 = await scheduleSession(app, { ...catalogue, activity: secondActivity }, { startsInHours: 96 });
    const at48 = await scheduleSession(app, catalogue, { startsInHours: 48, capacity: 0 });
    const at120 = await scheduleSession(app, { ...catalogue, venue: secondVenue, activity: secondActivity }, { startsInHours: 120 });
    const v1 = catalogue.venue.id;
    const a1 = catalogue.activity.id;
    ordered = [
      { ...at24, venueId: secondVenue.id, activityId: a1 },
      { ...at48, venueId: v1, activityId: a1 },
      { ...at72, venueId: v1, activityId: a1 },
      { ...at96, venueId: v1, activityId: secondActivity.id },
      { ...at120, venueId: secondVenue.id, activityId: secondActivity.id },
    ];
  });

  const ids = (list: { id: string }[]) => list.map((s) => s.id);

  it('returns a Relay connection of the organization’s sessions, by start time', async () => {
    const data = await execute(app, Sessions, { filter: { organizationId: catalogue.organization.id } });
    const { edges, pageInfo } = data.sessions;
    expect(edges.map((e) => e.node.id)).toEqual(ids(ordered));
    const starts = edges.map((e) => Date.parse(e.node.startsAt));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const edge of edges) expect(edge.cursor).toEqual(expect.any(String));
    expect(new Set(edges.map((e) => e.cursor)).size).toBe(edges.length);
    expect(pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false, startCursor: edges[0]?.cursor, endCursor: edges.at(-1)?.cursor });
    expect(edges.map((e) => [e.node.venue.id, e.node.activity.id])).toEqual(ordered.map((s) => [s.venueId, s.activityId]));
  });

  it('filters by venue, activity and ids', async () => {
    const organizationId = catalogue.organization.id;
    expect(await sessionIds(organizationId, { venueId: secondVenue.id })).toEqual(ids(ordered.filter((s) => s.venueId === secondVenue.id)));
    expect(await sessionIds(organizationId, { venueId: catalogue.venue.id })).toEqual(ids(ordered.filter((s) => s.venueId === catalogue.venue.id)));
    expect(await sessionIds(organizationId, { activityId: secondActivity.id })).toEqual(
      ids(ordered.filter((s) => s.activityId === secondActivity.id)),
    );
    expect(await sessionIds(organizationId, { venueId: secondVenue.id, activityId: secondActivity.id })).toEqual([ordered[4]!.id]);
    expect(await sessionIds(organizationId, { ids: [ordered[3]!.id, ordered[0]!.id] })).toEqual([ordered[0]!.id, ordered[3]!.id]);
  });

  it("never mixes in another organization's sessions", async () => {
    const other = await createCatalogue(app);
    const foreign = await scheduleSession(app, other, { startsInHours: 60 });
    expect(await sessionIds(catalogue.organization.id)).toEqual(ids(ordered));
    expect(await sessionIds(other.organization.id)).toEqual([foreign.id]);
    // Another organization's venue under this organization selects nothing.
    expect(await sessionIds(catalogue.organization.id, { venueId: other.venue.id })).toEqual([]);
  });

  it('filters by start time: from inclusive, to exclusive', async () => {
    const organizationId = catalogue.organization.id;
    expect(await sessionIds(organizationId, { from: hoursFromNow(36), to: hoursFromNow(84) })).toEqual([ordered[1]!.id, ordered[2]!.id]);
    expect(await sessionIds(organizationId, { from: hoursFromNow(100) })).toEqual([ordered[4]!.id]);
    expect(await sessionIds(organizationId, { to: hoursFromNow(60) })).toEqual([ordered[0]!.id, ordered[1]!.id]);
    const exact = ordered[2]!.startsAt;
    expect(await sessionIds(organizationId, { from: exact, to: hoursFromNow(84) })).toEqual([ordered[2]!.id]);
    expect(await sessionIds(organizationId, { from: hoursFromNow(60), to: exact })).toEqual([]);
  });

  it('with onlyAvailable, leaves out a session without seats', async () => {
    const organizationId = catalogue.organization.id;
    const full = ordered[1]!;
    expect(full.capacity).toBe(0);
    const all = await execute(app, Sessions, { filter: { organizationId } });
    expect(all.sessions.edges.find((e) => e.node.id === full.id)?.node).toMatchObject({ capacity: 0, seatsLeft: 0 });
    expect(await sessionIds(organizationId, { onlyAvailable: true })).toEqual(ids(ordered.filter((s) => s.id !== full.id)));
    expect(await sessionIds(organizationId, { onlyAvailable: false })).toEqual(ids(ordered));
  });

  it('pages with first and after, without overlap or gap', async () => {
    const organizationId = catalogue.organization.id;
    const seen: string[] = [];
    let after: string | null | undefined;
    const pages: number[] = [];
    for (let page = 0; page < 5; page++) {
      const data = await execute(app, Sessions, { filter: { organizationId }, first: 2, after });
      const pageIds = data.sessions.edges.map((e) => e.node.id);
      pages.push(pageIds.length);
      seen.push(...pageIds);
      if (!data.sessions.pageInfo.hasNextPage) break;
      expect(data.sessions.pageInfo.endCursor).toBe(data.sessions.edges.at(-1)?.cursor);
      after = data.sessions.pageInfo.endCursor;
    }
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(ids(ordered));
  });

  it('pages through sessions that start at the same instant', async () => {
    const tied = await createCatalogue(app);
    const startsAt = new Date(Math.ceil((Date.now() + 40 * 3_600_000) / 60_000) * 60_000).toISOString();
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await scheduleAt(tied, startsAt, 5));
    const expected = created.map((s) => s.id).sort();
    const first = await execute(app, Sessions, { filter: { organizationId: tied.organization.id }, first: 2 });
    expect(first.sessions.pageInfo.hasNextPage).toBe(true);
    const second = await execute(app, Sessions, {
      filter: { organizationId: tied.organization.id },
      first: 2,
      after: first.sessions.pageInfo.endCursor,
    });
    expect(second.sessions.pageInfo.hasNextPage).toBe(false);
    const seen = [...first.sessions.edges, ...second.sessions.edges].map((e) => e.node.id);
    expect(seen).toHaveLength(3);
    expect([...seen].sort()).toEqual(expected);
  });

  it('answers a GraphQL VALIDATION error, not a 500, when `to` is before `from`', async () => {
    const { status, body } = await post(Sessions, {
      filter: { organizationId: catalogue.organization.id, from: hoursFromNow(48), to: hoursFromNow(24) },
    });
    expect(status).toBeLessThan(500);
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(body.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(body.errors?.[0]?.message).toBe('La date de fin du filtre doit être postérieure à sa date de début.');
    expect(body.data ?? null).toBeNull();
  });

  it('translates that error with Accept-Language: en', async () => {
    const response = await request(
      app,
      Sessions,
      { filter: { organizationId: catalogue.organization.id, from: hoursFromNow(48), to: hoursFromNow(24) } },
      { locale: 'en' },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(response.errors?.[0]?.message).toBe("The filter's end must be after its start.");
  });

  it('answers NOT_FOUND for an id that names nothing and VALIDATION for a malformed one, on its path, in the asked language', async () => {
    const organizationId = catalogue.organization.id;
    const cases = [
      [{ venueId: globalId('Venue') }, 'NOT_FOUND', ['filter', 'venueId'], 'Venue not found.'],
      [{ ids: [globalId('Session')] }, 'NOT_FOUND', ['filter', 'ids', '0'], 'Session not found.'],
      [{ venueId: 'garbage' }, 'VALIDATION', ['filter', 'venueId'], 'This is not a valid ID of the type “Venue”.'],
      [{ activityId: catalogue.venue.id }, 'VALIDATION', ['filter', 'activityId'], 'This is not a valid ID of the type “Activity”.'],
      [{ ids: ['garbage'] }, 'VALIDATION', ['filter', 'ids', '0'], 'This is not a valid ID of the type “Session”.'],
    ] as const;
    for (const [filter, code, field, message] of cases) {
      const answer = await request(app, Sessions, { filter: { organizationId, ...(filter as { venueId?: string; activityId?: string; ids?: string[] }) } }, { locale: 'en' });
      expect(answer.data ?? null, JSON.stringify(filter)).toBeNull();
      expect(answer.errors, JSON.stringify(filter)).toMatchObject([{ message, extensions: { code, field } }]);
    }
    const unknownOrganization = await request(app, Sessions, { filter: { organizationId: globalId('Organization') } });
    expect(unknownOrganization.errors).toMatchObject([{ message: 'Organisation introuvable.', extensions: { code: 'NOT_FOUND', field: ['filter', 'organizationId'] } }]);
  });
});

describe('node(id)', () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
  });

  it('fetches a session, a venue and an organization by their global IDs, without a login', async () => {
    const session = await scheduleSession(app, catalogue, { startsInHours: 30, capacity: 7 });
    const sessionNode = (await execute(app, Node, { id: session.id })).node;
    expect(sessionNode).toEqual({ __typename: 'Session', id: session.id, startsAt: session.startsAt, capacity: 7, venue: { id: catalogue.venue.id } });

    const venueNode = (await execute(app, Node, { id: catalogue.venue.id })).node;
    expect(venueNode).toEqual({ __typename: 'Venue', id: catalogue.venue.id, name: 'Pool', city: 'Paris' });

    const organizationNode = (await execute(app, Node, { id: catalogue.organization.id }, { token: catalogue.admin.token })).node;
    expect(organizationNode).toEqual({ __typename: 'Organization', id: catalogue.organization.id, slug: catalogue.organization.slug });
  });

  async function nodeAnswers(ids: Record<string, string>) {
    const answers: Record<string, unknown> = {};
    for (const [label, id] of Object.entries(ids)) {
      const response = await request(app, Node, { id });
      answers[label] = { node: response.data?.node, errors: response.errors?.map((e) => e.message) };
    }
    return answers;
  }
  const nullEverywhere = (ids: Record<string, string>) =>
    Object.fromEntries(Object.keys(ids).map((label) => [label, { node: null, errors: undefined }]));

  it('returns null, without an error, for a garbage id', async () => {
    const ids = { garbage: 'garbage', empty: '', unknownType: globalId('Nope') };
    expect(await nodeAnswers(ids)).toEqual(nullEverywhere(ids));
  });

  it('returns null, without an error, for a well-formed id that names nothing', async () => {
    const ids = {
      unknownSession: globalId('Session'),
      unknownVenue: globalId('Venue'),
      notAUuid: Buffer.from('Session:not-a-uuid').toString('base64'),
    };
    expect(await nodeAnswers(ids)).toEqual(nullEverywhere(ids));
  });
});

describe("a member's data", () => {
  it('is visible to that member through node(id)', async () => {
    const member = await createMember(app);
    const own = await execute(app, MemberNode, { id: member.id }, { token: member.token });
    expect(own.node).toMatchObject({ __typename: 'Member', id: member.id, email: member.email });
  });

  it('is hidden from another member and from anonymous callers: no email, null or FORBIDDEN', async () => {
    const member = await createMember(app);
    const stranger = await createMember(app);
    const cases: [string | undefined, string[]][] = [
      [stranger.token, ['FORBIDDEN']],
      [undefined, ['FORBIDDEN', 'UNAUTHENTICATED']],
    ];
    for (const [token, codes] of cases) {
      const response = await request(app, MemberNode, { id: member.id }, { token });
      expect(JSON.stringify(response)).not.toContain(member.email);
      expect(JSON.stringify(response)).not.toContain('@');
      expect(response.data?.node ?? null).toBeNull();
      for (const error of response.errors ?? []) {
        expect(codes).toContain(error.extensions?.code);
      }
    }
  });
});
