import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, startApp, success } from '../support/app.js';
import {
  book,
  createCatalogue,
  scheduleSession,
  type TestMember,
  memberWithCredits,
} from '../support/factories.js';
import { subscribe, wsClient } from '../support/ws.js';

// The waitlist (SPEC §6, seed 002 "first click wins", 003 §7) through the API, on PostgreSQL.

const REPEAT = Number(process.env.RACE_REPEAT ?? 20);

let app: App;
let url: string;
beforeAll(async () => {
  app = await startApp();
  url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await app.close();
});

const Join = graphql(`
  mutation WaitlistJoin($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) {
      __typename
      ... on JoinWaitlistSuccess { waitlistEntry { id status position session { seatsLeft waitlistLength } } }
      ... on Error { code message }
    }
  }
`);

const Leave = graphql(`
  mutation WaitlistLeave($input: LeaveWaitlistInput!) {
    leaveWaitlist(input: $input) {
      __typename
      ... on LeaveWaitlistSuccess { waitlistEntry { id status position session { waitlistLength } } }
      ... on Error { code message }
    }
  }
`);

const Claim = graphql(`
  mutation WaitlistClaim($input: ClaimWaitlistOfferInput!) {
    claimWaitlistOffer(input: $input) {
      __typename
      ... on ClaimWaitlistOfferSuccess { booking { id status session { id seatsLeft waitlistLength } } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation WaitlistCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { status } }
      ... on Error { code message }
    }
  }
`);

const MyWaitlist = graphql(`
  query WaitlistMine {
    viewer {
      waitlistEntries { id status position }
      waitlistOffers { id status expiresAt claimUrl session { id } beneficiary { id } }
      entitlements { creditsRemaining status }
      bookings { edges { node { id status session { id } } } }
    }
  }
`);

const MyOffers = graphql(`
  subscription WaitlistMyOffers {
    myWaitlistOffers { id status session { id } beneficiary { id } }
  }
`);

const Availability = graphql(`
  subscription WaitlistAvailability($filter: SessionFilter!) {
    sessionAvailability(filter: $filter) { seatsLeft capacity waitlistLength session { id } }
  }
`);

const SessionState = graphql(`
  query WaitlistSessionState($id: ID!) {
    node(id: $id) { ... on Session { seatsLeft capacity waitlistLength status } }
  }
`);

const SetPolicy = graphql(`
  mutation WaitlistSetPolicy($input: SetWaitlistPolicyInput!) {
    setWaitlistPolicy(input: $input) {
      __typename
      ... on SetWaitlistPolicySuccess { organization { waitlistPolicy waitlistClaimDeadlineHours waitlistOfferWindowMinutes } }
      ... on Error { code message }
    }
  }
`);

const ChangeCapacity = graphql(`
  mutation WaitlistChangeCapacity($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) {
      __typename
      ... on ChangeSessionCapacitySuccess { session { capacity seatsLeft waitlistLength } }
      ... on Error { code message }
    }
  }
`);

const CancelSession = graphql(`
  mutation WaitlistCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on CancelSessionSuccess { session { status waitlistLength } }
      ... on Error { code message }
    }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;
type Member = TestMember & { beneficiaryId: string };

const member = (target: App, catalogue: Catalogue, credits = 5): Promise<Member> => memberWithCredits(target, catalogue, credits);

async function mine(target: App, m: TestMember) {
  return (await execute(target, MyWaitlist, {}, { token: m.token })).viewer!;
}

async function balance(target: App, m: TestMember): Promise<number> {
  return (await mine(target, m)).entitlements.reduce((sum, lot) => sum + (lot.status === 'ACTIVE' ? lot.creditsRemaining : 0), 0);
}

async function join(target: App, m: Member, sessionId: string) {
  return (await execute(target, Join, { input: { sessionId, beneficiaryId: m.beneficiaryId } }, { token: m.token })).joinWaitlist;
}

async function sessionState(target: App, id: string) {
  return (await execute(target, SessionState, { id })).node as { seatsLeft: number; capacity: number; waitlistLength: number; status: string };
}

function rawId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString().split(':')[1]!;
}

/** A full session of one seat, booked by a member who can free it. */
async function fullSession(target: App, catalogue: Catalogue, startsInHours = 48) {
  const session = await scheduleSession(target, catalogue, { capacity: 1, startsInHours });
  const holder = await member(target, catalogue);
  const bookingId = await book(target, holder, session.id, holder.beneficiaryId);
  return { session, holder, bookingId };
}

describe('joining and leaving (SPEC §6)', () => {
  it('a full session takes a waitlist entry that holds one credit; leaving releases it', async () => {
    const catalogue = await createCatalogue(app);
    const { session } = await fullSession(app, catalogue);
    const open = await scheduleSession(app, catalogue, { capacity: 5 });
    const m = await member(app, catalogue, 3);

    expect(await join(app, m, open.id)).toMatchObject({ code: 'SESSION_NOT_FULL' });
    const joined = success(await join(app, m, session.id), 'JoinWaitlistSuccess').waitlistEntry;
    expect(joined).toMatchObject({ status: 'WAITING', position: 1, session: { seatsLeft: 0, waitlistLength: 1 } });
    expect(await balance(app, m)).toBe(2);
    expect(await join(app, m, session.id)).toMatchObject({ code: 'ALREADY_ON_WAITLIST' });
    const second = await member(app, catalogue, 1);
    expect(success(await join(app, second, session.id), 'JoinWaitlistSuccess').waitlistEntry).toMatchObject({ position: 2 });

    // Someone else cannot take your place out of the line.
    expect((await execute(app, Leave, { input: { waitlistEntryId: joined.id } }, { token: second.token })).leaveWaitlist).toMatchObject({
      code: 'FORBIDDEN',
    });
    const left = success(
      (await execute(app, Leave, { input: { waitlistEntryId: joined.id } }, { token: m.token })).leaveWaitlist,
      'LeaveWaitlistSuccess',
    ).waitlistEntry;
    expect(left).toMatchObject({ status: 'LEFT', position: null, session: { waitlistLength: 1 } });
    expect(await balance(app, m)).toBe(3);
    expect((await mine(app, second)).waitlistEntries[0]).toMatchObject({ status: 'WAITING', position: 1 });

    const ledger = await prisma.creditLedgerEntry.findMany({
      where: { waitlistEntryId: rawId(joined.id) },
      orderBy: { sequence: 'asc' },
    });
    expect(ledger.map((entry) => [entry.reason, entry.delta])).toEqual([
      ['HOLD', -1],
      ['RELEASE', 1],
    ]);
  });
});

describe('first click wins (002)', () => {
  it('a freed seat is offered to everyone waiting at once, by email too; exactly one claim wins', async () => {
    const catalogue = await createCatalogue(app);
    const { session, holder, bookingId } = await fullSession(app, catalogue);
    const waiters = await Promise.all(Array.from({ length: 5 }, () => member(app, catalogue, 2)));
    for (const waiter of waiters) success(await join(app, waiter, session.id), 'JoinWaitlistSuccess');

    success((await execute(app, Cancel, { input: { bookingId } }, { token: holder.token })).cancelBooking, 'CancelBookingSuccess');
    // The seat is held for the waitlist: nobody else can book it meanwhile.
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 0, waitlistLength: 5 });
    const offers = await Promise.all(waiters.map(async (waiter) => (await mine(app, waiter)).waitlistOffers));
    for (const [index, list] of offers.entries()) {
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ status: 'OPEN', session: { id: session.id }, beneficiary: { id: waiters[index]!.beneficiaryId } });
      // The emailed link carries the id claimWaitlistOffer takes.
      expect(list[0]!.claimUrl).toBe(`http://localhost:4000/waitlist-offers/${encodeURIComponent(list[0]!.id)}`);
    }
    const emails = await prisma.outboxEmail.findMany({ where: { template: 'waitlist-offer', toAddress: { in: waiters.map((w) => w.email) } } });
    expect(emails).toHaveLength(5);

    const results = await Promise.all(
      waiters.map((waiter, i) =>
        httpRequest(url, Claim, { input: { offerId: offers[i]![0]!.id } }, { token: waiter.token }).then((d) => d.claimWaitlistOffer),
      ),
    );
    const winners = results.filter((result) => result.__typename === 'ClaimWaitlistOfferSuccess');
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => 'code' in result && result.code === 'OFFER_TAKEN')).toHaveLength(4);
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 0, waitlistLength: 4 });

    const winnerIndex = results.findIndex((result) => result.__typename === 'ClaimWaitlistOfferSuccess');
    // Clicking the link again answers the same booking.
    const again = (await execute(app, Claim, { input: { offerId: offers[winnerIndex]![0]!.id } }, { token: waiters[winnerIndex]!.token })).claimWaitlistOffer;
    expect(again).toMatchObject({ __typename: 'ClaimWaitlistOfferSuccess', booking: { id: (winners[0] as { booking: { id: string } }).booking.id } });
    for (const [index, waiter] of waiters.entries()) {
      const state = await mine(app, waiter);
      if (index === winnerIndex) {
        expect(state.waitlistEntries[0]).toMatchObject({ status: 'PROMOTED' });
        expect(state.waitlistOffers[0]).toMatchObject({ status: 'CLAIMED' });
        expect(state.bookings.edges.map((edge) => [edge.node.session.id, edge.node.status])).toEqual([[session.id, 'CONFIRMED']]);
        expect(await balance(app, waiter)).toBe(1); // the held credit paid for the seat
      } else {
        // The others are told it is gone and stay on the list, their credit still held.
        expect(state.waitlistEntries[0]).toMatchObject({ status: 'WAITING' });
        expect(state.waitlistOffers[0]).toMatchObject({ status: 'TAKEN' });
        expect(await balance(app, waiter)).toBe(1);
      }
    }
  });

  it(`many members claiming one freed seat at the same instant: exactly one winner (×${REPEAT})`, async () => {
    const catalogue = await createCatalogue(app);
    const waiters = await Promise.all(Array.from({ length: 6 }, () => member(app, catalogue, REPEAT)));
    for (let round = 0; round < REPEAT; round += 1) {
      const { session, holder, bookingId } = await fullSession(app, catalogue);
      for (const waiter of waiters) success(await join(app, waiter, session.id), 'JoinWaitlistSuccess');
      await execute(app, Cancel, { input: { bookingId } }, { token: holder.token });
      const offerIds = await Promise.all(
        waiters.map(async (waiter) => (await mine(app, waiter)).waitlistOffers.find((offer) => offer.session.id === session.id && offer.status === 'OPEN')!.id),
      );
      const results = await Promise.all(
        waiters.map((waiter, i) => httpRequest(url, Claim, { input: { offerId: offerIds[i]! } }, { token: waiter.token }).then((d) => d.claimWaitlistOffer)),
      );
      const codes = results.map((result) => ('code' in result ? result.code : result.__typename)).sort();
      expect(codes, `round ${round}`).toEqual(['ClaimWaitlistOfferSuccess', 'OFFER_TAKEN', 'OFFER_TAKEN', 'OFFER_TAKEN', 'OFFER_TAKEN', 'OFFER_TAKEN']);
      const id = rawId(session.id);
      const [stored, active, waiting] = await Promise.all([
        prisma.session.findUniqueOrThrow({ where: { id } }),
        prisma.booking.count({ where: { sessionId: id, status: 'CONFIRMED' } }),
        prisma.waitlistEntry.count({ where: { sessionId: id, status: 'WAITING' } }),
      ]);
      expect({ seatsTaken: stored.seatsTaken, active, waiting, waitlistLength: stored.waitlistLength }).toEqual({
        seatsTaken: 1,
        active: 1,
        waiting: 5,
        waitlistLength: 5,
      });
    }
  });

  it('myWaitlistOffers pushes the offer as OPEN, then TAKEN when someone else wins', async () => {
    const catalogue = await createCatalogue(app);
    const { session, holder, bookingId } = await fullSession(app, catalogue);
    const [watcher, quick] = await Promise.all([member(app, catalogue), member(app, catalogue)]);
    for (const waiter of [watcher, quick]) success(await join(app, waiter, session.id), 'JoinWaitlistSuccess');

    const client = wsClient(url.replace('http', 'ws'), watcher.token);
    const feed = subscribe(client, MyOffers, {});
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await execute(app, Cancel, { input: { bookingId } }, { token: holder.token });
      const [opened] = await feed.waitFor(1);
      expect(opened!.data?.myWaitlistOffers).toMatchObject({ status: 'OPEN', session: { id: session.id }, beneficiary: { id: watcher.beneficiaryId } });
      const quickOffer = (await mine(app, quick)).waitlistOffers[0]!;
      success((await execute(app, Claim, { input: { offerId: quickOffer.id } }, { token: quick.token })).claimWaitlistOffer, 'ClaimWaitlistOfferSuccess');
      const taken = (await feed.waitFor(2))[1]!;
      expect(taken.data?.myWaitlistOffers).toMatchObject({ status: 'TAKEN', session: { id: session.id } });
      expect(feed.received).toHaveLength(2); // never the other member's offers
    } finally {
      feed.dispose();
      await client.dispose();
    }
  });
});

describe('live seats', () => {
  it('sessionAvailability pushes waitlist joins, a seat held for the waitlist, a claim and a leave (no login)', async () => {
    const catalogue = await createCatalogue(app);
    const { session, holder, bookingId } = await fullSession(app, catalogue);
    const [a, b] = [await member(app, catalogue), await member(app, catalogue)];
    const client = wsClient(url.replace('http', 'ws'));
    const feed = subscribe(client, Availability, { filter: { ids: [session.id] } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Each step waits for its event, so each event shows the state right after its change.
      const seen = async (count: number) => {
        const event = (await feed.waitFor(count))[count - 1]!.data?.sessionAvailability;
        return [event?.seatsLeft, event?.waitlistLength];
      };
      const entryA = success(await join(app, a, session.id), 'JoinWaitlistSuccess').waitlistEntry;
      expect(await seen(1)).toEqual([0, 1]);
      success(await join(app, b, session.id), 'JoinWaitlistSuccess');
      expect(await seen(2)).toEqual([0, 2]);
      // The holder cancels: the seat is held for the waitlist, so it never shows as free.
      await execute(app, Cancel, { input: { bookingId } }, { token: holder.token });
      expect(await seen(3)).toEqual([0, 2]);
      const offer = (await mine(app, b)).waitlistOffers[0]!;
      success((await execute(app, Claim, { input: { offerId: offer.id } }, { token: b.token })).claimWaitlistOffer, 'ClaimWaitlistOfferSuccess');
      expect(await seen(4)).toEqual([0, 1]);
      await execute(app, Leave, { input: { waitlistEntryId: entryA.id } }, { token: a.token });
      expect(await seen(5)).toEqual([0, 0]);
    } finally {
      feed.dispose();
      await client.dispose();
    }
  });
});

describe('other policies and other ways a seat frees', () => {
  it('AUTO_PROMOTE: the first in line is booked at once with the held credit', async () => {
    const catalogue = await createCatalogue(app);
    const policy = success(
      (await execute(app, SetPolicy, { input: { organizationId: catalogue.organization.id, policy: 'AUTO_PROMOTE' } }, { token: catalogue.admin.token }))
        .setWaitlistPolicy,
      'SetWaitlistPolicySuccess',
    ).organization;
    expect(policy).toMatchObject({ waitlistPolicy: 'AUTO_PROMOTE', waitlistClaimDeadlineHours: 12 });
    const { session, holder, bookingId } = await fullSession(app, catalogue);
    const [first, second] = [await member(app, catalogue, 2), await member(app, catalogue, 2)];
    success(await join(app, first, session.id), 'JoinWaitlistSuccess');
    success(await join(app, second, session.id), 'JoinWaitlistSuccess');

    await execute(app, Cancel, { input: { bookingId } }, { token: holder.token });
    const promoted = await mine(app, first);
    expect(promoted.waitlistEntries[0]).toMatchObject({ status: 'PROMOTED' });
    expect(promoted.bookings.edges.map((edge) => edge.node.status)).toEqual(['CONFIRMED']);
    expect(promoted.waitlistOffers).toEqual([]);
    expect((await mine(app, second)).waitlistEntries[0]).toMatchObject({ status: 'WAITING', position: 1 });
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 0, waitlistLength: 1 });
    expect(await prisma.outboxEmail.count({ where: { template: 'booking-confirmed', toAddress: first.email } })).toBe(1);
  });

  it('a capacity increase offers the new seats to the waitlist first; it cannot go below the seats taken', async () => {
    const catalogue = await createCatalogue(app);
    const { session } = await fullSession(app, catalogue);
    const waiter = await member(app, catalogue);
    success(await join(app, waiter, session.id), 'JoinWaitlistSuccess');
    const staff = { token: catalogue.admin.token };
    expect((await execute(app, ChangeCapacity, { input: { sessionId: session.id, capacity: 0 } }, staff)).changeSessionCapacity).toMatchObject({
      code: 'VALIDATION',
    });
    expect((await execute(app, ChangeCapacity, { input: { sessionId: session.id, capacity: 3 } }, { token: waiter.token })).changeSessionCapacity).toMatchObject({
      code: 'FORBIDDEN',
    });
    const changed = success(
      (await execute(app, ChangeCapacity, { input: { sessionId: session.id, capacity: 3 } }, staff)).changeSessionCapacity,
      'ChangeSessionCapacitySuccess',
    ).session;
    // One new seat is held for the one member waiting; the other is bookable by anyone.
    expect(changed).toMatchObject({ capacity: 3, seatsLeft: 1, waitlistLength: 1 });
    expect((await mine(app, waiter)).waitlistOffers.map((offer) => offer.status)).toEqual(['OPEN']);
  });

  it('a session cancelled by the organisation closes its waitlist: credits released, members told', async () => {
    const catalogue = await createCatalogue(app);
    const { session } = await fullSession(app, catalogue);
    const waiters = [await member(app, catalogue, 2), await member(app, catalogue, 2)];
    for (const waiter of waiters) success(await join(app, waiter, session.id), 'JoinWaitlistSuccess');
    const cancelled = success(
      (await execute(app, CancelSession, { input: { sessionId: session.id, reason: 'Bassin fermé' } }, { token: catalogue.admin.token })).cancelSession,
      'CancelSessionSuccess',
    ).session;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', waitlistLength: 0 });
    for (const waiter of waiters) {
      expect((await mine(app, waiter)).waitlistEntries[0]).toMatchObject({ status: 'CANCELLED' });
      expect(await balance(app, waiter)).toBe(2);
    }
    const emails = await prisma.outboxEmail.findMany({ where: { template: 'waitlist-closed', toAddress: { in: waiters.map((w) => w.email) } } });
    expect(emails.map((email) => (email.payload as { reason: string }).reason)).toEqual(['session-cancelled', 'session-cancelled']);
  });
});

describe('seats the waitlist must not keep', () => {
  it('a waiting member who books a seat anyone could book leaves the line: hold released, their offer closed, its seat freed', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 2 });
    const [h1, h2, x] = [await member(app, catalogue), await member(app, catalogue), await member(app, catalogue, 5)];
    const b1 = await book(app, h1, session.id, h1.beneficiaryId);
    const b2 = await book(app, h2, session.id, h2.beneficiaryId);
    success(await join(app, x, session.id), 'JoinWaitlistSuccess');
    await execute(app, Cancel, { input: { bookingId: b1 } }, { token: h1.token }); // held for x
    await execute(app, Cancel, { input: { bookingId: b2 } }, { token: h2.token }); // nobody else waits: public
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 1, waitlistLength: 1 });

    await book(app, x, session.id, x.beneficiaryId);
    const state = await mine(app, x);
    expect(state.waitlistEntries[0]).toMatchObject({ status: 'LEFT' });
    expect(state.waitlistOffers.map((offer) => offer.status)).toEqual(['EXPIRED']);
    expect(await balance(app, x)).toBe(4); // one credit for one seat
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 1, waitlistLength: 0 });
    const newcomer = await member(app, catalogue);
    await book(app, newcomer, session.id, newcomer.beneficiaryId);
  });

  it('when someone leaves, seats held beyond the people still waiting go back to everyone', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 2 });
    const holders = [await member(app, catalogue), await member(app, catalogue)];
    const bookings = await Promise.all(holders.map((h) => book(app, h, session.id, h.beneficiaryId)));
    const [a, b] = [await member(app, catalogue), await member(app, catalogue)];
    success(await join(app, a, session.id), 'JoinWaitlistSuccess');
    const entryB = success(await join(app, b, session.id), 'JoinWaitlistSuccess').waitlistEntry;
    for (const [i, bookingId] of bookings.entries()) await execute(app, Cancel, { input: { bookingId } }, { token: holders[i]!.token });
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 0, waitlistLength: 2 });

    await execute(app, Leave, { input: { waitlistEntryId: entryB.id } }, { token: b.token });
    expect(await sessionState(app, session.id)).toMatchObject({ seatsLeft: 1, waitlistLength: 1 });
    expect((await mine(app, a)).waitlistOffers.filter((offer) => offer.status === 'OPEN')).toHaveLength(1);
  });

  it('ONE_AT_A_TIME: two freed seats go to the first two in line, not twice to the first', async () => {
    const catalogue = await createCatalogue(app);
    success(
      (await execute(app, SetPolicy, { input: { organizationId: catalogue.organization.id, policy: 'ONE_AT_A_TIME' } }, { token: catalogue.admin.token }))
        .setWaitlistPolicy,
      'SetWaitlistPolicySuccess',
    );
    const session = await scheduleSession(app, catalogue, { capacity: 2 });
    const holders = [await member(app, catalogue), await member(app, catalogue)];
    const bookings = await Promise.all(holders.map((h) => book(app, h, session.id, h.beneficiaryId)));
    const line = [await member(app, catalogue), await member(app, catalogue), await member(app, catalogue)];
    for (const m of line) success(await join(app, m, session.id), 'JoinWaitlistSuccess');
    for (const [i, bookingId] of bookings.entries()) await execute(app, Cancel, { input: { bookingId } }, { token: holders[i]!.token });
    const statuses = await Promise.all(line.map(async (m) => (await mine(app, m)).waitlistOffers.map((offer) => offer.status)));
    expect(statuses).toEqual([['OPEN'], ['OPEN'], []]);
  });
});
