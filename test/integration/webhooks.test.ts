import { Webhook } from 'standardwebhooks';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookRetryDelayMs, WEBHOOK_RETRY_WINDOW_MS } from '../../src/domain/webhooks.js';
import type { App } from '../../src/server.js';
import { sendWebhook } from '../../src/webhooks/delivery.js';
import { graphql } from '../gql/index.js';
import { execute, request, success } from '../support/app.js';
import { clockApp, ms, testClock } from '../support/clock.js';
import { book, createCatalogue, createMember, createOrganization, memberWithCredits, scheduleSession } from '../support/factories.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

// Webhooks out (issue 14 point 5) on a test-clock server of its own, with WEBHOOKS_ALLOW_PRIVATE
// so that a loopback receiver can stand in for an integrator's endpoint. advanceClock delivers
// what is due, so each retry happens exactly when the clock reaches it.

const server = clockApp('webhooks', { webhooksAllowPrivate: true });
let app: App;
let receiver: WebhookReceiver;
beforeAll(async () => {
  app = server();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const { clockNow, advanceTo } = testClock(() => app);

const CreateEndpoint = graphql(`
  mutation WebhooksCreateEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreateWebhookEndpointSuccess { webhookEndpoint { id url events enabled secret } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const UpdateEndpoint = graphql(`
  mutation WebhooksUpdateEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      __typename
      ... on UpdateWebhookEndpointSuccess { webhookEndpoint { id enabled events } }
      ... on Error { code message }
    }
  }
`);

const DeleteEndpoint = graphql(`
  mutation WebhooksDeleteEndpoint($input: DeleteWebhookEndpointInput!) {
    deleteWebhookEndpoint(input: $input) {
      __typename
      ... on DeleteWebhookEndpointSuccess { webhookEndpoint { id } }
      ... on Error { code message }
    }
  }
`);

const Redeliver = graphql(`
  mutation WebhooksRedeliver($input: RedeliverWebhookInput!) {
    redeliverWebhook(input: $input) {
      __typename
      ... on RedeliverWebhookSuccess { webhookDelivery { id webhookId status replayOf { id } } }
      ... on Error { code message }
    }
  }
`);

const Deliveries = graphql(`
  query WebhooksDeliveries($id: ID!, $status: WebhookDeliveryStatus) {
    node(id: $id) {
      ... on Organization {
        webhookEndpoints(first: 50) { totalCount edges { node { id url } } }
        webhookDeliveries(first: 100, status: $status) {
          totalCount
          edges {
            node {
              id
              webhookId
              eventType
              payload
              status
              attemptCount
              lastHttpStatus
              nextAttemptAt
              endpoint { id }
              replayOf { id }
              attempts { attemptNumber attemptedAt succeeded httpStatus durationMs error nextAttemptAt }
            }
          }
        }
      }
    }
  }
`);

const EndpointDeliveries = graphql(`
  query WebhooksEndpointDeliveries($id: ID!, $endpointId: ID) {
    node(id: $id) {
      ... on Organization {
        webhookDeliveries(first: 100, endpointId: $endpointId) { totalCount edges { node { id eventType endpoint { id } } } }
      }
    }
  }
`);

const DeliveryNode = graphql(`
  query WebhooksDeliveryNode($id: ID!) {
    node(id: $id) { ... on WebhookDelivery { id status } }
  }
`);

const CancelBooking = graphql(`
  mutation WebhooksCancelBooking($input: CancelBookingInput!) {
    cancelBooking(input: $input) { __typename ... on Error { code message } }
  }
`);

const CancelSession = graphql(`
  mutation WebhooksCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) { __typename ... on Error { code message } }
  }
`);

const ChangeCapacity = graphql(`
  mutation WebhooksChangeCapacity($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) { __typename ... on Error { code message } }
  }
`);

const GrantRole = graphql(`
  mutation WebhooksGrantRole($input: GrantRoleInput!) {
    grantRole(input: $input) { __typename ... on Error { code message } }
  }
`);

const RequestDeletion = graphql(`
  mutation WebhooksRequestDeletion($input: RequestAccountDeletionInput!) {
    requestAccountDeletion(input: $input) { __typename ... on Error { code message } }
  }
`);

const UpdateSession = graphql(`
  mutation WebhooksUpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) { __typename ... on Error { code message } }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

async function endpointFor(catalogue: Catalogue, events: string[], url = receiver.url) {
  const result = await execute(app, CreateEndpoint, { input: { organizationId: catalogue.organization.id, url, events } }, { token: catalogue.admin.token });
  return success(result.createWebhookEndpoint, 'CreateWebhookEndpointSuccess').webhookEndpoint;
}

async function deliveries(catalogue: Catalogue, status?: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED') {
  const data = await execute(app, Deliveries, { id: catalogue.organization.id, status }, { token: catalogue.admin.token });
  return (data.node as { webhookDeliveries: { totalCount: number; edges: { node: DeliveryView }[] } }).webhookDeliveries;
}

type DeliveryView = {
  id: string;
  webhookId: string;
  eventType: string;
  payload: string;
  status: string;
  attemptCount: number;
  lastHttpStatus: number | null;
  nextAttemptAt: string | null;
  endpoint: { id: string };
  replayOf: { id: string } | null;
  attempts: { attemptNumber: number; attemptedAt: string; succeeded: boolean; httpStatus: number | null; durationMs: number; error: string | null; nextAttemptAt: string | null }[];
};

/** Runs what is due now (advanceClock to the clock's own instant). */
async function runDue() {
  await advanceTo(await clockNow());
}

/** The requests the receiver got for one endpoint secret's organisation since `from`, verified. */
function verified(secret: string, from: number) {
  const webhook = new Webhook(secret);
  return receiver.received.slice(from).map((entry) => ({
    id: String(entry.headers['webhook-id']),
    payload: webhook.verify(entry.body, receiver.headersOf(entry)) as {
      type: string;
      version: number;
      timestamp: string;
      organizationId: string;
      data: Record<string, Record<string, unknown>>;
    },
  }));
}

describe('an endpoint receives signed events (Standard Webhooks)', () => {
  it('delivers order.paid, booking.created and booking.cancelled, signed with the secret, with global IDs and a version', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['booking.created', 'booking.cancelled', 'order.paid']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(endpoint.enabled).toBe(true);
    const start = receiver.received.length;
    const member = await memberWithCredits(app, catalogue, 5);
    const session = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 2 }).toJSDate() });
    const bookingId = await book(app, member, session.id, member.beneficiaryId);
    expect((await execute(app, CancelBooking, { input: { bookingId } }, { token: member.token })).cancelBooking.__typename).toBe('CancelBookingSuccess');
    // Nothing is sent inside the causes' requests: the worker sends what is due.
    expect(receiver.received.length).toBe(start);
    await runDue();
    await receiver.waitFor(start + 3);

    // Deliveries are sent in parallel: the order of arrival is not promised (as in the spec).
    const events = verified(endpoint.secret, start);
    expect(events.map((event) => event.payload.type).sort()).toEqual(['booking.cancelled', 'booking.created', 'order.paid']);
    for (const event of events) {
      expect(event.payload.version).toBe(1);
      expect(event.payload.organizationId).toBe(catalogue.organization.id);
    }
    const ofType = (type: string) => events.find((event) => event.payload.type === type)!;
    const [paid, created, cancelled] = [ofType('order.paid'), ofType('booking.created'), ofType('booking.cancelled')];
    expect(paid!.payload.data.order).toMatchObject({ status: 'PAID', total: { amountCents: 10_000, currency: 'EUR' } });
    expect(created!.payload.data.booking).toMatchObject({ id: bookingId, status: 'CONFIRMED', sessionId: session.id, beneficiaryId: member.beneficiaryId, memberId: member.id });
    expect(cancelled!.payload.data.booking).toMatchObject({ id: bookingId, status: 'CANCELLED', late: false, creditReturned: true });
    expect(new Set(events.map((event) => event.id)).size).toBe(3);

    // Tampering is caught by the receiver's library.
    const forged = { ...receiver.received[start]!, body: receiver.received[start]!.body.replace('"version":1', '"version":2') };
    expect(forged.body).not.toBe(receiver.received[start]!.body);
    expect(() => new Webhook(endpoint.secret).verify(forged.body, receiver.headersOf(forged))).toThrow();

    const listed = await deliveries(catalogue);
    expect(listed.totalCount).toBe(3);
    for (const { node } of listed.edges) {
      expect(node).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1, lastHttpStatus: 200, nextAttemptAt: null, endpoint: { id: endpoint.id } });
      expect(node.attempts).toHaveLength(1);
      expect(node.attempts[0]).toMatchObject({ attemptNumber: 1, succeeded: true, httpStatus: 200, error: null, nextAttemptAt: null });
      expect(node.attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(events.map((event) => event.id)).toContain(node.webhookId);
    }
  });

  it('sends only the subscribed types, and session.cancelled even when nobody was booked; session.changed from a capacity change', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['session.cancelled', 'session.changed']);
    const start = receiver.received.length;
    const member = await memberWithCredits(app, catalogue, 5); // order.paid: not subscribed
    const session = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 2 }).toJSDate(), capacity: 5 });
    const empty = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 3 }).toJSDate() });
    await book(app, member, session.id, member.beneficiaryId); // booking.created: not subscribed
    const admin = { token: catalogue.admin.token };
    expect((await execute(app, ChangeCapacity, { input: { sessionId: session.id, capacity: 8 } }, admin)).changeSessionCapacity.__typename).toBe(
      'ChangeSessionCapacitySuccess',
    );
    expect((await execute(app, CancelSession, { input: { sessionId: empty.id, reason: 'Pool closed' } }, admin)).cancelSession.__typename).toBe('CancelSessionSuccess');
    await runDue();
    await receiver.waitFor(start + 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const events = verified(endpoint.secret, start);
    expect(events.map((event) => event.payload.type).sort()).toEqual(['session.cancelled', 'session.changed']);
    const ofType = (type: string) => events.find((event) => event.payload.type === type)!;
    expect(ofType('session.changed').payload.data).toMatchObject({ session: { id: session.id, capacity: 8, status: 'SCHEDULED' }, changed: ['capacity'] });
    expect(ofType('session.cancelled').payload.data).toMatchObject({ session: { id: empty.id, status: 'CANCELLED' }, reason: 'Pool closed' });
  });

  it('sends session.changed when staff move a session (updateSession)', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['session.changed']);
    const startsAt = (await clockNow()).plus({ days: 2 });
    const session = await scheduleSession(app, catalogue, { startsAt: startsAt.toJSDate() });
    const start = receiver.received.length;
    const moved = startsAt.plus({ hours: 1 });
    const result = await execute(
      app,
      UpdateSession,
      { input: { sessionId: session.id, startsAt: moved.toJSDate().toISOString(), endsAt: moved.plus({ hours: 1 }).toJSDate().toISOString() } },
      { token: catalogue.admin.token },
    );
    expect(result.updateSession.__typename).toBe('UpdateSessionSuccess');
    await runDue();
    await receiver.waitFor(start + 1);
    const [event] = verified(endpoint.secret, start);
    expect(event!.payload).toMatchObject({ type: 'session.changed', data: { session: { id: session.id, startsAt: moved.toUTC().toISO() }, changed: ['time'] } });
  });

  it('sends booking.cancelled for an erased account too, though the member is emailed nothing', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['booking.cancelled']);
    const member = await memberWithCredits(app, catalogue, 2);
    const session = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 2 }).toJSDate() });
    const bookingId = await book(app, member, session.id, member.beneficiaryId);
    const start = receiver.received.length;
    const erased = (await execute(app, RequestDeletion, { input: { password: member.password } }, { token: member.token })).requestAccountDeletion;
    expect(erased.__typename).toBe('RequestAccountDeletionSuccess');
    await runDue();
    await receiver.waitFor(start + 1);
    const [event] = verified(endpoint.secret, start);
    expect(event!.payload).toMatchObject({ type: 'booking.cancelled', data: { booking: { id: bookingId, status: 'CANCELLED' } } });
  });

  it('retries a 500 with backoff, and never repeats a delivery after a 2xx', async () => {
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['booking.created']);
    const member = await memberWithCredits(app, catalogue, 5);
    const session = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 2 }).toJSDate() });
    const start = receiver.received.length;
    receiver.respondWith((_request, index) => (index === start ? 500 : 200));
    await book(app, member, session.id, member.beneficiaryId);
    const t0 = await clockNow();
    await runDue();
    await receiver.waitFor(start + 1);

    let [delivery] = (await deliveries(catalogue)).edges.map((edge) => edge.node);
    expect(delivery).toMatchObject({ status: 'PENDING', attemptCount: 1, lastHttpStatus: 500 });
    expect(ms(delivery!.nextAttemptAt!)).toBe(t0.toMillis() + webhookRetryDelayMs(1));
    expect(delivery!.attempts[0]).toMatchObject({ succeeded: false, httpStatus: 500, error: 'HTTP 500' });

    // Not before it is due.
    await advanceTo(t0.plus({ milliseconds: webhookRetryDelayMs(1) - 1 }));
    expect(receiver.received.length).toBe(start + 1);
    await advanceTo(t0.plus({ milliseconds: webhookRetryDelayMs(1) }));
    await receiver.waitFor(start + 2);
    const [first, second] = receiver.received.slice(start);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect(verified(endpoint.secret, start + 1)[0]!.payload.type).toBe('booking.created');

    [delivery] = (await deliveries(catalogue)).edges.map((edge) => edge.node);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2, lastHttpStatus: 200, nextAttemptAt: null });
    expect(delivery!.attempts.map((attempt) => attempt.httpStatus)).toEqual([500, 200]);

    // A day later, nothing more was sent.
    await advanceTo(t0.plus({ days: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.filter((entry) => entry.headers['webhook-id'] === first!.headers['webhook-id'])).toHaveLength(2);
  });

  it('replays a delivery with the same webhook-id and body (redeliverWebhook)', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['order.paid']);
    const start = receiver.received.length;
    await memberWithCredits(app, catalogue, 5);
    await runDue();
    await receiver.waitFor(start + 1);
    const [original] = (await deliveries(catalogue)).edges.map((edge) => edge.node);

    const replay = success(
      (await execute(app, Redeliver, { input: { webhookDeliveryId: original!.id } }, { token: catalogue.admin.token })).redeliverWebhook,
      'RedeliverWebhookSuccess',
    ).webhookDelivery;
    expect(replay).toMatchObject({ webhookId: original!.webhookId, status: 'PENDING', replayOf: { id: original!.id } });
    await runDue();
    await receiver.waitFor(start + 2);
    const [first, again] = receiver.received.slice(start);
    expect(again!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(again!.body).toBe(first!.body);
    expect(verified(endpoint.secret, start + 1)[0]!.payload.type).toBe('order.paid');
    const listed = await deliveries(catalogue);
    expect(listed.totalCount).toBe(2);
    expect(listed.edges.every((edge) => edge.node.status === 'SUCCEEDED')).toBe(true);
  });

  it('sends nothing to a disabled or deleted endpoint; re-enabled, it receives new events', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['booking.created']);
    const member = await memberWithCredits(app, catalogue, 5);
    const admin = { token: catalogue.admin.token };
    const first = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 2 }).toJSDate() });
    const second = await scheduleSession(app, catalogue, { startsAt: (await clockNow()).plus({ days: 3 }).toJSDate() });
    const start = receiver.received.length;
    // Queued while enabled, disabled before it was sent: CANCELLED, never sent.
    await book(app, member, first.id, member.beneficiaryId);
    const disabled = success(
      (await execute(app, UpdateEndpoint, { input: { webhookEndpointId: endpoint.id, enabled: false } }, admin)).updateWebhookEndpoint,
      'UpdateWebhookEndpointSuccess',
    ).webhookEndpoint;
    expect(disabled.enabled).toBe(false);
    await runDue();
    expect((await deliveries(catalogue)).edges.map((edge) => edge.node.status)).toEqual(['CANCELLED']);
    expect(receiver.received.length).toBe(start);

    await execute(app, UpdateEndpoint, { input: { webhookEndpointId: endpoint.id, enabled: true } }, admin);
    await book(app, member, second.id, member.beneficiaryId);
    await runDue();
    await receiver.waitFor(start + 1);
    expect(verified(endpoint.secret, start)[0]!.payload.data.booking).toMatchObject({ sessionId: second.id });

    success((await execute(app, DeleteEndpoint, { input: { webhookEndpointId: endpoint.id } }, admin)).deleteWebhookEndpoint, 'DeleteWebhookEndpointSuccess');
    const listed = (await execute(app, Deliveries, { id: catalogue.organization.id }, admin)).node as {
      webhookEndpoints: { totalCount: number };
      webhookDeliveries: { totalCount: number };
    };
    expect(listed.webhookEndpoints.totalCount).toBe(0);
    expect(listed.webhookDeliveries.totalCount).toBe(2);
  });
});

describe('the request itself', () => {
  it('resolves a host name and connects to the address it checked', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const byName = receiver.url.replace('127.0.0.1', 'localhost');
    const endpoint = await endpointFor(catalogue, ['order.paid'], byName);
    const start = receiver.received.length;
    await memberWithCredits(app, catalogue, 1);
    await runDue();
    await receiver.waitFor(start + 1);
    expect(verified(endpoint.secret, start)[0]!.payload.type).toBe('order.paid');
  });

  it('gives up on an endpoint that does not answer in time, without waiting for it', async () => {
    const slow = await startWebhookReceiver({ delayMs: 5_000 });
    try {
      const started = Date.now();
      const outcome = await sendWebhook(slow.url, {}, '{}', 300);
      expect(outcome).toMatchObject({ httpStatus: null, error: 'timed out after 300 ms' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await slow.close();
    }
  });
});

describe('who may see and manage endpoints', () => {
  it('refuses unknown event types and bad URLs with a translated VALIDATION naming the field', async () => {
    const catalogue = await createCatalogue(app);
    const create = async (url: string, events: string[], locale = 'en') =>
      (await execute(app, CreateEndpoint, { input: { organizationId: catalogue.organization.id, url, events } }, { token: catalogue.admin.token, locale }))
        .createWebhookEndpoint as { __typename: string; code?: string; message?: string; field?: string[] };
    expect(await create(receiver.url, ['booking.created', 'booking.exploded'])).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['events', '1'],
      message: expect.stringContaining('booking.created, booking.cancelled'),
    });
    expect(await create(receiver.url, ['booking.exploded'], 'fr')).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining("Type d'événement inconnu") });
    expect(await create(receiver.url, [])).toMatchObject({ code: 'VALIDATION', field: ['events'] });
    expect(await create('ftp://example.com/hook', ['order.paid'])).toMatchObject({ code: 'VALIDATION', field: ['url'] });
    expect(await create('https://user:pass@example.com/hook', ['order.paid'])).toMatchObject({ code: 'VALIDATION', field: ['url'] });
    expect(await create('not a url', ['order.paid'])).toMatchObject({ code: 'VALIDATION', field: ['url'] });
    expect(await create(`https://example.com/${'x'.repeat(2_100)}`, ['order.paid'])).toMatchObject({ code: 'VALIDATION', field: ['url'] });
  });

  it("gives a non-admin (staff, member) or another organisation's admin nothing", async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const endpoint = await endpointFor(catalogue, ['order.paid']);
    const staff = await memberWithCredits(app, catalogue, 1);
    await runDue();
    await execute(app, GrantRole, { input: { organizationId: catalogue.organization.id, memberId: staff.id, role: 'STAFF' } }, { token: catalogue.admin.token });
    const [delivery] = (await deliveries(catalogue)).edges.map((edge) => edge.node);
    const otherAdmin = await createMember(app);
    await createOrganization(app, otherAdmin);

    for (const viewer of [staff, otherAdmin]) {
      const token = viewer.token;
      const created = (await execute(app, CreateEndpoint, { input: { organizationId: catalogue.organization.id, url: receiver.url, events: ['order.paid'] } }, { token }))
        .createWebhookEndpoint;
      expect(created).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
      expect((await execute(app, Redeliver, { input: { webhookDeliveryId: delivery!.id } }, { token })).redeliverWebhook).toMatchObject({ code: 'FORBIDDEN' });
      expect((await execute(app, DeleteEndpoint, { input: { webhookEndpointId: endpoint.id } }, { token })).deleteWebhookEndpoint).toMatchObject({ code: 'FORBIDDEN' });
      const listed = await request(app, Deliveries, { id: catalogue.organization.id }, { token });
      expect(listed.errors?.map((error) => error.extensions?.code)).toContain('FORBIDDEN');
      expect(JSON.stringify(listed.data)).not.toContain(endpoint.secret);
      expect(JSON.stringify(listed.data)).not.toContain(delivery!.webhookId);
      expect((await execute(app, DeliveryNode, { id: delivery!.id }, { token })).node).toBeNull();
    }
    expect((await execute(app, DeliveryNode, { id: delivery!.id }, { token: catalogue.admin.token })).node).toMatchObject({ id: delivery!.id });
  });
});

describe('deliveries of one endpoint', () => {
  it('lists one endpoint’s deliveries, a deleted one’s included; endpointId follows the rule of ids', async () => {
    receiver.respondWith(200);
    const catalogue = await createCatalogue(app);
    const orders = await endpointFor(catalogue, ['order.paid']);
    const bookings = await endpointFor(catalogue, ['booking.created']);
    const member = await memberWithCredits(app, catalogue, 1);
    const session = await scheduleSession(app, catalogue);
    await book(app, member, session.id, member.beneficiaryId);
    await runDue();
    expect((await execute(app, DeleteEndpoint, { input: { webhookEndpointId: orders.id } }, { token: catalogue.admin.token })).deleteWebhookEndpoint).toMatchObject({
      __typename: 'DeleteWebhookEndpointSuccess',
    });

    const of = async (endpointId: string) =>
      (await execute(app, EndpointDeliveries, { id: catalogue.organization.id, endpointId }, { token: catalogue.admin.token })).node as {
        webhookDeliveries: { totalCount: number; edges: { node: { eventType: string; endpoint: { id: string } } }[] };
      };
    const ofOrders = (await of(orders.id)).webhookDeliveries;
    expect(ofOrders.totalCount).toBe(1);
    expect(ofOrders.edges.map((edge) => [edge.node.eventType, edge.node.endpoint.id])).toEqual([['order.paid', orders.id]]);
    const ofBookings = (await of(bookings.id)).webhookDeliveries;
    expect(ofBookings.edges.map((edge) => [edge.node.eventType, edge.node.endpoint.id])).toEqual([['booking.created', bookings.id]]);

    const other = await createCatalogue(app);
    const foreign = await endpointFor(other, ['order.paid']);
    for (const [endpointId, code] of [
      ['bm9ib2R5', 'VALIDATION'],
      [catalogue.organization.id, 'VALIDATION'],
      [encodeGlobalID('WebhookEndpoint', '01930000-0000-7000-8000-000000000000'), 'NOT_FOUND'],
      // Another organisation's endpoint: this admin cannot see it.
      [foreign.id, 'NOT_FOUND'],
    ] as const) {
      const result = await request(app, EndpointDeliveries, { id: catalogue.organization.id, endpointId }, { token: catalogue.admin.token, locale: 'en' });
      expect(result.errors?.map((error) => error.extensions)).toEqual([expect.objectContaining({ code, field: ['endpointId'] })]);
      expect(result.errors?.[0]?.path).toEqual(['node', 'webhookDeliveries']);
      if (code === 'NOT_FOUND') expect(result.errors?.[0]?.message).toBe('Webhook endpoint not found.');
    }
  });
});

// Last: it moves the clock by days.
describe('giving up', () => {
  it('retries with exponential backoff for 3 days, then marks the delivery FAILED', async () => {
    const catalogue = await createCatalogue(app);
    await endpointFor(catalogue, ['order.paid']);
    const start = receiver.received.length;
    receiver.respondWith(503);
    await memberWithCredits(app, catalogue, 1);
    const t0 = await clockNow();
    await advanceTo(t0.plus({ days: 4 }));
    const [delivery] = (await deliveries(catalogue)).edges.map((edge) => edge.node);

    // Every attempt the schedule allows within 3 days, and no more.
    const expected: number[] = [t0.toMillis()];
    for (let attempt = 1; expected.at(-1)! + webhookRetryDelayMs(attempt) <= t0.toMillis() + WEBHOOK_RETRY_WINDOW_MS; attempt += 1) {
      expected.push(expected.at(-1)! + webhookRetryDelayMs(attempt));
    }
    expect(expected.length).toBeGreaterThan(8);
    expect(delivery).toMatchObject({ status: 'FAILED', attemptCount: expected.length, lastHttpStatus: 503, nextAttemptAt: null });
    expect(delivery!.attempts.map((attempt) => ms(attempt.attemptedAt))).toEqual(expected);
    expect(delivery!.attempts.at(-1)!.nextAttemptAt).toBeNull();
    expect(receiver.received.length - start).toBe(expected.length);
  });
});
