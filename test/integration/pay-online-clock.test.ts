import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { execute, success } from '../support/app.js';
import { clockApp, testClock } from '../support/clock.js';
import { postStripeEvent, startFakeStripe, stripeEvent, TEST_WEBHOOK_SECRET, type FakeStripe } from '../support/fake-stripe.js';
import { addBeneficiary, createCatalogue, createMember, memberWithCredits } from '../support/factories.js';

// An online hold of a priced session that is not paid in time (SPEC §11): at `paymentHoldUntil`
// the booking is EXPIRED, its seat freed and handed to the waitlist, its order cancelled; a card
// payment that succeeds after that is refunded. Driven by the test clock.


let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake?.close();
});
const app = clockApp('payhold', {
  stripeSecretKey: 'sk_test_x',
  stripeWebhookSecret: TEST_WEBHOOK_SECRET,
  get stripeApiBase() {
    return fake.url;
  },
});
const { clockNow, advanceTo } = testClock(app);

const Schedule = graphql(`
  mutation PayHoldSchedule($input: ScheduleSessionInput!) {
    scheduleSession(input: $input) {
      __typename
      ... on ScheduleSessionSuccess { session { id } }
      ... on Error { code message }
    }
  }
`);

const Book = graphql(`
  mutation PayHoldBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { clientSecret booking { id status } }
      ... on BookSessionWaitlisted { waitlistEntry { id status } }
      ... on Error { code message }
    }
  }
`);

const Mine = graphql(`
  query PayHoldMine {
    viewer {
      bookings { edges { node { id status session { seatsLeft waitlistLength } } } }
      orders { edges { node { id status } } }
      waitlistOffers { id status }
    }
  }
`);

describe('an unpaid online hold', () => {
  it('expires at paymentHoldUntil exactly once: EXPIRED, seat to the waitlist, order CANCELLED; a late card payment is refunded', async () => {
    const catalogue = await createCatalogue(app());
    const startsAt = (await clockNow()).plus({ days: 2 }).toJSDate();
    const session = success(
      (
        await execute(
          app(),
          Schedule,
          {
            input: {
              activityId: catalogue.activity.id,
              venueId: catalogue.venue.id,
              startsAt: startsAt.toISOString(),
              endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
              capacity: 1,
              priceCents: 2_000,
            },
          },
          { token: catalogue.admin.token },
        )
      ).scheduleSession,
      'ScheduleSessionSuccess',
    ).session;
    const payer = await createMember(app());
    const payerBeneficiary = await addBeneficiary(app(), payer);
    const held = success(
      (await execute(app(), Book, { input: { sessionId: session.id, beneficiaryId: payerBeneficiary, payWith: 'ONLINE' } }, { token: payer.token }))
        .bookSession,
      'BookSessionSuccess',
    );
    expect(held.booking.status).toBe('PENDING_PAYMENT');
    const waiting = await memberWithCredits(app(), catalogue, 1);
    const waitlisted = (
      await execute(app(), Book, { input: { sessionId: session.id, beneficiaryId: waiting.beneficiaryId, joinWaitlistIfFull: true } }, { token: waiting.token })
    ).bookSession;
    expect(waitlisted.__typename).toBe('BookSessionWaitlisted');

    // One minute before the hold ends nothing has happened.
    const booked = await clockNow();
    await advanceTo(booked.plus({ minutes: 14 }));
    let mine = (await execute(app(), Mine, {}, { token: payer.token })).viewer!;
    expect(mine.bookings.edges[0]!.node.status).toBe('PENDING_PAYMENT');

    await advanceTo(booked.plus({ minutes: 16 }));
    mine = (await execute(app(), Mine, {}, { token: payer.token })).viewer!;
    expect(mine.bookings.edges[0]!.node).toMatchObject({ status: 'EXPIRED', session: { waitlistLength: 1 } });
    expect(mine.orders.edges.map((edge) => edge.node.status)).toEqual(['CANCELLED']);
    // The freed seat went to the waitlist, as a cancelled booking's would.
    const offers = (await execute(app(), Mine, {}, { token: waiting.token })).viewer!.waitlistOffers;
    expect(offers.map((offer) => offer.status)).toEqual(['OPEN']);
    // Exactly once: moving on runs nothing more for it.
    await advanceTo(booked.plus({ minutes: 30 }));
    expect((await execute(app(), Mine, {}, { token: waiting.token })).viewer!.waitlistOffers).toHaveLength(1);

    // The member paid anyway, too late: the money goes back.
    const intentId = held.clientSecret!.split('_secret_')[0]!;
    const intent = fake.transition(intentId, 'succeeded');
    const port = await app().listen(0, '127.0.0.1');
    const response = await postStripeEvent(`http://127.0.0.1:${port}/webhooks/stripe`, stripeEvent('payment_intent.succeeded', intent));
    expect(response.status).toBe(200);
    await advanceTo(booked.plus({ minutes: 31 }));
    expect([...fake.refunds.values()].filter((refund) => refund.payment_intent === intentId).map((refund) => refund.amount)).toEqual([2_000]);
    mine = (await execute(app(), Mine, {}, { token: payer.token })).viewer!;
    expect(mine.bookings.edges[0]!.node.status).toBe('EXPIRED');
  });
});
