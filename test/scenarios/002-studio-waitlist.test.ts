import type { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MEMBER } from '../../src/demo/seed.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, success } from '../support/app.js';
import { ms, testClock } from '../support/clock.js';
import { CancelBooking, type Client, demoOrganization, demoScenarioApp, demoSession, logInDemo, newClient, StartCardPayment } from '../support/demo-scenario.js';
import { emailsTo } from '../support/emails.js';

// Seed 002 (help pages of a credits-and-waitlist booking platform: "Book your place for a session",
// "Cancel a booking and defer her", "Put itself on waiting list on a being « sold out » session"),
// driven through the API on the demo organisation `studio-waitlist` exactly as src/demo/seed.ts
// configures it: a 60 € pack of 5 credits, daily *Plongée* sessions of 3 seats, a 12 h
// cancellation deadline ("fixed by the organizer": the seed chose 12 h), first click wins on the
// waitlist until 12 h before the session. Its pages name no organisation: the file is named after
// the demo's slug.
//
// Not in the product, so not tested here: the pages' screens themselves ("My customer account"
// tab, the small basket icon, the "to consult" link) are a front end's; the API gives the same
// things (Member.orders, entitlements' creditsRemaining, cancelBooking).

const scenario = demoScenarioApp('scen_002');
const app = () => scenario.app();
const { clockNow, advanceTo, nextMorning } = testClock(app);

let studio: Awaited<ReturnType<typeof demoOrganization>>;
let admin: Awaited<ReturnType<typeof logInDemo>>;
let dive: string;
beforeAll(async () => {
  studio = await demoOrganization(app(), 'studio-waitlist');
  admin = await logInDemo(app());
  dive = studio.activity('Plongée').id;
});

const Purchase = graphql(`
  mutation StudioPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess {
        order { id status total { amountCents currency } amountDue { amountCents } eligibility { everyActivity everyVenue } }
      }
      ... on Error { code message }
    }
  }
`);

const PayAtDesk = graphql(`
  mutation StudioPayAtDesk($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { status } }
      ... on Error { code message }
    }
  }
`);

const Account = graphql(`
  query StudioAccount {
    viewer {
      orders { edges { node { id status invoiceNumber offer { name } } } }
      entitlements { id status creditsRemaining offer { name } ledger { edges { node { reason delta } } } }
      waitlistEntries { id status position session { id } }
      waitlistOffers { id status expiresAt claimUrl session { id } }
    }
  }
`);

const Book = graphql(`
  mutation StudioBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status freeCancellationUntil beneficiary { firstName birthDate } session { id seatsLeft } } }
      ... on BookSessionWaitlisted { waitlistEntry { id status position session { seatsLeft waitlistLength } } }
      ... on Error { code message }
    }
  }
`);

const Leave = graphql(`
  mutation StudioLeave($input: LeaveWaitlistInput!) {
    leaveWaitlist(input: $input) {
      __typename
      ... on LeaveWaitlistSuccess { waitlistEntry { status } }
      ... on Error { code message }
    }
  }
`);

const Claim = graphql(`
  mutation StudioClaim($input: ClaimWaitlistOfferInput!) {
    claimWaitlistOffer(input: $input) {
      __typename
      ... on ClaimWaitlistOfferSuccess { booking { id status beneficiary { id } } }
      ... on Error { code message }
    }
  }
`);

const Available = graphql(`
  query StudioAvailable($filter: SessionFilter!) {
    sessions(filter: $filter, first: 50) { edges { node { id seatsLeft } } }
  }
`);

const SessionState = graphql(`
  query StudioSessionState($id: ID!) {
    node(id: $id) { ... on Session { seatsLeft waitlistLength } }
  }
`);

const account = async (client: Client) => (await execute(app(), Account, {}, { token: client.token })).viewer!;
const credits = async (client: Client) =>
  (await account(client)).entitlements.filter((lot) => lot.status === 'ACTIVE').reduce((sum, lot) => sum + lot.creditsRemaining, 0);
const book = async (client: Client, sessionId: string, joinWaitlistIfFull?: boolean) =>
  (await execute(app(), Book, { input: { sessionId, beneficiaryId: client.beneficiaryId, joinWaitlistIfFull } }, { token: client.token })).bookSession;
const cancel = async (client: Client, bookingId: string) =>
  (await execute(app(), CancelBooking, { input: { bookingId } }, { token: client.token })).cancelBooking;
/** The client's place on the list (Flo left it once: that entry stays LEFT). */
const entry = async (client: Client) => (await account(client)).waitlistEntries.find((candidate) => candidate.status !== 'LEFT');
const sessionState = async (id: string) => (await execute(app(), SessionState, { id })).node as { seatsLeft: number; waitlistLength: number };

/** The member orders the pack of 5 credits. */
async function orderCredits(client: Client) {
  const offerId = studio.offer('5 crédits').id;
  return success((await execute(app(), Purchase, { input: { offerId, beneficiaryId: client.beneficiaryId } }, { token: client.token })).purchaseOffer, 'PurchaseOfferSuccess')
    .order;
}

/** A new client who bought the 5 credits (paid in cash to the demo admin: the seed's desk method). */
async function clientWithCredits(name: string): Promise<Client> {
  const client = await newClient(app(), name);
  const order = await orderCredits(client);
  const paid = success(
    (await execute(app(), PayAtDesk, { input: { orderId: order.id, method: 'CASH', amountCents: order.amountDue.amountCents } }, { token: admin.token }))
      .recordPayment,
    'RecordPaymentSuccess',
  );
  expect(paid.order.status).toBe('PAID');
  return client;
}

describe('"Book your place for a session"', () => {
  let lina: Client;
  let day: DateTime;
  let firstBookingId: string;

  it('"you have just acquired the valid credits on the sessions of activities of your organizer… you receive an email of confirmation of payment"', async () => {
    day = await nextMorning();
    await advanceTo(day);
    lina = await newClient(app(), 'Lina');
    const order = await orderCredits(lina);
    // The summary before paying: 60 € tax included, valid on every activity and venue of the organizer.
    expect(order).toMatchObject({ status: 'PENDING', total: { amountCents: 6_000, currency: 'EUR' }, eligibility: { everyActivity: true, everyVenue: true } });

    const started = success((await execute(app(), StartCardPayment, { input: { orderId: order.id, amountCents: 6_000 } }, { token: lina.token })).startCardPayment, 'StartCardPaymentSuccess');
    // The card form's answer is not a payment: no credits, no email, until Stripe says so.
    expect(started.order.status).toBe('PENDING');
    expect(await credits(lina)).toBe(0);
    expect(await emailsTo(lina.email, 'order-paid')).toHaveLength(0);

    const intentId = started.clientSecret.split('_secret_')[0]!;
    expect(await scenario.stripeEvent('payment_intent.succeeded', scenario.stripe().transition(intentId, 'succeeded'))).toBe(200);

    // "the story of your orders… you have the possibility of seeing how many credits it remains in you"
    const mine = await account(lina);
    expect(mine.orders.edges.map((edge) => edge.node)).toMatchObject([{ id: order.id, status: 'PAID', invoiceNumber: expect.any(Number), offer: { name: '5 crédits' } }]);
    expect(mine.entitlements).toMatchObject([{ status: 'ACTIVE', creditsRemaining: 5, offer: { name: '5 crédits' } }]);
    expect(await emailsTo(lina.email, 'order-paid')).toHaveLength(1);
  });

  it('"book your place on the session of your choice, as long as this one shows availability"; "inform the beneficiary of the session and its date of birth"', async () => {
    // The schedule of sessions with seats left, tomorrow.
    const from = day.plus({ days: 1 }).startOf('day');
    const { sessions } = await execute(app(), Available, {
      filter: { organizationId: studio.id, activityId: dive, from: from.toISO()!, to: from.plus({ days: 1 }).toISO()!, onlyAvailable: true },
    });
    expect(sessions.edges).toHaveLength(8);
    const nine = await demoSession(app(), studio.id, dive, from.set({ hour: 9 }));
    expect(sessions.edges.map((edge) => edge.node.id)).toContain(nine.id);

    const booked = success(await book(lina, nine.id), 'BookSessionSuccess').booking;
    firstBookingId = booked.id;
    // The beneficiary, the person who really takes part, with the date of birth given at sign-up.
    expect(booked).toMatchObject({ status: 'CONFIRMED', beneficiary: { firstName: 'Lina', birthDate: '1990-03-14' }, session: { seatsLeft: nine.seatsLeft - 1 } });
    expect(await credits(lina)).toBe(4);
    expect(await emailsTo(lina.email, 'booking-confirmed')).toHaveLength(1);
  });

  it('"Click simply the small basket… Your reservation is cancelled and your fixed price is re-credited automatically. You can then reserve a new session."', async () => {
    const cancelled = success(await cancel(lina, firstBookingId), 'CancelBookingSuccess');
    expect(cancelled).toEqual({ __typename: 'CancelBookingSuccess', creditReturned: true, booking: { status: 'CANCELLED' } });
    expect(await credits(lina)).toBe(5);
    expect(await emailsTo(lina.email, 'booking-cancelled')).toHaveLength(1);

    const eleven = await demoSession(app(), studio.id, dive, day.plus({ days: 1 }).set({ hour: 11 }));
    success(await book(lina, eleven.id), 'BookSessionSuccess');
    expect(await credits(lina)).toBe(4);
  });

  it('"spent certain deadline (fixed by the organizer) the cancellations are not possible any more and you lose your credit" (12 h in the demo)', async () => {
    const startsAt = day.plus({ days: 1 }).set({ hour: 21 });
    const evening = await demoSession(app(), studio.id, dive, startsAt);
    const first = success(await book(lina, evening.id), 'BookSessionSuccess').booking;
    expect(ms(first.freeCancellationUntil)).toBe(startsAt.minus({ hours: 12 }).toMillis());
    expect(await credits(lina)).toBe(3);

    // A minute before the deadline: cancelled, credit back.
    await advanceTo(startsAt.minus({ hours: 12, minutes: 1 }));
    expect(success(await cancel(lina, first.id), 'CancelBookingSuccess').creditReturned).toBe(true);
    expect(await credits(lina)).toBe(4);

    // Booked again, and cancelled a minute after the deadline: the credit is lost.
    const second = success(await book(lina, evening.id), 'BookSessionSuccess').booking;
    await advanceTo(startsAt.minus({ hours: 11, minutes: 59 }));
    expect(success(await cancel(lina, second.id), 'CancelBookingSuccess')).toMatchObject({ creditReturned: false, booking: { status: 'LATE_CANCELLED' } });
    expect(await credits(lina)).toBe(3);
    const ledger = (await account(lina)).entitlements[0]!.ledger.edges.map((edge) => [edge.node.reason, edge.node.delta]);
    expect(ledger.filter(([reason]) => reason === 'FORFEIT')).toEqual([['FORFEIT', 0]]);
  });
});

describe('"Put itself on waiting list on a being « sold out » session": the session of dive of Tuesday, 9 am', () => {
  let tuesday: DateTime;
  let sessionId: string;
  let holders: { client: Client; bookingId: string }[];
  let waiting: Client[];

  it('sold out: "Click all the same the button Book my place. You are automatically put in waiting list", holding "your fixed price of a credit-session"', async () => {
    const now = await clockNow();
    // The next Tuesday, 9 am, at least two days ahead (the claim deadline is 12 h before it).
    tuesday = now.plus({ days: 2 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    while (tuesday.weekday !== 2) tuesday = tuesday.plus({ days: 1 });
    const session = await demoSession(app(), studio.id, dive, tuesday);
    sessionId = session.id;
    expect(session.capacity).toBe(3);

    // The demo member Camille (who holds the seed's 5 credits) and two new clients take the three seats.
    const member = await logInDemo(app(), DEMO_MEMBER);
    const camille: Client = { ...member, beneficiaryId: member.beneficiaries.find((b) => b.firstName === 'Camille')!.id };
    holders = [];
    for (const client of [camille, await clientWithCredits('Bo'), await clientWithCredits('Cy')]) {
      holders.push({ client, bookingId: success(await book(client, sessionId), 'BookSessionSuccess').booking.id });
    }
    // No longer shown as available.
    const { sessions } = await execute(app(), Available, {
      filter: { organizationId: studio.id, activityId: dive, from: tuesday.toISO()!, to: tuesday.plus({ minutes: 1 }).toISO()!, onlyAvailable: true },
    });
    expect(sessions.edges).toEqual([]);

    waiting = [await clientWithCredits('Dee'), await clientWithCredits('Eli'), await clientWithCredits('Flo')];
    // Without the one-click waitlist, a full session is only refused.
    expect(await book(waiting[0]!, sessionId)).toMatchObject({ code: 'SESSION_FULL' });
    expect(await credits(waiting[0]!)).toBe(5);

    for (const [index, client] of waiting.entries()) {
      const result = success(await book(client, sessionId, true), 'BookSessionWaitlisted');
      expect(result.waitlistEntry).toMatchObject({ status: 'WAITING', position: index + 1, session: { seatsLeft: 0, waitlistLength: index + 1 } });
      expect(await credits(client)).toBe(4);
      const ledger = (await account(client)).entitlements[0]!.ledger.edges.map((edge) => [edge.node.reason, edge.node.delta]);
      expect(ledger).toEqual([
        ['GRANT', 5],
        ['HOLD', -1],
      ]);
    }
  });

  it('"If you wish to recover in waiting list on this session, it will be necessary do it again the operation described above"', async () => {
    const flo = waiting[2]!;
    const [entry] = (await account(flo)).waitlistEntries;
    success((await execute(app(), Leave, { input: { waitlistEntryId: entry!.id } }, { token: flo.token })).leaveWaitlist, 'LeaveWaitlistSuccess');
    expect(await credits(flo)).toBe(5);
    expect(await sessionState(sessionId)).toEqual({ seatsLeft: 0, waitlistLength: 2 });

    const again = success(await book(flo, sessionId, true), 'BookSessionWaitlisted');
    expect(again.waitlistEntry).toMatchObject({ status: 'WAITING', position: 3 });
    expect(await credits(flo)).toBe(4);
  });

  it('"If a cancellation intervenes, you will receive automatically an email of warning… it is the first one who clicks the link which takes the place"', async () => {
    success(await cancel(holders[0]!.client, holders[0]!.bookingId), 'CancelBookingSuccess');

    // Every waiting client is warned at once, with a link to claim the seat until 12 h before.
    const offers = await Promise.all(
      waiting.map(async (client) => {
        const [offer] = (await account(client)).waitlistOffers;
        expect(offer).toMatchObject({ status: 'OPEN', session: { id: sessionId } });
        expect(ms(offer!.expiresAt)).toBe(tuesday.minus({ hours: 12 }).toMillis());
        const [email] = await emailsTo(client.email, 'waitlist-offer');
        expect((email!.payload as { claimUrl: string }).claimUrl).toBe(offer!.claimUrl);
        return offer!;
      }),
    );
    // The seat stays theirs while they may claim it.
    expect(await sessionState(sessionId)).toEqual({ seatsLeft: 0, waitlistLength: 3 });

    // All three click at the same instant, over real HTTP: exactly one wins.
    const results = await Promise.all(
      waiting.map((client, index) => httpRequest(scenario.url(), Claim, { input: { offerId: offers[index]!.id } }, { token: client.token })),
    );
    const outcomes = results.map((result) => result.claimWaitlistOffer);
    const winners = outcomes.filter((outcome) => outcome.__typename === 'ClaimWaitlistOfferSuccess');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.__typename !== 'ClaimWaitlistOfferSuccess')).toEqual([
      expect.objectContaining({ code: 'OFFER_TAKEN' }),
      expect.objectContaining({ code: 'OFFER_TAKEN' }),
    ]);
    const winnerIndex = outcomes.indexOf(winners[0]!);
    const winner = waiting[winnerIndex]!;
    expect(winners[0]).toMatchObject({ booking: { status: 'CONFIRMED', beneficiary: { id: winner.beneficiaryId } } });
    // The held credit paid for the seat; the others stay in line, their credits still held.
    expect(await credits(winner)).toBe(4);
    expect(await entry(winner)).toMatchObject({ status: 'PROMOTED' });
    waiting = waiting.filter((_, index) => index !== winnerIndex);
    for (const client of waiting) {
      const mine = await account(client);
      expect(mine.waitlistOffers.map((offer) => offer.status)).toEqual(['TAKEN']);
      expect(await entry(client)).toMatchObject({ status: 'WAITING' });
      expect(await credits(client)).toBe(4);
    }
    expect(await sessionState(sessionId)).toEqual({ seatsLeft: 0, waitlistLength: 2 });
  });

  it('"you have till 12 hours before the session to validate your place. Beyond, you cannot reserve any more your place on this session and you are automatically re-credited"', async () => {
    // Another seat frees 13 h before (in time for its holder): both remaining clients are offered it.
    await advanceTo(tuesday.minus({ hours: 13 }));
    success(await cancel(holders[1]!.client, holders[1]!.bookingId), 'CancelBookingSuccess');
    const offers = await Promise.all(waiting.map(async (client) => (await account(client)).waitlistOffers.find((offer) => offer.status === 'OPEN')!));
    expect(offers.every((offer) => offer !== undefined)).toBe(true);

    await advanceTo(tuesday.minus({ hours: 12, minutes: 1 }));
    for (const client of waiting) expect(await entry(client)).toMatchObject({ status: 'WAITING' });

    // Nobody clicked: at 12 h before, the list closes and the held credits come back.
    await advanceTo(tuesday.minus({ hours: 12 }));
    for (const [index, client] of waiting.entries()) {
      expect(await entry(client)).toMatchObject({ status: 'EXPIRED' });
      expect(await credits(client)).toBe(5);
      expect(await emailsTo(client.email, 'waitlist-closed')).toHaveLength(1);
      expect((await execute(app(), Claim, { input: { offerId: offers[index]!.id } }, { token: client.token })).claimWaitlistOffer).toMatchObject({
        code: 'OFFER_EXPIRED',
      });
    }
    expect(await sessionState(sessionId)).toMatchObject({ waitlistLength: 0 });
  });
});
