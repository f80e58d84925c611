import { beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, success } from '../support/app.js';
import { clockApp, testClock } from '../support/clock.js';
import { book, createCatalogue, scheduleSession, type TestMember, memberWithCredits } from '../support/factories.js';

// Waitlist rules that take time (SPEC §6, 002): the claim deadline and ONE_AT_A_TIME windows, on a
// server with the test clock and a database of its own (advanceClock runs all its due jobs).

const server = clockApp('waitlist_clock');
let app: App;
beforeAll(() => {
  app = server();
});

const { advanceTo, nextMorning } = testClock(() => app);

const Join = graphql(`
  mutation WaitlistClockJoin($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) {
      __typename
      ... on JoinWaitlistSuccess { waitlistEntry { id status } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation WaitlistClockCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) { __typename ... on Error { code } }
  }
`);

const Claim = graphql(`
  mutation WaitlistClockClaim($input: ClaimWaitlistOfferInput!) {
    claimWaitlistOffer(input: $input) {
      __typename
      ... on ClaimWaitlistOfferSuccess { booking { id status } }
      ... on Error { code message }
    }
  }
`);

const Mine = graphql(`
  query WaitlistClockMine {
    viewer {
      waitlistEntries { status }
      waitlistOffers { id status expiresAt }
      entitlements { creditsRemaining }
    }
  }
`);

const State = graphql(`
  query WaitlistClockState($id: ID!) {
    node(id: $id) { ... on Session { seatsLeft waitlistLength } }
  }
`);

const SetPolicy = graphql(`
  mutation WaitlistClockSetPolicy($input: SetWaitlistPolicyInput!) {
    setWaitlistPolicy(input: $input) { __typename ... on Error { code message } }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

const member = (catalogue: Catalogue) => memberWithCredits(app, catalogue, 3);

const mine = async (m: TestMember) => (await execute(app, Mine, {}, { token: m.token })).viewer!;
const credits = async (m: TestMember) => (await mine(m)).entitlements.reduce((sum, lot) => sum + lot.creditsRemaining, 0);
const state = async (id: string) => (await execute(app, State, { id })).node as { seatsLeft: number; waitlistLength: number };

describe('the claim deadline (002: 12 hours before the session)', () => {
  it('closes every remaining entry, releases the held credits, tells the members, and gives held seats back to everyone', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const startsAt = day.plus({ days: 2 });
    const session = await scheduleSession(app, catalogue, { startsAt: startsAt.toJSDate(), capacity: 1 });
    const holder = await member(catalogue);
    const bookingId = await book(app, holder, session.id, holder.beneficiaryId);
    const [a, b] = [await member(catalogue), await member(catalogue)];
    for (const m of [a, b]) success((await execute(app, Join, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token })).joinWaitlist, 'JoinWaitlistSuccess');
    expect(await credits(a)).toBe(2);

    // A seat frees; nobody claims it before the deadline.
    await execute(app, Cancel, { input: { bookingId } }, { token: holder.token });
    const [offer] = (await mine(a)).waitlistOffers;
    expect(offer).toMatchObject({ status: 'OPEN' });
    expect(new Date(offer!.expiresAt).getTime()).toBe(startsAt.minus({ hours: 12 }).toMillis());
    expect(await state(session.id)).toEqual({ seatsLeft: 0, waitlistLength: 2 });

    await advanceTo(startsAt.minus({ hours: 12, minutes: 1 }));
    expect((await mine(a)).waitlistEntries[0]).toMatchObject({ status: 'WAITING' });

    await advanceTo(startsAt.minus({ hours: 12 }));
    for (const m of [a, b]) {
      const viewer = await mine(m);
      expect(viewer.waitlistEntries[0]).toMatchObject({ status: 'EXPIRED' });
      expect(viewer.waitlistOffers.map((o) => o.status)).toEqual(['EXPIRED']);
      expect(await credits(m)).toBe(3);
    }
    expect(await state(session.id)).toEqual({ seatsLeft: 1, waitlistLength: 0 });
    const closed = await prisma.outboxEmail.findMany({ where: { template: 'waitlist-closed', toAddress: { in: [a.email, b.email] } } });
    expect(closed.map((email) => (email.payload as { reason: string }).reason)).toEqual(['deadline', 'deadline']);

    // After the deadline: no joining, no claiming; the seat is anyone's.
    expect((await execute(app, Claim, { input: { offerId: offer!.id } }, { token: a.token })).claimWaitlistOffer).toMatchObject({ code: 'OFFER_EXPIRED' });
    await book(app, a, session.id, a.beneficiaryId);
    const late = await member(catalogue);
    expect((await execute(app, Join, { input: { sessionId: session.id, beneficiaryId: late.beneficiaryId } }, { token: late.token })).joinWaitlist).toMatchObject({
      code: 'WAITLIST_CLOSED',
    });
  });
});

describe('ONE_AT_A_TIME', () => {
  it('offers a freed seat to each member in turn, for the organisation’s window', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    success(
      (
        await execute(
          app,
          SetPolicy,
          { input: { organizationId: catalogue.organization.id, policy: 'ONE_AT_A_TIME', offerWindowMinutes: 30 } },
          { token: catalogue.admin.token },
        )
      ).setWaitlistPolicy,
      'SetWaitlistPolicySuccess',
    );
    const session = await scheduleSession(app, catalogue, { startsAt: day.plus({ days: 3 }).toJSDate(), capacity: 1 });
    const holder = await member(catalogue);
    const bookingId = await book(app, holder, session.id, holder.beneficiaryId);
    const line = [await member(catalogue), await member(catalogue), await member(catalogue)];
    for (const m of line) success((await execute(app, Join, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token })).joinWaitlist, 'JoinWaitlistSuccess');

    await execute(app, Cancel, { input: { bookingId } }, { token: holder.token });
    const offersOf = async () => Promise.all(line.map(async (m) => (await mine(m)).waitlistOffers.map((o) => o.status)));
    expect(await offersOf()).toEqual([['OPEN'], [], []]);
    const first = (await mine(line[0]!)).waitlistOffers[0]!;
    expect(new Date(first.expiresAt).getTime()).toBe(day.plus({ minutes: 30 }).toMillis());

    // The first lets the window pass: the second's turn.
    await advanceTo(day.plus({ minutes: 31 }));
    expect(await offersOf()).toEqual([['EXPIRED'], ['OPEN'], []]);
    expect((await execute(app, Claim, { input: { offerId: first.id } }, { token: line[0]!.token })).claimWaitlistOffer).toMatchObject({ code: 'OFFER_EXPIRED' });

    const second = (await mine(line[1]!)).waitlistOffers[0]!;
    success((await execute(app, Claim, { input: { offerId: second.id } }, { token: line[1]!.token })).claimWaitlistOffer, 'ClaimWaitlistOfferSuccess');
    expect(await offersOf()).toEqual([['EXPIRED'], ['CLAIMED'], []]);
    // The first and third stay in line, their credits held.
    expect((await mine(line[0]!)).waitlistEntries[0]).toMatchObject({ status: 'WAITING' });
    expect((await mine(line[2]!)).waitlistEntries[0]).toMatchObject({ status: 'WAITING' });
    expect(await state(session.id)).toEqual({ seatsLeft: 0, waitlistLength: 2 });
  });
});
