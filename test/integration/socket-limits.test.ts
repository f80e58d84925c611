import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success, testConfig } from '../support/app.js';
import { createCatalogue, createMember, scheduleSession } from '../support/factories.js';

// What one client may hold on graphql-ws (issue 10), against a listening server and raw sockets
// speaking graphql-transport-ws: operations per socket, sockets per address, the time allowed for
// connection_init, and sessionAvailability filters that name what they watch.

const ChangeCapacity = graphql(`
  mutation SocketLimitsChangeCapacity($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) {
      __typename
      ... on ChangeSessionCapacitySuccess { session { capacity } }
      ... on Error { code message }
    }
  }
`);

const AVAILABILITY = 'subscription SocketLimitsAvailability($filter: SessionFilter!) { sessionAvailability(filter: $filter) { seatsLeft capacity session { id } } }';

const INIT_TIMEOUT_MS = 300;
const KEEP_ALIVE_MS = 200;
const limits = { maxSubscriptionsPerSocket: 20, maxSocketsPerAddress: 50, connectionInitTimeoutMs: INIT_TIMEOUT_MS, keepAliveMs: KEEP_ALIVE_MS };

interface Message {
  type: string;
  id?: string;
  payload?: any;
}

let app: App;
let url: string;
/** A server not behind a proxy, with 2 sockets per address. */
let strict: App;
let strictUrl: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  // Started first: the event bus is the process's, and follows the last server opened.
  strict = await startApp({ socketLimits: { ...limits, maxSocketsPerAddress: 2 } });
  strictUrl = `ws://127.0.0.1:${await strict.listen(0, '127.0.0.1')}/graphql`;
  // Behind a trusted proxy, so that tests can speak from several addresses (X-Forwarded-For).
  app = await startApp({ trustProxy: true, socketLimits: limits });
  url = `ws://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await app?.close();
  await strict?.close();
});

const waitFor = async (check: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** Opens a socket and, unless `init` is null, sends connection_init and waits for the ack. */
async function openSocket(options: { headers?: Record<string, string>; init?: Record<string, unknown> | null; at?: string; answerPings?: boolean } = {}) {
  const socket = new WebSocket(options.at ?? url, 'graphql-transport-ws', { headers: options.headers, autoPong: options.answerPings ?? true });
  sockets.push(socket);
  const messages: Message[] = [];
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const send = (message: Message) => socket.send(JSON.stringify(message));
  if (options.init !== null) {
    send({ type: 'connection_init', payload: options.init ?? {} });
    await waitFor(() => messages.some((m) => m.type === 'connection_ack'));
  }
  const of = (id: string) => messages.filter((m) => m.id === id);
  return { socket, messages, closed, send, of };
}

const refusals: { status: number; retryAfter: string | undefined }[] = [];

/** The HTTP status an upgrade is refused with, or 'open' (the socket then stays, initialised). */
function upgrade(headers: Record<string, string>, at = url): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(at, 'graphql-transport-ws', { headers });
    sockets.push(socket);
    socket.once('open', () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => {
      refusals.push({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    // Terminating a refused handshake reports an error too, once the status is known.
    socket.on('error', reject);
  });
}

const subscribeTo = (id: string, filter: Record<string, unknown>): Message => ({
  id,
  type: 'subscribe',
  payload: { query: AVAILABILITY, variables: { filter } },
});

describe('operations per socket', () => {
  it('refuses the 21st subscription with TOO_MANY_SUBSCRIPTIONS in the connection’s language, and frees a slot on complete', async () => {
    const catalogue = await createCatalogue(app);
    const filter = { venueId: catalogue.venue.id };
    const english = await openSocket({ init: { acceptLanguage: 'en' } });
    // All at once: graphql-ws registers each before the next message, so the count is exact.
    for (let i = 1; i <= 21; i++) english.send(subscribeTo(String(i), filter));
    await waitFor(() => english.of('21').length > 0);
    expect(english.of('21')).toEqual([
      {
        id: '21',
        type: 'error',
        payload: [
          {
            message: 'Too many subscriptions running on this connection (at most 20): stop one before starting another.',
            extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', max: 20 },
          },
        ],
      },
    ]);
    // The socket stays open; the 20 others run.
    expect(english.socket.readyState).toBe(WebSocket.OPEN);

    // French from the upgrade's Accept-Language (connectionParams say nothing about it).
    const french = await openSocket({ headers: { 'accept-language': 'fr-FR,fr;q=0.9' } });
    for (let i = 1; i <= 21; i++) french.send(subscribeTo(String(i), filter));
    await waitFor(() => french.of('21').length > 0);
    expect(french.of('21')[0]).toMatchObject({
      type: 'error',
      payload: [
        {
          message: "Trop d'abonnements en cours sur cette connexion (au plus 20) : arrêtez-en un avant d'en ouvrir un autre.",
          extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
        },
      ],
    });
    french.socket.close();

    // Stopping one frees its slot: the next subscription runs and gets the next change.
    english.send({ id: '1', type: 'complete' });
    english.send(subscribeTo('22', filter));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(english.of('22')).toEqual([]);
    const session = await scheduleSession(app, catalogue, { capacity: 6 });
    await waitFor(() => english.of('22').length > 0 && english.of('20').length > 0);
    expect(english.of('22')).toEqual([
      { id: '22', type: 'next', payload: { data: { sessionAvailability: { seatsLeft: 6, capacity: 6, session: { id: session.id } } } } },
    ]);
    expect(english.of('1')).toEqual([]);
    // Still full: one more is refused again.
    english.send(subscribeTo('23', filter));
    await waitFor(() => english.of('23').length > 0);
    expect(english.of('23')[0]).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] });
    english.socket.close();
  });

  it('closes a socket that floods past the limit (4429) instead of answering each refusal', async () => {
    const catalogue = await createCatalogue(app);
    const flood = await openSocket();
    for (let i = 1; i <= 10_000; i++) flood.send(subscribeTo(String(i), { venueId: catalogue.venue.id }));
    expect(await flood.closed).toBe(4429);
    // At most the limit's worth of refusals was answered; the rest was never worked on.
    expect(flood.messages.filter((m) => m.type === 'error').length).toBeLessThanOrEqual(20);
    expect(flood.messages.filter((m) => m.type === 'next').length).toBe(0);
  });
});

describe('sockets per client address', () => {
  it('refuses the 51st socket of an address with HTTP 429, accepts another address, and frees the slot on close', async () => {
    const crowded = { 'x-forwarded-for': '198.51.100.7, 10.0.0.1' };
    const open = await Promise.all(Array.from({ length: 50 }, () => openSocket({ headers: crowded })));
    expect(await upgrade(crowded)).toBe(429);
    expect(refusals.at(-1)).toEqual({ status: 429, retryAfter: '10' });
    // Another client behind the same proxy is not affected.
    expect(await upgrade({ 'x-forwarded-for': '198.51.100.8' })).toBe('open');
    // Nor is the proxy's own address (no X-Forwarded-For: the socket's address counts).
    expect(await upgrade({})).toBe('open');

    open[0]!.socket.close();
    await open[0]!.closed;
    // The server counts the close once its side of the socket is gone.
    let status: number | 'open' = 429;
    for (let attempt = 0; attempt < 50 && status !== 'open'; attempt++) {
      status = await upgrade(crowded);
      if (status !== 'open') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('open');
    expect(await upgrade(crowded)).toBe(429);
    for (const each of open) each.socket.close();
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: the socket’s address counts', async () => {
    expect(testConfig().trustProxy).toBe(false);
    expect(await upgrade({ 'x-forwarded-for': '203.0.113.1' }, strictUrl)).toBe('open');
    expect(await upgrade({ 'x-forwarded-for': '203.0.113.2' }, strictUrl)).toBe('open');
    expect(await upgrade({ 'x-forwarded-for': '203.0.113.3' }, strictUrl)).toBe(429);
  });
});

describe('connection_init', () => {
  it('closes a socket that never sends connection_init with 4408 after the configured time', async () => {
    const started = Date.now();
    const silent = await openSocket({ init: null });
    expect(await silent.closed).toBe(4408);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(INIT_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(INIT_TIMEOUT_MS + 1_500);
  });
});

describe('keep-alive', () => {
  it('drops a socket that stops answering pings, and keeps one that answers them', async () => {
    const gone = await openSocket({ init: {}, answerPings: false });
    const alive = await openSocket({ init: {} });
    let pings = 0;
    alive.socket.on('ping', () => (pings += 1));
    const started = Date.now();
    // Pinged, then dropped at the next ping (the server ends the TCP connection: no close frame).
    expect(await gone.closed).toBe(1006);
    expect(Date.now() - started).toBeLessThan(3 * KEEP_ALIVE_MS + 1_000);
    await waitFor(() => pings >= 3);
    expect(alive.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('sessionAvailability names what it watches', () => {
  it('refuses a filter that names no organisation, venue, activity or ids with VALIDATION on filter, anonymous or logged in', async () => {
    const anonymous = await openSocket({ init: { acceptLanguage: 'en' } });
    anonymous.send(subscribeTo('everything', {}));
    anonymous.send(subscribeTo('dates', { from: new Date().toISOString() }));
    await waitFor(() => anonymous.of('everything').some((m) => m.type === 'complete') && anonymous.of('dates').some((m) => m.type === 'complete'));
    const refused = {
      message: 'Name an organization, a venue, an activity or session ids to watch.',
      path: ['sessionAvailability'],
      extensions: { code: 'VALIDATION', field: ['filter'] },
    };
    for (const id of ['everything', 'dates']) {
      expect(anonymous.of(id)[0]).toMatchObject({ type: 'next', payload: { errors: [refused] } });
    }

    const member = await createMember(app);
    const loggedIn = await openSocket({ init: { authorization: `Bearer ${member.token}` } });
    loggedIn.send(subscribeTo('everything', {}));
    await waitFor(() => loggedIn.of('everything').some((m) => m.type === 'complete'));
    expect(loggedIn.of('everything')[0]).toMatchObject({
      type: 'next',
      payload: { errors: [{ message: 'Indiquez une organisation, un lieu, une activité ou des séances (ids) à suivre.', extensions: { code: 'VALIDATION' } }] },
    });
    anonymous.socket.close();
    loggedIn.socket.close();
  });

  it('still pushes a change to a filtered subscription', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 8 });
    const watcher = await openSocket();
    watcher.send(subscribeTo('seats', { ids: [session.id] }));
    // Let the subscription register before the change.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const changed = (await execute(app, ChangeCapacity, { input: { sessionId: session.id, capacity: 12 } }, { token: catalogue.admin.token }))
      .changeSessionCapacity;
    expect(success(changed, 'ChangeSessionCapacitySuccess').session.capacity).toBe(12);
    await waitFor(() => watcher.of('seats').length > 0);
    expect(watcher.of('seats')[0]).toEqual({
      id: 'seats',
      type: 'next',
      payload: { data: { sessionAvailability: { seatsLeft: 12, capacity: 12, session: { id: session.id } } } },
    });
    watcher.socket.close();
  });
});
