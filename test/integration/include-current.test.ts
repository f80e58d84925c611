import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { book, createCatalogue, memberWithCredits, scheduleSession } from '../support/factories.js';
import { listeningApp, subscribe, type ListeningApp } from '../support/ws.js';

// sessionAvailability(includeCurrent: true) (issue 14): a lobby screen that (re)connects gets the
// current seats of the sessions it watches at once, then every change, over a real socket.

const Availability = graphql(`
  subscription IncludeCurrentAvailability($filter: SessionFilter!, $includeCurrent: Boolean) {
    sessionAvailability(filter: $filter, includeCurrent: $includeCurrent) {
      seatsLeft
      capacity
      waitlistLength
      session { id startsAt venue { id } }
    }
  }
`);

let app: App;
let server: ListeningApp;
beforeAll(async () => {
  server = await listeningApp();
  app = server.app;
});
afterAll(() => server.close());

const client = () => server.client();

describe('sessionAvailability with includeCurrent', () => {
  it('sends the current seats of every watched session at once, by start time, then a booking as a change', async () => {
    const catalogue = await createCatalogue(app);
    const other = await createCatalogue(app);
    const later = await scheduleSession(app, catalogue, { startsInHours: 72, capacity: 5 });
    const sooner = await scheduleSession(app, catalogue, { startsInHours: 24, capacity: 8 });
    await scheduleSession(app, other, { startsInHours: 30, capacity: 3 });
    const member = await memberWithCredits(app, catalogue);
    await book(app, member, later.id, member.beneficiaryId);

    const screen = subscribe(client(), Availability, { filter: { venueId: catalogue.venue.id }, includeCurrent: true });
    const current = await screen.waitFor(2);
    expect(current.map((result) => result.errors)).toEqual([undefined, undefined]);
    expect(current.map((result) => result.data?.sessionAvailability)).toEqual([
      { seatsLeft: 8, capacity: 8, waitlistLength: 0, session: { id: sooner.id, startsAt: sooner.startsAt, venue: { id: catalogue.venue.id } } },
      { seatsLeft: 4, capacity: 5, waitlistLength: 0, session: { id: later.id, startsAt: later.startsAt, venue: { id: catalogue.venue.id } } },
    ]);

    // The current state arrived, so the stream is live: no waiting for the subscription to settle.
    await book(app, member, sooner.id, member.beneficiaryId);
    const [, , change] = await screen.waitFor(3);
    expect(change?.data?.sessionAvailability).toMatchObject({ seatsLeft: 7, capacity: 8, session: { id: sooner.id } });
    // Nothing else: the other organization's session is not watched, and no state is sent twice.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(screen.received).toHaveLength(3);
    screen.dispose();
  });

  it('gives each new subscriber its own current state, even when an identical subscription is running', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 6 });
    const variables = { filter: { ids: [session.id] }, includeCurrent: true };
    const first = subscribe(client(), Availability, variables);
    expect((await first.waitFor(1))[0]?.data?.sessionAvailability).toMatchObject({ seatsLeft: 6, session: { id: session.id } });

    // A lobby screen reconnecting with the very same operation.
    const second = subscribe(client(), Availability, variables);
    expect((await second.waitFor(1))[0]?.data?.sessionAvailability).toMatchObject({ seatsLeft: 6, session: { id: session.id } });
    expect(first.received).toHaveLength(1);

    const member = await memberWithCredits(app, catalogue);
    await book(app, member, session.id, member.beneficiaryId);
    for (const screen of [first, second]) {
      const [, change] = await screen.waitFor(2);
      expect(change?.data?.sessionAvailability).toMatchObject({ seatsLeft: 5, session: { id: session.id } });
      screen.dispose();
    }
  });

  it('without includeCurrent (the default), sends nothing until a change', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 4 });
    const screen = subscribe(client(), Availability, { filter: { ids: [session.id] } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(screen.received).toEqual([]);
    const member = await memberWithCredits(app, catalogue);
    await book(app, member, session.id, member.beneficiaryId);
    const [change] = await screen.waitFor(1);
    expect(change?.data?.sessionAvailability).toMatchObject({ seatsLeft: 3, session: { id: session.id } });
    screen.dispose();
  });

  it('an unknown session id is NOT_FOUND on its path, and nothing is sent before it', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 4 });
    const unknown = subscribe(client(), Availability, {
      filter: { ids: [session.id, encodeGlobalID('Session', randomUUID())] },
      includeCurrent: true,
    });
    const [answer] = await unknown.waitFor(1);
    expect(answer).toMatchObject({ errors: [{ message: 'Séance introuvable.', extensions: { code: 'NOT_FOUND', field: ['filter', 'ids', '1'] } }] });
    expect(unknown.received).toHaveLength(1);
  });
});
