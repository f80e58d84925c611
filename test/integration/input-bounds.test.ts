import { request as httpRequest } from 'node:http';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
import { subscribe } from '../support/ws.js';
import {
  createCatalogue,
  createMember,
  memberWithCredits,
  scheduleSession,
  unique,
  type TestMember,
} from '../support/factories.js';

// Issue 10, "every input is bounded": lists, strings, IDs, bodies and URLs that a client controls
// are refused early, as a typed VALIDATION result in mutations and a coded, translated GraphQL
// error elsewhere; never a 500, never an unmasked message, and nothing stored.

const uuid = (globalId: string) => decodeGlobalID(globalId).id;
const junkIds = (count: number) => Array.from({ length: count }, (_, i) => `junk-${i}`);

const Nodes = graphql(`
  query BoundsNodes($ids: [ID!]!) {
    nodes(ids: $ids) { id }
  }
`);

const Node = graphql(`
  query BoundsNode($id: ID!) {
    node(id: $id) { id }
  }
`);

const Sessions = graphql(`
  query BoundsSessions($filter: SessionFilter!) {
    sessions(filter: $filter, first: 10) { edges { node { id } } }
  }
`);

const OrganizationBySlug = graphql(`
  query BoundsOrganization($slug: String!) {
    organization(slug: $slug) { id }
  }
`);

const MyBookings = graphql(`
  query BoundsMyBookings($after: String) {
    viewer { bookings(first: 5, after: $after) { edges { node { id } } } }
  }
`);

const Availability = graphql(`
  subscription BoundsAvailability($filter: SessionFilter!) {
    sessionAvailability(filter: $filter) { seatsLeft }
  }
`);

const SignUp = graphql(`
  mutation BoundsSignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field issues { field message } }
    }
  }
`);

const CreateVenue = graphql(`
  mutation BoundsCreateVenue($input: CreateVenueInput!) {
    createVenue(input: $input) {
      __typename
      ... on CreateVenueSuccess { venue { id } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

const CreateActivity = graphql(`
  mutation BoundsCreateActivity($input: CreateActivityInput!) {
    createActivity(input: $input) {
      __typename
      ... on CreateActivitySuccess { activity { id description } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

const CreateOffer = graphql(`
  mutation BoundsCreateOffer($input: CreateOfferInput!) {
    createOffer(input: $input) {
      __typename
      ... on CreateOfferSuccess { offer { id } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

const CreateMember = graphql(`
  mutation BoundsCreateMember($input: CreateMemberInput!) {
    createMember(input: $input) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

const AdjustCredits = graphql(`
  mutation BoundsAdjustCredits($input: AdjustCreditsInput!) {
    adjustCredits(input: $input) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

const BookSession = graphql(`
  mutation BoundsBookSession($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
      ... on NotFoundError { field }
    }
  }
`);

const MyEntitlements = graphql(`
  query BoundsMyEntitlements {
    viewer { entitlements { id } }
  }
`);

let app: App;
let port: number;
let catalogue: Awaited<ReturnType<typeof createCatalogue>>;
const staff = () => ({ token: catalogue.admin.token });

beforeAll(async () => {
  app = await startApp();
  port = await app.listen(0, '127.0.0.1');
  catalogue = await createCatalogue(app);
});

afterAll(async () => {
  await app?.close();
});

/** The one GraphQL error of a refused query: coded VALIDATION, translated, nothing masked. */
function expectValidationError(result: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }, field: string[]) {
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors!;
  expect(error!.extensions).toMatchObject({ code: 'VALIDATION', field });
  expect(error!.message).not.toMatch(/unexpected error|has not been implemented/i);
  return error!.message;
}

describe('list arguments have a maximum', () => {
  it('nodes: 100 ids work, 101 are refused before any is decoded, in French and English', async () => {
    const session = await scheduleSession(app, catalogue);
    const hundred = [session.id, ...junkIds(99)];
    const ok = await request(app, Nodes, { ids: hundred });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.nodes).toHaveLength(100);
    expect(ok.data!.nodes[0]).toEqual({ id: session.id });
    expect(ok.data!.nodes.slice(1).every((node) => node === null)).toBe(true);

    const started = performance.now();
    const fr = await request(app, Nodes, { ids: [...hundred, session.id] });
    expect(performance.now() - started).toBeLessThan(200);
    expect(expectValidationError(fr, ['ids'])).toBe('Au plus 100 éléments à la fois.');
    const en = await request(app, Nodes, { ids: [...hundred, session.id] }, { locale: 'en' });
    expect(expectValidationError(en, ['ids'])).toBe('At most 100 items at once.');
  });

  it('nodes: tens of thousands of junk ids are refused at once, not ground through', async () => {
    const started = performance.now();
    const result = await request(app, Nodes, { ids: junkIds(60_000) }, { locale: 'en' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(expectValidationError(result, ['ids'])).toBe('At most 100 items at once.');
  });

  it('sessions: a filter of 200 ids works, 201 is refused', async () => {
    const session = await scheduleSession(app, catalogue);
    const ids = [session.id, ...Array.from({ length: 199 }, (_, i) => encodeGlobalID('Session', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`))];
    // 200 pass the bound: the answer is about the ids themselves (the first that names nothing).
    const ok = await request(app, Sessions, { filter: { ids } });
    expect(ok.errors).toMatchObject([{ extensions: { code: 'NOT_FOUND', field: ['filter', 'ids', '1'] } }]);
    const known = await request(app, Sessions, { filter: { ids: Array.from({ length: 200 }, () => session.id) } });
    expect(known.errors).toBeUndefined();
    expect(known.data!.sessions.edges.map((edge) => edge.node.id)).toEqual([session.id]);
    const refused = await request(app, Sessions, { filter: { ids: [...ids, session.id] } }, { locale: 'en' });
    expect(expectValidationError(refused, ['filter', 'ids'])).toBe('At most 200 items at once.');
    const refusedFr = await request(app, Sessions, { filter: { ids: junkIds(50_000) } });
    expect(expectValidationError(refusedFr, ['filter', 'ids'])).toBe('Au plus 200 éléments à la fois.');
  });

  it('sessionAvailability (WebSocket): the same bound, as a coded error in the socket’s language', async () => {
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { 'accept-language': 'en' },
    });
    try {
      const live = subscribe(client, Availability, { filter: { ids: junkIds(201) } });
      const [first] = await live.waitFor(1);
      const errors = first!.errors as { message: string; extensions?: Record<string, unknown> }[];
      expect(errors[0]).toMatchObject({ message: 'At most 200 items at once.', extensions: { code: 'VALIDATION', field: ['filter', 'ids'] } });
      live.dispose();
    } finally {
      await client.dispose();
    }
  });

  it('createOffer: more than 100 activityIds is a typed VALIDATION, nothing stored', async () => {
    const name = unique('offer');
    const input = {
      organizationId: catalogue.organization.id,
      kind: 'PACK' as const,
      name,
      priceCents: 1000,
      credits: 5,
      validityDays: 30,
      activityIds: Array.from({ length: 101 }, () => catalogue.activity.id),
    };
    const fr = (await execute(app, CreateOffer, { input }, staff())).createOffer;
    expect(fr).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['activityIds'], message: 'Au plus 100 éléments à la fois.' });
    const en = (await execute(app, CreateOffer, { input: { ...input, activityIds: [], venueIds: junkIds(5_000) } }, { ...staff(), locale: 'en' })).createOffer;
    expect(en).toMatchObject({ code: 'VALIDATION', field: ['venueIds'], message: 'At most 100 items at once.' });
    expect(await prisma.offer.count({ where: { name } })).toBe(0);
  });

  it('createMember: more than 10 beneficiaries is a typed VALIDATION, nothing stored', async () => {
    const email = `${unique('desk')}@example.com`;
    const beneficiaries = Array.from({ length: 11 }, () => ({ firstName: 'Léo', lastName: 'Martin', birthDate: '2015-01-01' }));
    const result = (
      await execute(
        app,
        CreateMember,
        { input: { organizationId: catalogue.organization.id, email, firstName: 'Léa', lastName: 'Martin', beneficiaries } },
        { ...staff(), locale: 'en' },
      )
    ).createMember;
    expect(result).toMatchObject({ code: 'VALIDATION', field: ['beneficiaries'], message: 'At most 10 items at once.' });
    expect(await prisma.member.count({ where: { email } })).toBe(0);
  });
});

describe('string inputs are bounded and free of control characters', () => {
  it('organization(slug:) with a NUL byte: coded VALIDATION, not INTERNAL_SERVER_ERROR', async () => {
    const fr = await request(app, OrganizationBySlug, { slug: 'aqua\u0000club' });
    expect(expectValidationError(fr, ['slug'])).toContain('caractères de contrôle');
    const en = await request(app, OrganizationBySlug, { slug: 'aqua\u0000club' }, { locale: 'en' });
    expect(expectValidationError(en, ['slug'])).toContain('control characters');
    // Merely too long for a slug: no such organization (and no query for it).
    expect(await request(app, OrganizationBySlug, { slug: 'a'.repeat(5_000) })).toEqual({ data: { organization: null } });
    const huge = await request(app, OrganizationBySlug, { slug: 'a'.repeat(10_001) }, { locale: 'en' });
    expect(expectValidationError(huge, ['slug'])).toBe('This field cannot be longer than 10000 characters.');
  });

  it('a nested argument (a cursor) is checked too', async () => {
    const member = await createMember(app);
    const result = await request(app, MyBookings, { after: 'x\u001b[2J' }, { token: member.token, locale: 'en' });
    expectValidationError(result, ['after']);
  });

  it('signUp with a NUL byte in firstName: typed VALIDATION in both languages, no account', async () => {
    const email = `${unique('nul')}@example.com`;
    const input = { email, password: 'a long password', firstName: 'Ada\u0000', lastName: 'Lovelace' };
    const fr = (await execute(app, SignUp, { input })).signUp;
    expect(fr).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['firstName'] });
    expect(fr).toHaveProperty('message', expect.stringContaining('caractères de contrôle'));
    const en = (await execute(app, SignUp, { input: { ...input, lastName: 'Love\nlace' } }, { locale: 'en' })).signUp;
    expect(en).toMatchObject({
      code: 'VALIDATION',
      field: ['firstName'],
      issues: [
        { field: ['firstName'], message: expect.stringContaining('control characters') },
        { field: ['lastName'], message: expect.stringContaining('control characters') },
      ],
    });
    expect(await prisma.member.count({ where: { email } })).toBe(0);
  });

  it('createVenue: a postal code over 20 characters, or over the hard cap, is refused; nothing stored', async () => {
    const name = unique('venue');
    const input = { organizationId: catalogue.organization.id, name, address: '1 rue de l’Eau', city: 'Paris', latitude: 48.85, longitude: 2.35 };
    const long = (await execute(app, CreateVenue, { input: { ...input, postalCode: '7'.repeat(21) } }, { ...staff(), locale: 'en' })).createVenue;
    expect(long).toMatchObject({ code: 'VALIDATION', field: ['postalCode'], message: 'This field cannot be longer than 20 characters.' });
    const huge = (await execute(app, CreateVenue, { input: { ...input, postalCode: '7'.repeat(500_000) } }, staff())).createVenue;
    expect(huge).toMatchObject({ code: 'VALIDATION', field: ['postalCode'], message: 'Ce champ ne peut pas dépasser 10000 caractères.' });
    expect(await prisma.venue.count({ where: { name } })).toBe(0);
    // A multi-line address is fine; a line break in a one-line field is not.
    const ok = (await execute(app, CreateVenue, { input: { ...input, address: 'Bât. B\r\n1 rue de l’Eau', postalCode: '75001' } }, staff())).createVenue;
    expect(ok.__typename).toBe('CreateVenueSuccess');
    const broken = (await execute(app, CreateVenue, { input: { ...input, city: 'Paris\n' } }, staff())).createVenue;
    expect(broken).toMatchObject({ code: 'VALIDATION', field: ['city'] });
  });

  it('createActivity: a public description is at most 2000 characters, may span lines, holds no other control character', async () => {
    const name = unique('activity');
    const input = { organizationId: catalogue.organization.id, name, audience: 'ADULT' as const, cancellationNoticeHours: 4 };
    const long = (await execute(app, CreateActivity, { input: { ...input, description: 'd'.repeat(2_001) } }, { ...staff(), locale: 'en' })).createActivity;
    expect(long).toMatchObject({ code: 'VALIDATION', field: ['description'], message: 'This field cannot be longer than 2000 characters.' });
    const escape = (await execute(app, CreateActivity, { input: { ...input, description: 'Water\u0007' } }, staff())).createActivity;
    expect(escape).toMatchObject({ code: 'VALIDATION', field: ['description'] });
    expect(await prisma.activity.count({ where: { name } })).toBe(0);
    const ok = success((await execute(app, CreateActivity, { input: { ...input, description: 'Line one\n\tLine two' } }, staff())).createActivity, 'CreateActivitySuccess');
    expect(ok.activity.description).toBe('Line one\n\tLine two');
  });

  it('createOffer: a public description over 2000 characters is refused, nothing stored', async () => {
    const name = unique('offer');
    const input = { organizationId: catalogue.organization.id, kind: 'PACK' as const, name, priceCents: 1000, credits: 5, validityDays: 30, description: 'd'.repeat(2_001) };
    const result = (await execute(app, CreateOffer, { input }, staff())).createOffer;
    expect(result).toMatchObject({ code: 'VALIDATION', field: ['description'], message: 'Ce champ ne peut pas dépasser 2000 caractères.' });
    expect(await prisma.offer.count({ where: { name } })).toBe(0);
  });

  it('adjustCredits: a note over 500 characters is refused, the ledger untouched', async () => {
    const member = await memberWithCredits(app, catalogue);
    const [entitlement] = (await execute(app, MyEntitlements, {}, { token: member.token })).viewer!.entitlements;
    const before = await prisma.creditLedgerEntry.count({ where: { entitlementId: uuid(entitlement!.id) } });
    const result = (await execute(app, AdjustCredits, { input: { entitlementId: entitlement!.id, delta: 1, note: 'n'.repeat(501) } }, { ...staff(), locale: 'en' }))
      .adjustCredits;
    expect(result).toMatchObject({ code: 'VALIDATION', field: ['note'], message: 'This field cannot be longer than 500 characters.' });
    expect(await prisma.creditLedgerEntry.count({ where: { entitlementId: uuid(entitlement!.id) } })).toBe(before);
  });

  it('an ID over 200 characters is VALIDATION, in a query or a mutation', async () => {
    const member: TestMember = await createMember(app);
    const query = await request(app, Node, { id: 'x'.repeat(201) }, { locale: 'en' });
    expect(expectValidationError(query, ['id'])).toBe('This field cannot be longer than 200 characters.');
    const mutation = (await execute(app, BookSession, { input: { sessionId: 'S'.repeat(5_000), beneficiaryId: 'B'.repeat(150) } }, { token: member.token })).bookSession;
    expect(mutation).toMatchObject({ code: 'VALIDATION', field: ['sessionId'] });
    // Within the bound, a string that is no ID of a session is VALIDATION too, on its field.
    const malformed = (await execute(app, BookSession, { input: { sessionId: 'S'.repeat(150), beneficiaryId: 'B'.repeat(150) } }, { token: member.token })).bookSession;
    expect(malformed).toMatchObject({ code: 'VALIDATION', field: ['sessionId'] });
  });
});

interface RawResponse {
  status: number;
  body: string;
}

/** POSTs `body` over a real socket, with a Content-Length or chunked, and reads the answer. */
function rawPost(path: string, body: Buffer, { chunked }: { chunked: boolean }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': body.length }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (!chunked) {
      req.end(body);
      return;
    }
    // Chunked: written piece by piece, as a streaming client would.
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', writeMore);
          return;
        }
      }
      req.end();
    };
    writeMore();
  });
}

describe('request bodies over MAX_BODY_BYTES answer 413', () => {
  const twoMegabytes = Buffer.from(JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }));

  it.each([
    ['/graphql', false],
    ['/graphql', true],
    ['/webhooks/stripe', false],
    ['/webhooks/stripe', true],
  ])('POST %s with 2 MB (chunked: %s): 413, the answer arrives', async (path, chunked) => {
    const response = await rawPost(path, twoMegabytes, { chunked });
    expect(response.status).toBe(413);
  });

  it('the GraphQL 413 says why, in the client’s language', async () => {
    const response = await app.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'en' },
      body: twoMegabytes,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      errors: [{ message: 'The request is larger than the accepted maximum (1048576 bytes).', extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
  });

  it('a body just under the limit is served, chunked or not', async () => {
    const body = Buffer.from(JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_000_000) } }));
    for (const chunked of [false, true]) {
      const response = await rawPost('/graphql', body, { chunked });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('the server keeps serving after refusing', async () => {
    const response = await rawPost('/graphql', Buffer.from(JSON.stringify({ query: '{ __typename }' })), { chunked: false });
    expect(response.status).toBe(200);
  });
});

describe('malformed percent-encoding in a URL is a 400 or 404, never a 500', () => {
  it.each([
    '/graphiql/%E0%A4%A',
    '/graphiql/%',
    '/screens/venues/%E0%A4%A',
    '/screens/assets/%E0%A4%A',
    '/invoices/%E0%A4%A.pdf?token=%E0%A4%A',
    '/exports/me.json?token=%E0%A4%A',
    '/graphql?query=%E0%A4%A',
    '/%E0%A4%A',
  ])('GET %s', async (path) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { accept: 'application/graphql-response+json' } });
    expect([400, 404]).toContain(response.status);
  });
});
