import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { httpRequest, startApp } from '../support/app.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  scheduleSession,
  memberWithCredits,
} from '../support/factories.js';

// SPEC §5 "Never overbook, never double-spend": real parallel HTTP requests against one server
// and one PostgreSQL, each race repeated so that a lucky interleaving cannot hide a bug.

const REPEAT = Number(process.env.RACE_REPEAT ?? 50);

let app: App;
let url: string;
let catalogue: Awaited<ReturnType<typeof createCatalogue>>;

beforeAll(async () => {
  app = await startApp();
  url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
  catalogue = await createCatalogue(app);
});
afterAll(async () => {
  await app.close();
});

const RaceBook = graphql(`
  mutation RaceBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id } }
      ... on Error { code }
    }
  }
`);

const RaceCancel = graphql(`
  mutation RaceCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned }
      ... on Error { code }
    }
  }
`);

const RaceCancelSession = graphql(`
  mutation RaceCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

type Outcome = { __typename?: string; code?: string };

function codes(results: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.code ?? result.__typename ?? '?';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const withCredits = (credits: number) => memberWithCredits(app, catalogue, credits);

async function seatsAndBookings(sessionId: string) {
  const session = await prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
  const active = await prisma.booking.count({ where: { sessionId, status: { in: ['CONFIRMED', 'ATTENDED', 'NO_SHOW'] } } });
  return { seatsTaken: session.seatsTaken, active };
}

function rawId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString().split(':')[1]!;
}

describe('races', () => {
  it(`12 members for 3 seats: exactly 3 booked, the others SESSION_FULL (×${REPEAT})`, async () => {
    const members = await Promise.all(Array.from({ length: 12 }, () => withCredits(REPEAT)));
    for (let round = 0; round < REPEAT; round += 1) {
      const session = await scheduleSession(app, catalogue, { capacity: 3 });
      const results = await Promise.all(
        members.map((m) =>
          httpRequest(url, RaceBook, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token }).then(
            (data) => data.bookSession as Outcome,
          ),
        ),
      );
      expect(codes(results), `round ${round}`).toEqual({ BookSessionSuccess: 3, SESSION_FULL: 9 });
      expect(await seatsAndBookings(rawId(session.id))).toEqual({ seatsTaken: 3, active: 3 });
    }
    // Each member paid exactly for the bookings they got.
    const booked = await prisma.booking.groupBy({
      by: ['beneficiaryId'],
      where: { beneficiaryId: { in: members.map((m) => rawId(m.beneficiaryId)) } },
      _count: true,
    });
    const lots = await prisma.entitlement.findMany({ where: { beneficiaryId: { in: members.map((m) => rawId(m.beneficiaryId)) } } });
    for (const lot of lots) {
      const count = booked.find((row) => row.beneficiaryId === lot.beneficiaryId)?._count ?? 0;
      expect(lot.creditsRemaining).toBe(REPEAT - count);
    }
    expect(booked.reduce((sum, row) => sum + row._count, 0)).toBe(3 * REPEAT);
  });

  it(`one credit, 6 parallel bookings of 6 sessions: exactly 1 booked, the others NO_CREDIT (×${REPEAT})`, async () => {
    const m = await createMember(app);
    const oneCredit = await createOffer(app, catalogue, { credits: 1 });
    const sessions = await Promise.all(Array.from({ length: 6 }, () => scheduleSession(app, catalogue, { capacity: 1000 })));
    for (let round = 0; round < REPEAT; round += 1) {
      const beneficiaryId = await addBeneficiary(app, m, '1990-05-17', `Round${round}`);
      await buyCredits(app, catalogue, m, oneCredit, beneficiaryId);
      const results = await Promise.all(
        sessions.map((session) =>
          httpRequest(url, RaceBook, { input: { sessionId: session.id, beneficiaryId } }, { token: m.token }).then((d) => d.bookSession as Outcome),
        ),
      );
      expect(codes(results), `round ${round}`).toEqual({ BookSessionSuccess: 1, NO_CREDIT: 5 });
    }
    for (const session of sessions) {
      const { seatsTaken, active } = await seatsAndBookings(rawId(session.id));
      expect(seatsTaken).toBe(active);
    }
    expect(await prisma.booking.count({ where: { memberId: rawId(m.id) } })).toBe(REPEAT);
  });

  it(`the same beneficiary booking one session 5 times at once gets one seat (×${REPEAT})`, async () => {
    const m = await withCredits(5 * REPEAT);
    for (let round = 0; round < REPEAT; round += 1) {
      const session = await scheduleSession(app, catalogue, { capacity: 10 });
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          httpRequest(url, RaceBook, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token }).then(
            (d) => d.bookSession as Outcome,
          ),
        ),
      );
      expect(codes(results), `round ${round}`).toEqual({ BookSessionSuccess: 1, ALREADY_BOOKED: 4 });
      expect(await seatsAndBookings(rawId(session.id))).toEqual({ seatsTaken: 1, active: 1 });
    }
    const [lot] = await prisma.entitlement.findMany({ where: { beneficiaryId: rawId(m.beneficiaryId) } });
    expect(lot!.creditsRemaining).toBe(5 * REPEAT - REPEAT);
  });

  it(`a cancellation racing a booking for the last seat: the seat count always matches the bookings (×${REPEAT})`, async () => {
    const [holder, challenger] = await Promise.all([withCredits(REPEAT), withCredits(REPEAT)]);
    const seen = { challengerWon: 0, challengerFull: 0 };
    for (let round = 0; round < REPEAT; round += 1) {
      const session = await scheduleSession(app, catalogue, { capacity: 1 });
      const bookingId = await book(app, holder, session.id, holder.beneficiaryId);
      const [cancelled, booked] = await Promise.all([
        httpRequest(url, RaceCancel, { input: { bookingId } }, { token: holder.token }).then((d) => d.cancelBooking as Outcome & { creditReturned?: boolean }),
        httpRequest(url, RaceBook, { input: { sessionId: session.id, beneficiaryId: challenger.beneficiaryId } }, { token: challenger.token }).then(
          (d) => d.bookSession as Outcome,
        ),
      ]);
      expect(cancelled).toMatchObject({ __typename: 'CancelBookingSuccess', creditReturned: true });
      expect(['BookSessionSuccess', 'SESSION_FULL']).toContain(booked.code ?? booked.__typename);
      if (booked.__typename === 'BookSessionSuccess') seen.challengerWon += 1;
      else seen.challengerFull += 1;
      const state = await seatsAndBookings(rawId(session.id));
      expect(state.seatsTaken).toBe(state.active);
      expect(state.active).toBe(booked.__typename === 'BookSessionSuccess' ? 1 : 0);
    }
    const lots = await prisma.entitlement.findMany({ where: { beneficiaryId: { in: [rawId(holder.beneficiaryId), rawId(challenger.beneficiaryId)] } } });
    const holderLot = lots.find((lot) => lot.beneficiaryId === rawId(holder.beneficiaryId))!;
    const challengerLot = lots.find((lot) => lot.beneficiaryId === rawId(challenger.beneficiaryId))!;
    expect(holderLot.creditsRemaining).toBe(REPEAT); // every booking cancelled in time, every credit back
    expect(challengerLot.creditsRemaining).toBe(REPEAT - seen.challengerWon);
  });

  it(`staff cancelling a session while members cancel and book it: everyone keeps their credit, nothing stays booked (×${REPEAT})`, async () => {
    const members = await Promise.all(Array.from({ length: 4 }, () => withCredits(REPEAT)));
    const staff = catalogue.admin;
    for (let round = 0; round < REPEAT; round += 1) {
      const session = await scheduleSession(app, catalogue, { capacity: 10 });
      const bookingIds = await Promise.all(members.slice(0, 2).map((m) => book(app, m, session.id, m.beneficiaryId)));
      const [cancelledSession, ...others] = await Promise.all([
        httpRequest(url, RaceCancelSession, { input: { sessionId: session.id, reason: 'Coach absent' } }, { token: staff.token }).then(
          (d) => d.cancelSession as Outcome,
        ),
        ...bookingIds.map((bookingId, i) =>
          httpRequest(url, RaceCancel, { input: { bookingId } }, { token: members[i]!.token }).then((d) => d.cancelBooking as Outcome),
        ),
        ...members.slice(2).map((m) =>
          httpRequest(url, RaceBook, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token }).then(
            (d) => d.bookSession as Outcome,
          ),
        ),
      ]);
      expect(cancelledSession.__typename, `round ${round}`).toBe('CancelSessionSuccess');
      for (const outcome of others) {
        expect(['CancelBookingSuccess', 'BOOKING_NOT_CANCELLABLE', 'BookSessionSuccess', 'SESSION_NOT_BOOKABLE']).toContain(
          outcome.code ?? outcome.__typename,
        );
      }
      expect(await seatsAndBookings(rawId(session.id))).toEqual({ seatsTaken: 0, active: 0 });
    }
    // Whatever won each race, no credit was lost: every booking was cancelled in time or by the organisation.
    const lots = await prisma.entitlement.findMany({ where: { beneficiaryId: { in: members.map((m) => rawId(m.beneficiaryId)) } } });
    expect(lots.map((lot) => lot.creditsRemaining)).toEqual(lots.map(() => REPEAT));
  });

  it("after all the races, every balance is the sum of its ledger and every seat count matches the bookings", async () => {
    const organizationId = rawId(catalogue.organization.id);
    const mismatchedBalances = await prisma.$queryRaw<unknown[]>`
      SELECT e."id" FROM "Entitlement" e
        LEFT JOIN "CreditLedgerEntry" l ON l."entitlementId" = e."id"
       WHERE e."organizationId" = ${organizationId}::uuid
       GROUP BY e."id", e."creditsRemaining"
      HAVING e."creditsRemaining" <> COALESCE(SUM(l."delta"), 0)`;
    expect(mismatchedBalances).toEqual([]);
    const mismatchedSeats = await prisma.$queryRaw<unknown[]>`
      SELECT s."id" FROM "Session" s
        LEFT JOIN "Booking" b ON b."sessionId" = s."id" AND b."status" IN ('CONFIRMED', 'ATTENDED', 'NO_SHOW')
       WHERE s."organizationId" = ${organizationId}::uuid
       GROUP BY s."id", s."seatsTaken"
      HAVING s."seatsTaken" <> COUNT(b."id")`;
    expect(mismatchedSeats).toEqual([]);
    expect(await prisma.entitlement.count({ where: { organizationId } })).toBeGreaterThan(REPEAT);
  });
});
