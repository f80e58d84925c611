import type { ChildProcess } from 'node:child_process';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { type ExecutionArgs, type ExecutionResult, parse } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { prisma } from '../../src/db/client.js';
import { publishSessionChanged, sessionChanged, subscribeShared } from '../../src/events/pubsub.js';
import { startApp } from '../support/app.js';
import { createCatalogue, scheduleSession, unique } from '../support/factories.js';
import { freePort, startRedis, startServer, stopProcess, type StartedServer } from '../support/processes.js';
import { subscribe, wsClient } from '../support/ws.js';

// Live seats across server instances (SPEC §9): separate processes on one PostgreSQL, events
// through Redis. Data is made over HTTP, as any client would.

const children: ChildProcess[] = [];
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

type Data = Record<string, any>;

async function gql(server: StartedServer, query: string, variables: Data = {}, token?: string): Promise<Data> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: Data; errors?: unknown[] };
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** Runs a mutation and returns its `<Name>Success`, failing with the typed error otherwise. */
async function mutate(server: StartedServer, field: string, document: string, input: Data, token?: string): Promise<Data> {
  const result = (await gql(server, document, { input }, token))[field] as Data;
  if (!String(result.__typename).endsWith('Success')) throw new Error(`${field}: ${JSON.stringify(result)}`);
  return result;
}

const SignUp = `mutation FanoutSignUp($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on SignUpSuccess { token } ... on Error { code message } } }`;
const CreateOrganization = `mutation FanoutCreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { __typename ... on CreateOrganizationSuccess { organization { id } } ... on Error { code message } } }`;
const CreateVenue = `mutation FanoutCreateVenue($input: CreateVenueInput!) {
  createVenue(input: $input) { __typename ... on CreateVenueSuccess { venue { id } } ... on Error { code message } } }`;
const CreateActivity = `mutation FanoutCreateActivity($input: CreateActivityInput!) {
  createActivity(input: $input) { __typename ... on CreateActivitySuccess { activity { id } } ... on Error { code message } } }`;
const ScheduleSession = `mutation FanoutScheduleSession($input: ScheduleSessionInput!) {
  scheduleSession(input: $input) { __typename ... on ScheduleSessionSuccess { session { id } } ... on Error { code message } } }`;
const CreateOffer = `mutation FanoutCreateOffer($input: CreateOfferInput!) {
  createOffer(input: $input) { __typename ... on CreateOfferSuccess { offer { id } } ... on Error { code message } } }`;
const AddBeneficiary = `mutation FanoutAddBeneficiary($input: AddBeneficiaryInput!) {
  addBeneficiary(input: $input) { __typename ... on AddBeneficiarySuccess { beneficiary { id } } ... on Error { code message } } }`;
const PurchaseOffer = `mutation FanoutPurchaseOffer($input: PurchaseOfferInput!) {
  purchaseOffer(input: $input) { __typename ... on PurchaseOfferSuccess { order { id status amountDue { amountCents } } } ... on Error { code message } } }`;
const RecordPayment = `mutation FanoutRecordPayment($input: RecordPaymentInput!) {
  recordPayment(input: $input) { __typename ... on RecordPaymentSuccess { order { status } } ... on Error { code message } } }`;
const BookSession = `mutation FanoutBookSession($input: BookSessionInput!) {
  bookSession(input: $input) { __typename ... on BookSessionSuccess { booking { id status session { seatsLeft } } } ... on Error { code message } } }`;
const Seats = `query FanoutSeats($filter: SessionFilter!) {
  sessions(filter: $filter, first: 1) { edges { node { id seatsLeft } } } }`;
const Availability = parse(`subscription FanoutAvailability($filter: SessionFilter!) {
  sessionAvailability(filter: $filter) { seatsLeft capacity waitlistLength session { id } } }`);

interface Scene {
  sessionId: string;
  venueId: string;
  capacity: number;
  memberToken: string;
  beneficiaryIds: string[];
}

/** An organisation with one session of `capacity` seats, and a member with `beneficiaries` paid packs. */
async function createScene(server: StartedServer, { capacity = 5, beneficiaries = 1 } = {}): Promise<Scene> {
  const signUp = (email: string) =>
    mutate(server, 'signUp', SignUp, { email, password: 'correct horse battery', firstName: 'Ada', lastName: 'Lovelace' });
  const admin = (await signUp(`${unique('fanout-admin')}@example.com`)).token as string;
  const slug = unique('fanout');
  const organizationId = (await mutate(server, 'createOrganization', CreateOrganization, { name: `Club ${slug}`, slug, timeZone: 'Europe/Paris' }, admin))
    .organization.id as string;
  const venueId = (
    await mutate(
      server,
      'createVenue',
      CreateVenue,
      { organizationId, name: 'Pool', address: '1 rue de l’Eau', city: 'Paris', latitude: 48.85, longitude: 2.35 },
      admin,
    )
  ).venue.id as string;
  const activityId = (
    await mutate(server, 'createActivity', CreateActivity, { organizationId, name: 'Aquagym', audience: 'ADULT', cancellationNoticeHours: 4 }, admin)
  ).activity.id as string;
  const startsAt = new Date(Date.now() + 48 * 3_600_000);
  const sessionId = (
    await mutate(
      server,
      'scheduleSession',
      ScheduleSession,
      { activityId, venueId, startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(), capacity },
      admin,
    )
  ).session.id as string;
  const offerId = (
    await mutate(
      server,
      'createOffer',
      CreateOffer,
      { organizationId, kind: 'PACK', name: `Pack ${slug}`, priceCents: 10_000, credits: 10, validityDays: 90, period: null, activityIds: [] },
      admin,
    )
  ).offer.id as string;

  const memberToken = (await signUp(`${unique('fanout-member')}@example.com`)).token as string;
  const beneficiaryIds: string[] = [];
  for (let i = 0; i < beneficiaries; i++) {
    const beneficiaryId = (
      await mutate(server, 'addBeneficiary', AddBeneficiary, { firstName: `Ada${i}`, lastName: 'Lovelace', birthDate: '1990-05-17' }, memberToken)
    ).beneficiary.id as string;
    const order = (await mutate(server, 'purchaseOffer', PurchaseOffer, { offerId, beneficiaryId }, memberToken)).order as Data;
    if (order.status !== 'PAID') {
      const paid = await mutate(server, 'recordPayment', RecordPayment, { orderId: order.id, method: 'CASH', amountCents: order.amountDue.amountCents }, admin);
      expect(paid.order.status).toBe('PAID');
    }
    beneficiaryIds.push(beneficiaryId);
  }
  return { sessionId, venueId, capacity, memberToken, beneficiaryIds };
}

async function book(server: StartedServer, scene: Scene, beneficiaryId: string): Promise<Data> {
  return (await mutate(server, 'bookSession', BookSession, { sessionId: scene.sessionId, beneficiaryId }, scene.memberToken)).booking as Data;
}

async function seatsLeft(server: StartedServer, scene: Scene): Promise<number> {
  const data = await gql(server, Seats, { filter: { ids: [scene.sessionId] } });
  return data.sessions.edges[0].node.seatsLeft as number;
}

type Watcher = ReturnType<typeof watchVenue>;

function watchVenue(server: StartedServer, venueId: string) {
  const client = wsClient(server.url.replace('http://', 'ws://'));
  clients.push(client);
  const watcher = subscribe(client, Availability as never, { filter: { venueId } });
  return { ...watcher, close: () => client.dispose() };
}

type Pushed = { seatsLeft: number; capacity: number; waitlistLength: number; session: { id: string } };
const pushed = (watcher: Watcher): Pushed[] =>
  watcher.received.map((each) => {
    expect(each.errors).toBeUndefined();
    return (each.data as { sessionAvailability: Pushed }).sessionAvailability;
  });

/** Waits until the watcher has received a push with these seats left. */
async function waitForSeats(watcher: Watcher, seats: number, timeoutMs = 5_000): Promise<Pushed> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pushed(watcher).find((each) => each.seatsLeft === seats);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no push with seatsLeft ${seats}; got ${JSON.stringify(pushed(watcher))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function health(server: StartedServer): Promise<{ status: string; events: { kind: string; up: boolean } }> {
  return (await (await fetch(server.url.replace('/graphql', '/health'))).json()) as never;
}

async function waitForEvents(server: StartedServer, up: boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await health(server)).events.up !== up) {
    if (Date.now() > deadline) throw new Error(`events never became ${up ? 'up' : 'down'} on port ${server.port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Time for a new subscription to reach the event bus before something is published.
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('sessionAvailability across instances', () => {
  it('pushes a booking made on instance B to a subscriber of instance A (one PostgreSQL, one Redis)', async () => {
    const env = { DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl') };
    const [a, b] = await Promise.all([startServer(env, children), startServer(env, children)]);
    const scene = await createScene(b, { capacity: 5, beneficiaries: 1 });
    const watcher = watchVenue(a, scene.venueId);
    await settle();

    const booking = await book(b, scene, scene.beneficiaryIds[0]!);
    expect(booking.status).toBe('CONFIRMED');

    const [first] = await watcher.waitFor(1);
    expect(first?.errors).toBeUndefined();
    expect(first?.data).toEqual({ sessionAvailability: { seatsLeft: 4, capacity: 5, waitlistLength: 0, session: { id: scene.sessionId } } });
    // Exactly one push: A got the event once, not once per path.
    await settle();
    expect(watcher.received).toHaveLength(1);

    await watcher.close();
    expect(await stopProcess(a.child)).toBe(0);
    expect(await stopProcess(b.child)).toBe(0);
  }, 90_000);

  it('keeps bookings working while Redis is down, and pushes across instances again once it is back', async () => {
    const redisPort = await freePort();
    let redis = await startRedis(redisPort, children);
    const env = { DATABASE_URL: inject('databaseUrl'), REDIS_URL: `redis://127.0.0.1:${redisPort}` };
    const [a, b] = await Promise.all([startServer(env, children), startServer(env, children)]);
    const scene = await createScene(b, { capacity: 5, beneficiaries: 3 });
    const [first, second, third] = scene.beneficiaryIds as [string, string, string];
    const watcher = watchVenue(a, scene.venueId);
    await settle();
    await waitForEvents(a, true);

    await stopProcess(redis, 'SIGKILL');
    await Promise.all([waitForEvents(a, false), waitForEvents(b, false)]);
    expect((await health(b)).status).toBe('degraded');

    // Redis is transport only: bookings commit without it, on either instance.
    expect(await book(b, scene, first)).toMatchObject({ status: 'CONFIRMED', session: { seatsLeft: 4 } });
    expect(await book(a, scene, second)).toMatchObject({ status: 'CONFIRMED', session: { seatsLeft: 3 } });
    expect(await seatsLeft(a, scene)).toBe(3);
    expect(await seatsLeft(b, scene)).toBe(3);
    // A's own booking reaches A's subscriber at once: local subscribers do not go through Redis.
    expect(await waitForSeats(watcher, 3)).toEqual({ seatsLeft: 3, capacity: 5, waitlistLength: 0, session: { id: scene.sessionId } });

    redis = await startRedis(redisPort, children);
    await Promise.all([waitForEvents(a, true), waitForEvents(b, true)]);

    // B's booking reaches A through Redis again.
    expect(await book(b, scene, third)).toMatchObject({ status: 'CONFIRMED', session: { seatsLeft: 2 } });
    expect(await waitForSeats(watcher, 2)).toEqual({ seatsLeft: 2, capacity: 5, waitlistLength: 0, session: { id: scene.sessionId } });
    expect(pushed(watcher).every((each) => each.session.id === scene.sessionId)).toBe(true);

    await watcher.close();
    expect(await stopProcess(a.child)).toBe(0);
    expect(await stopProcess(b.child)).toBe(0);
    await stopProcess(redis);
  }, 120_000);
});

describe('one instance, many subscribers', () => {
  it('reads a changed session once per event (and once per extra selection), not once per subscriber', async () => {
    const app = await startApp();
    try {
      const url = `ws://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
      const catalogue = await createCatalogue(app);
      const session = await scheduleSession(app, catalogue, { capacity: 7 });
      const rowOnly = parse(`subscription FanoutRowOnly($filter: SessionFilter!) {
        sessionAvailability(filter: $filter) { seatsLeft capacity waitlistLength session { id startsAt } } }`);
      const withVenue = parse(`subscription FanoutWithVenue($filter: SessionFilter!) {
        sessionAvailability(filter: $filter) { seatsLeft session { id venue { id } } } }`);
      const watchers = [
        ...Array.from({ length: 20 }, () => subscribe(client(url), rowOnly as never, { filter: { venueId: catalogue.venue.id } })),
        ...Array.from({ length: 5 }, () => subscribe(client(url), withVenue as never, { filter: { ids: [session.id] } })),
      ];
      await settle();

      const id = decodeGlobalID(session.id).id;
      const delegate = prisma.session as unknown as { findUniqueOrThrow: (args: { where: { id: string } }) => Promise<unknown> };
      const original = delegate.findUniqueOrThrow;
      let reads = 0;
      delegate.findUniqueOrThrow = (args) => {
        if (args.where.id === id) reads++;
        return original.call(delegate, args);
      };
      try {
        publishSessionChanged(
          sessionChanged({
            id,
            organizationId: decodeGlobalID(catalogue.organization.id).id,
            venueId: decodeGlobalID(catalogue.venue.id).id,
            activityId: decodeGlobalID(catalogue.activity.id).id,
            startsAt: new Date(session.startsAt),
          }),
        );
        const results = await Promise.all(watchers.map(async (watcher) => (await watcher.waitFor(1))[0]));
        expect(results.slice(0, 20).every((each) => JSON.stringify(each) === JSON.stringify(results[0]))).toBe(true);
        expect(results[0]).toEqual({
          data: { sessionAvailability: { seatsLeft: 7, capacity: 7, waitlistLength: 0, session: { id: session.id, startsAt: session.startsAt } } },
        });
        expect(results[24]).toEqual({
          data: { sessionAvailability: { seatsLeft: 7, session: { id: session.id, venue: { id: catalogue.venue.id } } } },
        });
        // The row, then the row with its venue: two reads for 25 subscribers.
        expect(reads).toBe(2);
      } finally {
        delegate.findUniqueOrThrow = original;
      }
    } finally {
      await Promise.all(clients.splice(0).map((each) => each.dispose()));
      await app.close();
    }
  });
});

describe('one serialization per event', () => {
  it('writes each socket of a shared subscription the same payload under its own id, as graphql-ws frames it', async () => {
    const app = await startApp();
    const sockets: WebSocket[] = [];
    try {
      const url = `ws://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
      const catalogue = await createCatalogue(app);
      const session = await scheduleSession(app, catalogue, { capacity: 4 });
      const query = 'subscription FanoutFrames($filter: SessionFilter!) { sessionAvailability(filter: $filter) { seatsLeft session { id } } }';
      // Raw sockets, so that the very text each one receives is seen; ids of the clients' choosing.
      const raw = async (id: string) => {
        const socket = new WebSocket(url, 'graphql-transport-ws');
        sockets.push(socket);
        const messages: string[] = [];
        socket.on('message', (data) => messages.push(String(data)));
        await new Promise((resolve) => socket.once('open', resolve));
        socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
        await expect.poll(() => messages.length).toBe(1);
        socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables: { filter: { ids: [session.id] } } } }));
        return messages;
      };
      // Ids that JSON escapes, and one that spells the end of a placeholder message itself.
      const ids = ['first', 'a "quoted" id', 'back\\slash \u00e9t\u00e9 \u{1F3CA}', 'x","type":"next","payload":{"\u0000shared-frame":1}}'];
      const received = await Promise.all(ids.map(raw));
      await settle();
      publishSessionChanged(
        sessionChanged({
          id: decodeGlobalID(session.id).id,
          organizationId: decodeGlobalID(catalogue.organization.id).id,
          venueId: decodeGlobalID(catalogue.venue.id).id,
          activityId: decodeGlobalID(catalogue.activity.id).id,
          startsAt: new Date(session.startsAt),
        }),
      );
      for (const messages of received) await expect.poll(() => messages.length).toBe(2);
      const payload = { data: { sessionAvailability: { seatsLeft: 4, session: { id: session.id } } } };
      received.forEach((messages, k) => expect(messages[1]).toBe(JSON.stringify({ id: ids[k], type: 'next', payload })));
    } finally {
      for (const socket of sockets) socket.close();
      await app.close();
    }
  });
});

function client(url: string): Client {
  const created = wsClient(url);
  clients.push(created);
  return created;
}

describe('subscribeShared', () => {
  /** A subscribe function whose source the test drives, counting how often it is called. */
  function source() {
    const pushers: ((result: ExecutionResult) => void)[] = [];
    let returned = 0;
    const calls: ExecutionArgs[] = [];
    const subscribe = (args: ExecutionArgs): AsyncIterable<ExecutionResult> => {
      calls.push(args);
      const queue: ExecutionResult[] = [];
      let wake: (() => void) | undefined;
      pushers.push((result) => {
        queue.push(result);
        wake?.();
      });
      return {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            while (!queue.length) await new Promise<void>((resolve) => (wake = resolve));
            return { value: queue.shift()!, done: false };
          },
          return: async () => {
            returned++;
            return { value: undefined, done: true };
          },
        }),
      };
    };
    return { subscribe, calls, push: (result: ExecutionResult) => pushers.forEach((push) => push(result)), returned: () => returned };
  }
  const args = (variables: Record<string, unknown>): ExecutionArgs =>
    ({ document: parse('subscription FanoutShared($v: ID) { sessionAvailability(filter: { ids: [$v] }) { seatsLeft } }'), variableValues: variables }) as never;
  const iterate = async (stream: unknown) => (stream as AsyncIterableIterator<ExecutionResult>)[Symbol.asyncIterator]();

  it('runs identical subscriptions of one caller once, and hands each the same results', async () => {
    const { subscribe, calls, push, returned } = source();
    const [a, b, other, otherCaller] = await Promise.all([
      subscribeShared(args({ v: '1' }), subscribe, 'anonymous:fr').then(iterate),
      subscribeShared(args({ v: '1' }), subscribe, 'anonymous:fr').then(iterate),
      subscribeShared(args({ v: '2' }), subscribe, 'anonymous:fr').then(iterate),
      subscribeShared(args({ v: '1' }), subscribe, 'member-1:fr').then(iterate),
    ]);
    expect(calls).toHaveLength(3);
    const result = { data: { sessionAvailability: { seatsLeft: 3 } } };
    push(result);
    const [fromA, fromB] = await Promise.all([a.next(), b.next()]);
    expect(fromA.value).toBe(fromB.value);
    expect((await other.next()).value).toBe(result);
    expect((await otherCaller.next()).value).toBe(result);

    // The source stops when its last subscriber leaves, not before.
    await a.return!();
    expect(returned()).toBe(0);
    push({ data: { sessionAvailability: { seatsLeft: 2 } } });
    expect((await b.next()).value).toEqual({ data: { sessionAvailability: { seatsLeft: 2 } } });
    await b.return!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(returned()).toBe(1);
    // A newcomer after that starts a new execution.
    const c = await subscribeShared(args({ v: '1' }), subscribe, 'anonymous:fr').then(iterate);
    expect(calls).toHaveLength(4);
    await Promise.all([c.return!(), other.return!(), otherCaller.return!()]);
  });

  it('answers what subscribe answered when it is not a stream (an error result)', async () => {
    const error = { errors: [{ message: 'bad filter' }] } as unknown as ExecutionResult;
    let calls = 0;
    const subscribe = async () => {
      calls++;
      return error;
    };
    const answers = await Promise.all([
      subscribeShared(args({ v: 'x' }), subscribe, 'anonymous:en'),
      subscribeShared(args({ v: 'x' }), subscribe, 'anonymous:en'),
    ]);
    expect(answers).toEqual([error, error]);
    expect(calls).toBe(1);
    // Not kept: the next one asks again.
    expect(await subscribeShared(args({ v: 'x' }), subscribe, 'anonymous:en')).toBe(error);
    expect(calls).toBe(2);
  });
});

const JoinWaitlist = `mutation FanoutJoinWaitlist($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) { __typename ... on JoinWaitlistSuccess { waitlistEntry { id } } ... on Error { code message } } }`;
const CancelBooking = `mutation FanoutCancelBooking($input: CancelBookingInput!) {
  cancelBooking(input: $input) { __typename ... on CancelBookingSuccess { creditReturned } ... on Error { code message } } }`;
const ClaimOffer = `mutation FanoutClaimOffer($input: ClaimWaitlistOfferInput!) {
  claimWaitlistOffer(input: $input) { __typename ... on ClaimWaitlistOfferSuccess { booking { id } } ... on Error { code message } } }`;
const SessionState = `query FanoutSessionState($filter: SessionFilter!) {
  sessions(filter: $filter, first: 1) { edges { node { seatsLeft waitlistLength } } } }`;
const OpenOffers = `query FanoutOpenOffers {
  viewer { waitlistOffers(status: OPEN) { id beneficiary { id } } } }`;

describe('waitlist claims across instances (SPEC §6, 002)', () => {
  it('claims of one freed seat sent to both instances at the same instant have exactly one winner, round after round', async () => {
    const env = { DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl') };
    const [a, b] = await Promise.all([startServer(env, children), startServer(env, children)]);
    const scene = await createScene(a, { capacity: 1, beneficiaries: 7 });
    const [holder, ...waiters] = scene.beneficiaryIds;
    let bookingId = (await book(a, scene, holder!)).id as string;
    for (const [i, beneficiaryId] of waiters.entries()) {
      await mutate(i % 2 ? a : b, 'joinWaitlist', JoinWaitlist, { sessionId: scene.sessionId, beneficiaryId }, scene.memberToken);
    }
    let waiting = waiters.length;
    while (waiting > 1) {
      // The seat frees; everyone still waiting gets an offer and claims it at once, half through each instance.
      await mutate(waiting % 2 ? a : b, 'cancelBooking', CancelBooking, { bookingId }, scene.memberToken);
      const offers = (await gql(b, OpenOffers, {}, scene.memberToken)).viewer.waitlistOffers as { id: string }[];
      expect(offers).toHaveLength(waiting);
      const results = await Promise.all(
        offers.map(async (offer, i) => (await gql(i % 2 ? a : b, ClaimOffer, { input: { offerId: offer.id } }, scene.memberToken)).claimWaitlistOffer as Data),
      );
      const winners = results.filter((result) => result.__typename === 'ClaimWaitlistOfferSuccess');
      expect(winners, `with ${waiting} waiting`).toHaveLength(1);
      expect(results.filter((result) => result.code === 'OFFER_TAKEN')).toHaveLength(waiting - 1);
      bookingId = winners[0]!.booking.id as string;
      waiting -= 1;
      const state = (await gql(a, SessionState, { filter: { ids: [scene.sessionId] } })).sessions.edges[0].node as Data;
      expect(state).toEqual({ seatsLeft: 0, waitlistLength: waiting });
    }
    await Promise.all([stopProcess(a.child), stopProcess(b.child)]);
  }, 90_000);
});
