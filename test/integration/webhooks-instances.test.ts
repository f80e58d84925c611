import type { ChildProcess } from 'node:child_process';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { book, createCatalogue, memberWithCredits, scheduleSession } from '../support/factories.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';
import { startServer, stopProcess } from '../support/processes.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

// Two server processes, as production runs them, on one database of their own with their job
// timers on: both deliver webhooks, and each event reaches the endpoint exactly once.

const children: ChildProcess[] = [];
let databaseName: string | undefined;
let app: App | undefined;
let receiver: WebhookReceiver | undefined;

afterAll(async () => {
  await Promise.all(children.map((child) => stopProcess(child)));
  await receiver?.close();
  await app?.close();
  if (databaseName) await dropDatabase(databaseName);
});

const CreateEndpoint = graphql(`
  mutation WebhooksInstancesCreateEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreateWebhookEndpointSuccess { webhookEndpoint { id secret } }
      ... on Error { code message }
    }
  }
`);

const Deliveries = graphql(`
  query WebhooksInstancesDeliveries($id: ID!) {
    node(id: $id) {
      ... on Organization { webhookDeliveries(first: 100) { totalCount edges { node { status attemptCount } } } }
    }
  }
`);

describe('two instances', () => {
  it('deliver each event once', async () => {
    databaseName = await createDatabase('webhooks_instances');
    const url = databaseUrl(databaseName);
    // This in-process server only makes the data (its timer is off); the two children deliver.
    app = await startApp({ databaseUrl: url, webhooksAllowPrivate: true });
    // A slow receiver, so that both instances have deliveries under way at once.
    receiver = await startWebhookReceiver({ delayMs: 150 });
    const env = { DATABASE_URL: url, REDIS_URL: inject('redisUrl'), JOB_INTERVAL_MS: '50', WEBHOOKS_ALLOW_PRIVATE: '1', DEMO_DATA: '0' };
    const [a, b] = await Promise.all([startServer(env, children), startServer(env, children)]);

    const catalogue = await createCatalogue(app);
    const endpoint = success(
      (
        await execute(
          app,
          CreateEndpoint,
          { input: { organizationId: catalogue.organization.id, url: receiver.url, events: ['booking.created', 'order.paid'] } },
          { token: catalogue.admin.token },
        )
      ).createWebhookEndpoint,
      'CreateWebhookEndpointSuccess',
    ).webhookEndpoint;
    const member = await memberWithCredits(app, catalogue, 6);
    const sessions = await Promise.all(Array.from({ length: 6 }, (_, index) => scheduleSession(app!, catalogue, { startsInHours: 48 + index })));
    await Promise.all(sessions.map((session) => book(app!, member, session.id, member.beneficiaryId)));
    const expected = 1 + sessions.length;

    await receiver.waitFor(expected, 30_000);
    // Time for any duplicate to arrive: several timer passes of both instances.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const webhook = new Webhook(endpoint.secret);
    const ids = receiver.received.map((entry) => {
      webhook.verify(entry.body, receiver!.headersOf(entry));
      return String(entry.headers['webhook-id']);
    });
    expect(ids).toHaveLength(expected);
    expect(new Set(ids).size).toBe(expected);

    const listed = (await execute(app, Deliveries, { id: catalogue.organization.id }, { token: catalogue.admin.token })).node as {
      webhookDeliveries: { totalCount: number; edges: { node: { status: string; attemptCount: number } }[] };
    };
    expect(listed.webhookDeliveries.totalCount).toBe(expected);
    expect(listed.webhookDeliveries.edges.every(({ node }) => node.status === 'SUCCEEDED' && node.attemptCount === 1)).toBe(true);
    // Both processes ran the delivery pass; between them, one delivery per event.
    const delivered = [a, b].map((server) => server.logs.join('').split('\n').filter((line) => line.includes('"webhook delivered"')).length);
    expect(delivered[0]! + delivered[1]!).toBe(expected);
  }, 120_000);
});
