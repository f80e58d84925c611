import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { sendWebhook } from '../../src/webhooks/delivery.js';
import { graphql } from '../gql/index.js';
import { execute, startApp } from '../support/app.js';
import { createCatalogue } from '../support/factories.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

// Without WEBHOOKS_ALLOW_PRIVATE (the default), endpoints that lead to private, loopback or
// link-local addresses are refused at registration, and a request is never made to such an
// address at delivery time either (a host whose DNS answer changed: rebinding). Only the loopback
// receiver below is ever contacted — and it must receive nothing.

let app: App;
let receiver: WebhookReceiver;
beforeAll(async () => {
  app = await startApp();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await app?.close();
});

const CreateEndpoint = graphql(`
  mutation WebhooksPrivateCreateEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

describe('private addresses are refused unless WEBHOOKS_ALLOW_PRIVATE is set', () => {
  it('refuses loopback, private, link-local and unique-local URLs at registration (VALIDATION on url)', async () => {
    const catalogue = await createCatalogue(app);
    const port = new URL(receiver.url).port;
    for (const url of [
      receiver.url,
      `http://localhost:${port}/webhooks`,
      'http://10.1.2.3/hook',
      'https://192.168.1.20/hook',
      'http://172.16.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/hook',
      'http://[fd00::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0.0.0.0/hook',
    ]) {
      const result = (
        await execute(app, CreateEndpoint, { input: { organizationId: catalogue.organization.id, url, events: ['booking.created'] } }, { token: catalogue.admin.token, locale: 'en' })
      ).createWebhookEndpoint;
      expect(result, url).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: ['url'], message: expect.stringContaining('private, local or loopback') });
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('never connects to a private address at delivery time, even by a host name that resolves there now', async () => {
    const port = new URL(receiver.url).port;
    const byName = await sendWebhook(`http://localhost:${port}/webhooks`, {}, '{}');
    expect(byName).toMatchObject({ httpStatus: null, error: expect.stringContaining('refused') });
    const byAddress = await sendWebhook(receiver.url, {}, '{}');
    expect(byAddress).toMatchObject({ httpStatus: null, error: expect.stringContaining('refused') });
    expect(receiver.received).toHaveLength(0);
  });
});
