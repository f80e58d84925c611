import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { createCatalogue, createMember, scheduleSession } from '../support/factories.js';
import { listeningApp, subscribe, type ListeningApp } from '../support/ws.js';

const Availability = graphql(`
  subscription SubscriptionsAvailability($filter: SessionFilter!) {
    sessionAvailability(filter: $filter) {
      seatsLeft
      capacity
      waitlistLength
      session { id startsAt venue { id } }
    }
  }
`);

const ViewerOverWs = graphql(`
  query SubscriptionsViewer {
    viewer { id email }
  }
`);

let app: App;
let server: ListeningApp;
beforeAll(async () => {
  server = await listeningApp();
  app = server.app;
});
afterAll(() => server.close());

const client = (token?: string) => server.client(token);

describe('sessionAvailability over graphql-ws (through Redis)', () => {
  it('pushes the seats of a session scheduled at the watched venue, without any login', async () => {
    const catalogue = await createCatalogue(app);
    const other = await createCatalogue(app);
    const watcher = subscribe(client(), Availability, { filter: { venueId: catalogue.venue.id } });
    // Give the subscription time to reach Redis before the event is published.
    await new Promise((resolve) => setTimeout(resolve, 300));

    await scheduleSession(app, other, { capacity: 5 });
    const session = await scheduleSession(app, catalogue, { capacity: 7 });

    const [first] = await watcher.waitFor(1);
    expect(first?.errors).toBeUndefined();
    expect(first?.data?.sessionAvailability).toEqual({
      seatsLeft: 7,
      capacity: 7,
      waitlistLength: 0,
      session: { id: session.id, startsAt: session.startsAt, venue: { id: catalogue.venue.id } },
    });
    // The other organisation's session was filtered out.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watcher.received).toHaveLength(1);
    watcher.dispose();
  });

  it('filters by date range', async () => {
    const catalogue = await createCatalogue(app);
    const from = new Date(Date.now() + 70 * 3_600_000).toISOString();
    const watcher = subscribe(client(), Availability, { filter: { organizationId: catalogue.organization.id, from } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await scheduleSession(app, catalogue, { startsInHours: 48 });
    const later = await scheduleSession(app, catalogue, { startsInHours: 96 });
    const [first] = await watcher.waitFor(1);
    expect(first?.data?.sessionAvailability.session.id).toBe(later.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watcher.received).toHaveLength(1);
    watcher.dispose();
  });
});

describe('authentication over WebSocket', () => {
  it('reads the token from connectionParams.authorization', async () => {
    const member = await createMember(app);
    const asMember = subscribe(client(member.token), ViewerOverWs, {});
    const anonymous = subscribe(client(), ViewerOverWs, {});
    const [mine] = await asMember.waitFor(1);
    const [nobody] = await anonymous.waitFor(1);
    expect(mine?.data?.viewer).toEqual({ id: member.id, email: member.email });
    expect(nobody?.data?.viewer).toBeNull();
  });
});
