import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { book, createCatalogue, memberWithCredits, scheduleSession, type TestMember } from '../support/factories.js';
import { SqlStatementCounter } from '../support/sql-statement-counter.js';

// Issue 13, regression guard: the SQL statements each hot path sends to PostgreSQL, counted on the
// wire (BEGIN and COMMIT, raw queries and Prisma's alike) by a proxy between this server and the
// database. A change that adds a statement to one of them fails here: make it cheaper, or change
// the pinned number on purpose and say why in the commit.

// A member's login row is read by their first request only: the instance keeps it valid for a few
// seconds, until a revocation (src/services/member/auth-sessions.ts). The counts below are a
// member's usual request, made moments after another; `bookSessionFirstRequest` is a fresh login's.
const PINNED = {
  // The fast path: one read (booking_context), one call (book_session_with_credit). Was 21.
  bookSession: 2,
  bookSessionFirstRequest: 3,
  // A full session: the read says so, and no call follows. Was 3, then 2 (the call answered why).
  bookSessionFull: 1,
  // The fast path (cancel_booking_with_credit): one read, one call. Was 22.
  cancelBooking: 2,
  // + 1 for the webhook outbox (issue 14): one INSERT … SELECT per event, that writes nothing
  // when no endpoint listens (booking.created and waitlist.offer_claimed). Was 36 before Prisma
  // loaded relations by JOIN (the relationJoins preview feature): the offer with its entry and
  // the session with its rules are one statement each.
  claimWaitlistOffer: 29,
  // One statement: the page with its activities, venues and coaches joined (was 4, one a relation).
  schedule20: 1,
  schedule200: 1,
};

let app: App;
let counter: SqlStatementCounter;
beforeAll(async () => {
  counter = await SqlStatementCounter.start(inject('databaseUrl'));
  app = await startApp({ databaseUrl: counter.url });
});
afterAll(async () => {
  await app?.close();
  await counter?.close();
});

const Book = graphql(`
  mutation CountedBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status } }
      ... on Error { code message }
    }
  }
`);

const LogIn = graphql(`
  mutation CountedLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation CountedCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { status } }
      ... on Error { code message }
    }
  }
`);

const Join = graphql(`
  mutation CountedJoin($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) {
      __typename
      ... on JoinWaitlistSuccess { waitlistEntry { id } }
      ... on Error { code message }
    }
  }
`);

const Offers = graphql(`
  query CountedOffers {
    viewer { waitlistOffers { id status } }
  }
`);

const Claim = graphql(`
  mutation CountedClaim($input: ClaimWaitlistOfferInput!) {
    claimWaitlistOffer(input: $input) {
      __typename
      ... on ClaimWaitlistOfferSuccess { booking { id status } }
      ... on Error { code message }
    }
  }
`);

const CreateCoach = graphql(`
  mutation CountedCreateCoach($input: CreateCoachInput!) {
    createCoach(input: $input) {
      __typename
      ... on CreateCoachSuccess { coach { id } }
      ... on Error { code message }
    }
  }
`);

const ScheduleWithCoach = graphql(`
  mutation CountedScheduleSession($input: ScheduleSessionInput!) {
    scheduleSession(input: $input) {
      __typename
      ... on ScheduleSessionSuccess { session { id } }
      ... on Error { code message }
    }
  }
`);

const Schedule = graphql(`
  query CountedSchedule($organizationId: ID!, $first: Int!) {
    sessions(filter: { organizationId: $organizationId }, first: $first) {
      edges { cursor node { id startsAt endsAt capacity seatsLeft waitlistLength status
        activity { id name } venue { id name city } coach { id displayName } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** The statements one request sent, with its answer. Nothing else runs on this server meanwhile. */
async function counted<T>(work: () => Promise<T>): Promise<{ statements: number; prepared: number; sql: string[]; answer: T }> {
  let answer!: T;
  const { count, prepared, statements } = await counter.during(async () => {
    answer = await work();
  });
  return { statements: count, prepared, sql: statements, answer };
}

/** Fails with the SQL listed, so whoever changed the count sees what was sent. */
function expectStatements(name: keyof typeof PINNED, result: { statements: number; sql: string[] }) {
  expect(result.statements, `${name} sent:\n${result.sql.map((sql, k) => `${k + 1}. ${sql.replace(/\s+/g, ' ').slice(0, 160)}`).join('\n')}`).toBe(
    PINNED[name],
  );
}

describe('SQL statements per request (counted on the wire)', () => {
  it('bookSession with a credit: its transaction, ledger entry and confirmation email included', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue);
    const member = await memberWithCredits(app, catalogue);
    const warm = await scheduleSession(app, catalogue);
    await book(app, member, warm.id, member.beneficiaryId);

    const result = await counted(() => execute(app, Book, { input: { sessionId: session.id, beneficiaryId: member.beneficiaryId } }, { token: member.token }));
    expect(success(result.answer.bookSession, 'BookSessionSuccess').booking.status).toBe('CONFIRMED');
    expectStatements('bookSession', result);
    // Both are named prepared statements: each connection plans them once, not on every booking.
    expect(result.prepared).toBe(result.statements);
  });

  it('bookSession as the first request of a login: its row is read once more', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue);
    const member = await memberWithCredits(app, catalogue);
    const login = await execute(app, LogIn, { input: { email: member.email, password: member.password } });
    const token = success(login.logIn, 'LogInSuccess').token;

    const result = await counted(() => execute(app, Book, { input: { sessionId: session.id, beneficiaryId: member.beneficiaryId } }, { token }));
    expect(success(result.answer.bookSession, 'BookSessionSuccess').booking.status).toBe('CONFIRMED');
    expect(result.sql[0]).toContain('"AuthSession"');
    expectStatements('bookSessionFirstRequest', result);
  });

  it('bookSession refused for want of a seat: SESSION_FULL from the one read', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const holder = await memberWithCredits(app, catalogue);
    const loser = await memberWithCredits(app, catalogue);
    await book(app, holder, session.id, holder.beneficiaryId);
    const warm = await scheduleSession(app, catalogue);
    await book(app, loser, warm.id, loser.beneficiaryId);

    const result = await counted(() => execute(app, Book, { input: { sessionId: session.id, beneficiaryId: loser.beneficiaryId } }, { token: loser.token }));
    expect(result.answer.bookSession).toMatchObject({ __typename: 'SessionFullError', code: 'SESSION_FULL' });
    expectStatements('bookSessionFull', result);
  });

  it('cancelBooking in time: the credit comes back and the member is told', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue);
    const member = await memberWithCredits(app, catalogue);
    const bookingId = await book(app, member, session.id, member.beneficiaryId);

    const result = await counted(() => execute(app, Cancel, { input: { bookingId } }, { token: member.token }));
    expect(success(result.answer.cancelBooking, 'CancelBookingSuccess')).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED' } });
    expectStatements('cancelBooking', result);
    expect(result.prepared).toBe(result.statements);
  });

  it('claimWaitlistOffer: the seat freed for the waitlist becomes the claimant’s booking', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const holder = await memberWithCredits(app, catalogue);
    const waiter: TestMember & { beneficiaryId: string } = await memberWithCredits(app, catalogue);
    const bookingId = await book(app, holder, session.id, holder.beneficiaryId);
    success((await execute(app, Join, { input: { sessionId: session.id, beneficiaryId: waiter.beneficiaryId } }, { token: waiter.token })).joinWaitlist, 'JoinWaitlistSuccess');
    success((await execute(app, Cancel, { input: { bookingId } }, { token: holder.token })).cancelBooking, 'CancelBookingSuccess');
    const [offer] = (await execute(app, Offers, {}, { token: waiter.token })).viewer!.waitlistOffers;
    expect(offer).toMatchObject({ status: 'OPEN' });

    const result = await counted(() => execute(app, Claim, { input: { offerId: offer!.id } }, { token: waiter.token }));
    expect(success(result.answer.claimWaitlistOffer, 'ClaimWaitlistOfferSuccess').booking.status).toBe('CONFIRMED');
    expectStatements('claimWaitlistOffer', result);
  });

  it('the schedule with activity, venue, coach and seats: the same few statements for 20 and 200 sessions', async () => {
    const catalogue = await createCatalogue(app);
    const coach = success(
      (await execute(app, CreateCoach, { input: { organizationId: catalogue.organization.id, displayName: 'Coach' } }, { token: catalogue.admin.token })).createCoach,
      'CreateCoachSuccess',
    ).coach;
    const start = Date.now() + 48 * 3_600_000;
    for (let batch = 0; batch < 200; batch += 20) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, k) => {
          const startsAt = new Date(start + (batch + k) * 3_600_000);
          const input = {
            activityId: catalogue.activity.id,
            venueId: catalogue.venue.id,
            coachId: coach.id,
            startsAt: startsAt.toISOString(),
            endsAt: new Date(startsAt.getTime() + 3_000_000).toISOString(),
            capacity: 10,
          };
          success((await execute(app, ScheduleWithCoach, { input }, { token: catalogue.admin.token })).scheduleSession, 'ScheduleSessionSuccess');
        }),
      );
    }
    await execute(app, Schedule, { organizationId: catalogue.organization.id, first: 5 });

    for (const [first, name] of [
      [20, 'schedule20'],
      [200, 'schedule200'],
    ] as const) {
      const result = await counted(() => execute(app, Schedule, { organizationId: catalogue.organization.id, first }));
      const edges = result.answer.sessions.edges;
      expect(edges).toHaveLength(first);
      expect(edges.every((edge) => edge.node.coach?.displayName === 'Coach' && edge.node.venue.name === 'Pool' && edge.node.seatsLeft === 10)).toBe(true);
      expectStatements(name, result);
    }
  }, 120_000);
});
