import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, request, startApp, success } from '../support/app.js';
import { book, createCatalogue, createMember, memberWithCredits, scheduleSession } from '../support/factories.js';
import { startServer, stopProcess } from '../support/processes.js';
import { SqlStatementCounter } from '../support/sql-statement-counter.js';

// Issue 13, "public schedules cached" (src/response-cache.ts): anonymous schedules are answered
// from each instance's cache, and every change of a session reaches every instance's cache before
// the client that made it gets its answer. Instances A and B are two servers on the same database
// and Redis; B is counted on the wire, so "served from the cache" means "no SQL at all".

const Schedule = graphql(`
  query CachedSchedule($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId }, first: 200) {
      edges { node { id startsAt capacity seatsLeft status activity { id name } venue { id name } coach { id displayName } } }
    }
  }
`);

const VenueSchedule = graphql(`
  query CachedVenueSchedule($venueId: ID!) {
    sessions(filter: { venueId: $venueId }, first: 200) {
      edges { node { id seatsLeft } }
    }
  }
`);

const BadSchedule = graphql(`
  query CachedBadSchedule($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId, from: "2030-01-02T00:00:00Z", to: "2030-01-01T00:00:00Z" }, first: 5) {
      edges { node { id } }
    }
  }
`);

const ScheduleWithViewer = graphql(`
  query CachedScheduleWithViewer($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId }, first: 200) {
      edges { node { id seatsLeft } }
    }
    viewer { id email bookings(first: 10) { edges { node { id } } } }
  }
`);

const Register = graphql(`
  query CachedRegister($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId }, first: 200) {
      edges { node { id bookings { id } } }
    }
  }
`);

const Cancel = graphql(`
  mutation CachedCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on Error { code message }
    }
  }
`);

const ChangeCapacity = graphql(`
  mutation CachedChangeCapacity($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) {
      __typename
      ... on Error { code message }
    }
  }
`);

const UpdateSession = graphql(`
  mutation CachedUpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on Error { code message }
    }
  }
`);

const CancelSession = graphql(`
  mutation CachedCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on Error { code message }
    }
  }
`);

const ChangeCapacityShowing = graphql(`
  mutation CachedChangeCapacityShowing($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) {
      __typename
      ... on ChangeSessionCapacitySuccess { session { id capacity } }
      ... on Error { code message }
    }
  }
`);

let a: App;
let b: App;
let counter: SqlStatementCounter;
let bUrl: string;

beforeAll(async () => {
  counter = await SqlStatementCounter.start(inject('databaseUrl'));
  a = await startApp();
  b = await startApp({ databaseUrl: counter.url });
  bUrl = `http://127.0.0.1:${await b.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await counter?.close();
});

/** B's answer to an anonymous request, with the SQL statements B sent for it. */
async function onB<T>(work: () => Promise<T>): Promise<{ answer: T; statements: number }> {
  let answer!: T;
  const { count } = await counter.during(async () => {
    answer = await work();
  });
  return { answer, statements: count };
}

const seatsOf = (data: { sessions: { edges: { node: { id: string; seatsLeft: number } }[] } }, sessionId: string) =>
  data.sessions.edges.find((edge) => edge.node.id === sessionId)?.node.seatsLeft;

describe('the public schedule cache', () => {
  it('answers a repeated anonymous schedule without SQL, per language, and never a logged-in one', async () => {
    const catalogue = await createCatalogue(a);
    const session = await scheduleSession(a, catalogue, { capacity: 7 });
    const variables = { organizationId: catalogue.organization.id };

    const first = await onB(() => execute(b, Schedule, variables));
    expect(first.statements).toBeGreaterThan(0);
    expect(first.answer.sessions.edges.map((edge) => edge.node)).toMatchObject([{ id: session.id, seatsLeft: 7, venue: { name: 'Pool' } }]);

    const second = await onB(() => execute(b, Schedule, variables));
    expect(second.statements).toBe(0);
    expect(second.answer).toEqual(first.answer);
    // Over HTTP too (what clients do), and with the same answer.
    const overHttp = await onB(() => httpRequest(bUrl, Schedule, variables));
    expect(overHttp.statements).toBe(0);
    expect(overHttp.answer).toEqual(first.answer);

    // Another language is another entry (messages are translated).
    expect((await onB(() => execute(b, Schedule, variables, { locale: 'en' }))).statements).toBeGreaterThan(0);
    expect((await onB(() => execute(b, Schedule, variables, { locale: 'en' }))).statements).toBe(0);

    // A logged-in request is always executed, even for public fields.
    const member = await createMember(a);
    for (let k = 0; k < 2; k += 1) {
      const asMember = await onB(() => execute(b, Schedule, variables, { token: member.token }));
      expect(asMember.statements).toBeGreaterThan(0);
      expect(asMember.answer).toEqual(first.answer);
    }

    // An answer with errors is not kept: the same mistake is checked, and translated, each time.
    for (const locale of ['fr', 'en', 'fr']) {
      const bad = await request(b, BadSchedule, variables, { locale });
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION' });
      expect(bad.errors?.[0]?.message).toMatch(locale === 'en' ? /date|before|after/i : /date|avant|après/i);
    }
  });

  it('executes a burst of identical schedules once: the others wait for its answer', async () => {
    const catalogue = await createCatalogue(a);
    const sessions = await Promise.all([30, 31, 32].map((startsInHours) => scheduleSession(a, catalogue, { startsInHours })));
    const variables = { organizationId: catalogue.organization.id };
    // What one execution of this schedule costs (in English: another entry).
    const one = await onB(() => execute(b, Schedule, variables, { locale: 'en' }));
    expect(one.statements).toBeGreaterThan(0);

    const sent = counter as unknown as { count: number };
    counter.take();
    const first = execute(b, Schedule, variables);
    // Once the first is reading the database, six more of the same arrive.
    while (sent.count === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const others = await Promise.all(Array.from({ length: 6 }, () => execute(b, Schedule, variables)));
    const answer = await first;
    expect(counter.take().count).toBe(one.statements);
    expect(answer.sessions.edges.map((edge) => edge.node.id)).toEqual(sessions.map((session) => session.id));
    for (const other of others) expect(other).toEqual(answer);
  });

  it('shows a booking made on A in the very next schedule read on B, and a cancellation', async () => {
    const catalogue = await createCatalogue(a);
    const session = await scheduleSession(a, catalogue, { capacity: 5 });
    const variables = { organizationId: catalogue.organization.id };
    const members = await Promise.all([1, 2, 3].map(() => memberWithCredits(a, catalogue)));
    expect(seatsOf(await execute(b, Schedule, variables), session.id)).toBe(5);
    expect((await onB(() => execute(b, Schedule, variables))).statements).toBe(0);

    const bookings: string[] = [];
    for (const [k, member] of members.entries()) {
      bookings.push(await book(a, member, session.id, member.beneficiaryId));
      expect(seatsOf(await execute(b, Schedule, variables), session.id)).toBe(4 - k);
      expect(seatsOf(await execute(b, VenueSchedule, { venueId: catalogue.venue.id }), session.id)).toBe(4 - k);
      // And cached again until the next change.
      expect((await onB(() => execute(b, Schedule, variables))).statements).toBe(0);
    }
    success((await execute(a, Cancel, { input: { bookingId: bookings[0]! } }, { token: members[0]!.token })).cancelBooking, 'CancelBookingSuccess');
    expect(seatsOf(await execute(b, Schedule, variables), session.id)).toBe(3);
    success(
      (await execute(a, ChangeCapacity, { input: { sessionId: session.id, capacity: 9 } }, { token: catalogue.admin.token })).changeSessionCapacity,
      'ChangeSessionCapacitySuccess',
    );
    expect(seatsOf(await execute(b, Schedule, variables), session.id)).toBe(7);
  });

  it('lists a new session at once, in every list that can hold it', async () => {
    const catalogue = await createCatalogue(a);
    const first = await scheduleSession(a, catalogue, { startsInHours: 30 });
    const variables = { organizationId: catalogue.organization.id };
    expect((await execute(b, Schedule, variables)).sessions.edges.map((edge) => edge.node.id)).toEqual([first.id]);
    expect((await execute(b, VenueSchedule, { venueId: catalogue.venue.id })).sessions.edges.map((edge) => edge.node.id)).toEqual([first.id]);
    expect((await onB(() => execute(b, VenueSchedule, { venueId: catalogue.venue.id }))).statements).toBe(0);

    const second = await scheduleSession(a, catalogue, { startsInHours: 20 });
    expect((await execute(b, Schedule, variables)).sessions.edges.map((edge) => edge.node.id)).toEqual([second.id, first.id]);
    expect((await execute(b, VenueSchedule, { venueId: catalogue.venue.id })).sessions.edges.map((edge) => edge.node.id)).toEqual([second.id, first.id]);

    // Moved after the other one, then cancelled, on A: B's next read says so.
    const later = new Date(Date.now() + 40 * 3_600_000);
    success(
      (
        await execute(
          a,
          UpdateSession,
          { input: { sessionId: second.id, startsAt: later.toISOString(), endsAt: new Date(later.getTime() + 3_600_000).toISOString() } },
          { token: catalogue.admin.token },
        )
      ).updateSession,
      'UpdateSessionSuccess',
    );
    expect((await execute(b, Schedule, variables)).sessions.edges.map((edge) => edge.node.id)).toEqual([first.id, second.id]);
    success(
      (await execute(a, CancelSession, { input: { sessionId: second.id, reason: 'Pool closed' } }, { token: catalogue.admin.token })).cancelSession,
      'CancelSessionSuccess',
    );
    expect((await execute(b, Schedule, variables)).sessions.edges.map((edge) => edge.node.status)).toEqual(['SCHEDULED', 'CANCELLED']);
  });

  it("never serves one member's data, or staff-only fields, to someone else", async () => {
    const catalogue = await createCatalogue(a);
    const session = await scheduleSession(a, catalogue);
    const variables = { organizationId: catalogue.organization.id };
    const [alice, bob] = await Promise.all([memberWithCredits(a, catalogue), memberWithCredits(a, catalogue)]);
    const aliceBooking = await book(a, alice, session.id, alice.beneficiaryId);

    const asAlice = await execute(b, ScheduleWithViewer, variables, { token: alice.token });
    expect(asAlice.viewer).toMatchObject({ email: alice.email, bookings: { edges: [{ node: { id: aliceBooking } }] } });
    const asBob = await execute(b, ScheduleWithViewer, variables, { token: bob.token });
    expect(asBob.viewer).toMatchObject({ email: bob.email, bookings: { edges: [] } });
    const anonymous = await execute(b, ScheduleWithViewer, variables);
    expect(anonymous.viewer).toBeNull();
    expect(JSON.stringify(anonymous)).not.toContain(alice.email);
    // Asked again, each still gets their own.
    expect((await execute(b, ScheduleWithViewer, variables, { token: bob.token })).viewer?.email).toBe(bob.email);
    expect((await execute(b, ScheduleWithViewer, variables)).viewer).toBeNull();

    // The register is the staff's: whatever they asked before, others are refused.
    const staff = await execute(b, Register, variables, { token: catalogue.admin.token });
    expect(staff.sessions.edges[0]?.node.bookings.map((booking) => booking.id)).toEqual([aliceBooking]);
    for (const token of [undefined, undefined, bob.token]) {
      const other = await request(b, Register, variables, { token });
      expect(other.errors?.[0]?.extensions).toMatchObject({ code: token ? 'FORBIDDEN' : 'UNAUTHENTICATED' });
      expect(JSON.stringify(other)).not.toContain(aliceBooking);
    }
  });
});

describe('what travels through Redis', () => {
  it('a booking sends its session change only: a Booking is never in a cached answer, so no cache:invalidate names it', async () => {
    const listener = new Redis(inject('redisUrl'));
    const invalidated: string[] = [];
    listener.on('message', (channel: string, message: string) => {
      if (channel === 'cache:invalidate') invalidated.push(message);
    });
    await listener.subscribe('cache:invalidate');
    try {
      const catalogue = await createCatalogue(a);
      const session = await scheduleSession(a, catalogue, { capacity: 5 });
      const member = await memberWithCredits(a, catalogue, 2);
      const bookingId = await book(a, member, session.id, member.beneficiaryId);
      // A change of what schedules show does travel (others drop their copies).
      success((await execute(a, ChangeCapacityShowing, { input: { sessionId: session.id, capacity: 6 } }, { token: catalogue.admin.token })).changeSessionCapacity, 'ChangeSessionCapacitySuccess');
      await expect.poll(() => invalidated.some((message) => message.includes(session.id)), { timeout: 5_000 }).toBe(true);
      expect(invalidated.filter((message) => message.includes(bookingId))).toEqual([]);
    } finally {
      listener.disconnect();
    }
  });
});

describe('two server processes', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map((child) => stopProcess(child)));
  });

  it('a booking on one shows in the next schedule read on the other, through Redis', async () => {
    const env = { DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl'), DEMO_DATA: '0' };
    // One after the other: two starts at once can take longer than startServer waits on a busy machine.
    const one = await startServer(env, children);
    const other = await startServer(env, children);
    const catalogue = await createCatalogue(a);
    const session = await scheduleSession(a, catalogue, { capacity: 20 });
    const variables = { organizationId: catalogue.organization.id };
    const members = await Promise.all(Array.from({ length: 4 }, () => memberWithCredits(a, catalogue)));
    expect(seatsOf(await httpRequest(other.url, Schedule, variables), session.id)).toBe(20);

    for (const [k, member] of members.entries()) {
      const booked = await httpRequest(one.url, BookOnly, { input: { sessionId: session.id, beneficiaryId: member.beneficiaryId } }, { token: member.token });
      expect(booked.bookSession.__typename).toBe('BookSessionSuccess');
      // Read at once, on the process that did not book: it learnt of it through Redis only.
      expect(seatsOf(await httpRequest(other.url, Schedule, variables), session.id)).toBe(19 - k);
      expect(seatsOf(await httpRequest(one.url, Schedule, variables), session.id)).toBe(19 - k);
    }
  }, 120_000);
});

const BookOnly = graphql(`
  mutation CachedBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on Error { code message }
    }
  }
`);
