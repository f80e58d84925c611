import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Locale, MessageKey, MessageParams } from '../../src/i18n/messages.js';
import { translate } from '../../src/i18n/translate.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, testConfig } from '../support/app.js';
import { createCatalogue, createMember, scheduleSession, type TestMember } from '../support/factories.js';
import { SqlStatementCounter } from '../support/sql-statement-counter.js';

// One error model over graphql-ws (issue 14): every error a query, mutation or subscription can
// meet over a socket carries `extensions.code` and is worded in the connection's language, which
// comes from connectionParams (`acceptLanguage` or `accept-language`), else the upgrade request's
// Accept-Language, else French. And unknown ids behave the same everywhere: NOT_FOUND on the
// argument that names them (a typed error in mutations), VALIDATION when malformed, null from
// `node`. Against a listening server, real sockets, PostgreSQL and Redis.

const MAX_SUBSCRIPTIONS = 3;

let app: App;
let url: string;
let counter: SqlStatementCounter;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  counter = await SqlStatementCounter.start(testConfig().databaseUrl!);
  app = await startApp({
    databaseUrl: counter.url,
    socketLimits: { maxSubscriptionsPerSocket: MAX_SUBSCRIPTIONS, maxSocketsPerAddress: 50, connectionInitTimeoutMs: 3_000, keepAliveMs: 12_000 },
  });
  url = `ws://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await app?.close();
  await counter?.close();
});

const unknownId = (typename: string) => encodeGlobalID(typename, randomUUID());

interface GraphQLErrorShape {
  message: string;
  extensions?: Record<string, unknown>;
}

interface Message {
  type: string;
  id?: string;
  payload?: any;
}

const waitFor = async (check: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A raw graphql-transport-ws socket: opened with these upgrade headers and connection_init payload. */
async function openSocket(headers: Record<string, string>, init: Record<string, unknown>) {
  const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
  sockets.push(socket);
  const messages: Message[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: init }));
  await waitFor(() => messages.some((m) => m.type === 'connection_ack'));
  let nextId = 0;
  const of = (id: string) => messages.filter((m) => m.id === id);
  return {
    socket,
    of,
    start(query: string, variables: Record<string, unknown> = {}): string {
      const id = String(++nextId);
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      return id;
    },
    /** Runs one operation to its end: the errors of its `next` (then `complete`) or of its `error` message. */
    async run(query: string, variables: Record<string, unknown> = {}): Promise<{ type: string; errors: GraphQLErrorShape[]; data?: any }> {
      const id = this.start(query, variables);
      await waitFor(() => of(id).some((m) => m.type === 'complete' || m.type === 'error'));
      const answer = of(id).find((m) => m.type === 'next' || m.type === 'error')!;
      if (answer.type === 'error') return { type: 'error', errors: answer.payload as GraphQLErrorShape[] };
      return { type: 'next', errors: (answer.payload.errors ?? []) as GraphQLErrorShape[], data: answer.payload.data };
    },
  };
}

const AVAILABILITY = 'subscription WsErrorsAvailability($filter: SessionFilter!) { sessionAvailability(filter: $filter) { seatsLeft session { id } } }';
// 13 levels of fields: past MAX_DEPTH (12).
const TOO_DEEP = `query WsErrorsTooDeep { viewer { memberships { organization { venues { organization { venues { organization { venues { organization { venues { organization { venues { id } } } } } } } } } } } } }`;
const TOO_MANY_TOKENS = `query WsErrorsTokens { ${'a: __typename '.repeat(700)} }`;

const WAYS: { way: string; headers: Record<string, string>; params: Record<string, unknown>; locale: Locale }[] = [
  { way: 'English asked in connectionParams.acceptLanguage', headers: {}, params: { acceptLanguage: 'en-GB,en;q=0.8' }, locale: 'en' },
  { way: 'English asked in connectionParams["accept-language"], over a French upgrade header', headers: { 'accept-language': 'fr' }, params: { 'accept-language': 'en' }, locale: 'en' },
  { way: "English asked by the upgrade request's Accept-Language", headers: { 'accept-language': 'en-US,en;q=0.9,fr;q=0.5' }, params: {}, locale: 'en' },
  { way: 'French when nothing asks', headers: {}, params: {}, locale: 'fr' },
];

describe.each(WAYS)('errors over graphql-ws: $way', ({ headers, params, locale }) => {
  let catalogue: Awaited<ReturnType<typeof createCatalogue>>;
  let stranger: TestMember;
  const t = (key: MessageKey, values?: MessageParams) => translate(locale, key, values);

  beforeAll(async () => {
    catalogue = await createCatalogue(app);
    stranger = await createMember(app);
  });

  it('a subscription: VALIDATION with its field, a malformed id, an unknown id, a login it needs', async () => {
    const anonymous = await openSocket(headers, params);

    expect((await anonymous.run(AVAILABILITY, { filter: {} })).errors).toMatchObject([
      { message: t('validation.filterTooBroad'), extensions: { code: 'VALIDATION', field: ['filter'] } },
    ]);
    expect((await anonymous.run(AVAILABILITY, { filter: { venueId: catalogue.activity.id } })).errors).toMatchObject([
      { message: t('validation.id', { entity: 'entity.venue' }), extensions: { code: 'VALIDATION', field: ['filter', 'venueId'] } },
    ]);
    expect((await anonymous.run(AVAILABILITY, { filter: { venueId: unknownId('Venue') } })).errors).toMatchObject([
      { message: t('error.notFound', { entity: 'entity.venue' }), extensions: { code: 'NOT_FOUND', field: ['filter', 'venueId'] } },
    ]);
    expect((await anonymous.run('subscription WsErrorsOffers { myWaitlistOffers { id } }')).errors).toMatchObject([
      { message: t('error.unauthenticated'), extensions: { code: 'UNAUTHENTICATED' } },
    ]);
    anonymous.socket.close();
  });

  it('a query or a mutation: an unknown id, a malformed one, FORBIDDEN, and a typed error in the data', async () => {
    const member = await openSocket(headers, { ...params, authorization: `Bearer ${stranger.token}` });
    const session = await scheduleSession(app, catalogue);

    const sessions = 'query WsErrorsSessions($filter: SessionFilter!) { sessions(filter: $filter) { edges { node { id } } } }';
    expect((await member.run(sessions, { filter: { ids: [session.id, unknownId('Session')] } })).errors).toMatchObject([
      { message: t('error.notFound', { entity: 'entity.session' }), extensions: { code: 'NOT_FOUND', field: ['filter', 'ids', '1'] } },
    ]);
    expect((await member.run(sessions, { filter: { organizationId: 'garbage' } })).errors).toMatchObject([
      { message: t('validation.id', { entity: 'entity.organization' }), extensions: { code: 'VALIDATION', field: ['filter', 'organizationId'] } },
    ]);

    const orders = 'query WsErrorsOrders($slug: String!) { organization(slug: $slug) { orders(first: 1) { edges { node { id } } } } }';
    const organization = (await execute(app, OrganizationSlug, { id: catalogue.organization.id })).node as { slug: string };
    expect((await member.run(orders, { slug: organization.slug })).errors).toMatchObject([
      { message: t('error.forbidden'), extensions: { code: 'FORBIDDEN' } },
    ]);

    const book = 'mutation WsErrorsBook($input: BookSessionInput!) { bookSession(input: $input) { __typename ... on Error { code message } ... on ValidationError { field } ... on NotFoundError { field } } }';
    const unknown = await member.run(book, { input: { sessionId: unknownId('Session'), beneficiaryId: unknownId('Beneficiary') } });
    expect(unknown.errors).toEqual([]);
    expect(unknown.data.bookSession).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND', field: ['sessionId'], message: t('error.notFound', { entity: 'entity.session' }) });
    const malformed = await member.run(book, { input: { sessionId: catalogue.venue.id, beneficiaryId: unknownId('Beneficiary') } });
    expect(malformed.data.bookSession).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['sessionId'], message: t('validation.id', { entity: 'entity.session' }) });
    member.socket.close();
  });

  it('operation limits: refused while parsing (tokens) and before running (depth)', async () => {
    const socket = await openSocket(headers, params);
    const tokens = await socket.run(TOO_MANY_TOKENS);
    expect(tokens).toMatchObject({ type: 'error', errors: [{ message: t('refused.tooManyTokens', { limit: 2000 }), extensions: { code: 'TOO_MANY_TOKENS' } }] });
    const deep = await socket.run(TOO_DEEP);
    expect(deep.errors.find((error) => error.extensions?.code === 'QUERY_TOO_DEEP')?.message).toBe(t('refused.tooDeep', { limit: 12 }));
    // The same query is also too costly: every error says what it is, in the same language.
    for (const error of deep.errors) {
      expect(error.extensions?.code).toMatch(/^QUERY_TOO_(DEEP|COMPLEX)$/);
      expect(error.message.startsWith(locale === 'en' ? 'Operation refused' : 'Requête refusée')).toBe(true);
    }
    socket.socket.close();
  });

  it('one subscription too many: TOO_MANY_SUBSCRIPTIONS as an error message', async () => {
    const socket = await openSocket(headers, params);
    const running = Array.from({ length: MAX_SUBSCRIPTIONS }, () => socket.start(AVAILABILITY, { filter: { venueId: catalogue.venue.id } }));
    // The running ones answer nothing until a change; the next one is refused at once.
    expect(await socket.run(AVAILABILITY, { filter: { venueId: catalogue.venue.id } })).toEqual({
      type: 'error',
      errors: [{ message: t('error.tooManySubscriptions', { max: MAX_SUBSCRIPTIONS }), extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', max: MAX_SUBSCRIPTIONS } }],
    });
    for (const id of running) expect(socket.of(id)).toEqual([]);
    socket.socket.close();
  });
});

const OrganizationSlug = graphql(`
  query WsErrorsOrganizationSlug($id: ID!) {
    node(id: $id) { id ... on Organization { slug } }
  }
`);

const Sessions = graphql(`
  query WsErrorsSessionsHttp($filter: SessionFilter!) {
    sessions(filter: $filter) { edges { node { id } } }
  }
`);

const Node = graphql(`
  query WsErrorsNode($id: ID!) {
    node(id: $id) { id }
  }
`);

/** The one statement that checks IDs exist (src/schema/common/ids.ts). */
const isExistenceCheck = (sql: string) => sql.includes('UNION ALL') || /= ANY\(\$\d+::uuid\[\]\)/.test(sql);

describe('unknown ids: one rule for queries, mutations and subscriptions', () => {
  let catalogue: Awaited<ReturnType<typeof createCatalogue>>;
  let session: { id: string };
  beforeAll(async () => {
    catalogue = await createCatalogue(app);
    session = await scheduleSession(app, catalogue);
  });

  it('sessions(filter): NOT_FOUND on the first unknown id, in one statement however many ids', async () => {
    const one = await counter.during(() => request(app, Sessions, { filter: { ids: [session.id, unknownId('Session')] } }, { locale: 'en' }));
    const many = await counter.during(async () => {
      const answer = await request(app, Sessions, { filter: { ids: [session.id, ...Array.from({ length: 50 }, () => unknownId('Session'))] } }, { locale: 'en' });
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors).toMatchObject([{ message: 'Session not found.', extensions: { code: 'NOT_FOUND', field: ['filter', 'ids', '1'] } }]);
    });
    expect(one.statements.filter(isExistenceCheck)).toHaveLength(1);
    expect(many.statements.filter(isExistenceCheck)).toHaveLength(1);
    expect(many.count).toBe(one.count);
  });

  it('sessions(filter): an answer proves its ids, so a filter that selects sessions checks nothing more', async () => {
    const found = await counter.during(async () => {
      const answer = await execute(app, Sessions, { filter: { organizationId: catalogue.organization.id, venueId: catalogue.venue.id, ids: [session.id] } });
      expect(answer.sessions.edges.map((edge) => edge.node.id)).toEqual([session.id]);
    });
    expect(found.statements.filter(isExistenceCheck)).toEqual([]);
    // Ids that exist but select nothing together (another organization's venue) are an empty list, not an error.
    const other = await createCatalogue(app);
    expect((await execute(app, Sessions, { filter: { organizationId: catalogue.organization.id, venueId: other.venue.id } })).sessions.edges).toEqual([]);
    // Each unknown field is named by its path; a malformed one is VALIDATION.
    for (const [filter, field, code] of [
      [{ organizationId: unknownId('Organization') }, ['filter', 'organizationId'], 'NOT_FOUND'],
      [{ organizationId: catalogue.organization.id, venueId: unknownId('Venue') }, ['filter', 'venueId'], 'NOT_FOUND'],
      [{ venueId: catalogue.venue.id, activityId: unknownId('Activity') }, ['filter', 'activityId'], 'NOT_FOUND'],
      [{ activityId: 'bm9wZQ==' }, ['filter', 'activityId'], 'VALIDATION'],
      [{ ids: [session.id, catalogue.venue.id] }, ['filter', 'ids', '1'], 'VALIDATION'],
    ] as const) {
      const answer = await request(app, Sessions, { filter: filter as never });
      expect(answer.data ?? null, JSON.stringify(filter)).toBeNull();
      expect(answer.errors, JSON.stringify(filter)).toMatchObject([{ extensions: { code, field } }]);
    }
  });

  it('node(id) answers null for an unknown or malformed id (Relay)', async () => {
    expect(await execute(app, Node, { id: unknownId('Session') })).toEqual({ node: null });
    expect(await execute(app, Node, { id: 'garbage' })).toEqual({ node: null });
    expect(await execute(app, Node, { id: session.id })).toEqual({ node: { id: session.id } });
  });
});

describe('messages that are not graphql-ws messages', () => {
  /** Sends `text` on a socket that was acknowledged, and answers how the server closed it. */
  async function closeFor(text: string): Promise<{ code: number; reason: string }> {
    const { socket } = await openSocket({}, {});
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    socket.send(text);
    return closed;
  }

  it.each([
    ['text that is not JSON', '{"type": "subscribe",'],
    ['a JSON string', JSON.stringify('ping')],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['a message encoded twice', JSON.stringify(JSON.stringify({ type: 'ping' }))],
    ['an object of no known type', JSON.stringify({ type: 'hello' })],
  ])('closes the socket with 4400 for %s', async (_what, text) => {
    expect(await closeFor(text)).toEqual({ code: 4400, reason: 'Invalid message received' });
  });

  it('answers a ping sent as a message on a socket that stays open', async () => {
    const { socket } = await openSocket({}, {});
    const pong = new Promise<unknown>((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)))));
    socket.send(JSON.stringify({ type: 'ping', payload: { at: 1 } }));
    expect(await pong).toEqual({ type: 'pong', payload: { at: 1 } });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });
});
