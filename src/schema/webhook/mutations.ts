import { WEBHOOK_EVENT_TYPES } from '../../domain/webhooks.js';
import { createWebhookEndpoint, deleteWebhookEndpoint, redeliverWebhook, updateWebhookEndpoint } from '../../services/integration/webhooks.js';
import { decodeId } from '../common/ids.js';
import { defineMutation, type Types } from '../common/mutation.js';
import type { WebhookEndpoint } from '../../generated/prisma/client.js';
import { WebhookDeliveryRef, WebhookEndpointRef } from './types.js';

const EVENT_TYPES_TEXT = WEBHOOK_EVENT_TYPES.map((type) => `\`${type}\``).join(', ');
const EVENTS_MAX = WEBHOOK_EVENT_TYPES.length * 2;

/** Every endpoint mutation answers the endpoint as saved. */
function endpointSuccess(description: string) {
  return {
    description,
    fields: (t: PothosSchemaTypes.ObjectFieldBuilder<Types, { webhookEndpoint: WebhookEndpoint }>) => ({
      webhookEndpoint: t.field({ type: WebhookEndpointRef, description: 'The endpoint, with its `secret`.', resolve: (r) => r.webhookEndpoint }),
    }),
  };
}

defineMutation('createWebhookEndpoint', {
  description: `An ADMIN registers a URL that receives the organization's events (${EVENT_TYPES_TEXT}), signed per the Standard Webhooks specification with the returned \`secret\`. The URL must be http(s) and resolve only to public addresses (VALIDATION otherwise, unless the server runs with WEBHOOKS_ALLOW_PRIVATE=1); unknown event types are a VALIDATION error.`,
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (its ADMINs only).' }),
    url: t.string({ required: true, description: 'Where to POST events, e.g. `https://example.com/webhooks`.' }),
    events: t.stringList({ required: true, description: `Event types to receive (at least one), among ${EVENT_TYPES_TEXT}.`, extensions: { maxItems: EVENTS_MAX } }),
  }),
  resolve: async (input, context) => ({
    webhookEndpoint: await createWebhookEndpoint(context, { ...input, organizationId: decodeId(input.organizationId, 'Organization', 'organizationId') }),
  }),
  success: endpointSuccess('The endpoint is registered: events from now on are delivered to it.'),
});

defineMutation('updateWebhookEndpoint', {
  description: 'An ADMIN changes an endpoint: its URL, its event types, or `enabled` (false: nothing is sent to it). Omitted fields stay as they are; the same checks as `createWebhookEndpoint` apply.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    webhookEndpointId: t.id({ required: true, description: 'The endpoint.' }),
    url: t.string({ required: false, description: 'A new URL.' }),
    events: t.stringList({ required: false, description: `New event types (at least one), among ${EVENT_TYPES_TEXT}.`, extensions: { maxItems: EVENTS_MAX } }),
    enabled: t.boolean({ required: false, description: 'False disables it, true enables it again.' }),
  }),
  resolve: async (input, context) => ({
    webhookEndpoint: await updateWebhookEndpoint(context, { ...input, webhookEndpointId: decodeId(input.webhookEndpointId, 'WebhookEndpoint', 'webhookEndpointId') }),
  }),
  success: endpointSuccess('The endpoint as saved.'),
});

defineMutation('deleteWebhookEndpoint', {
  description: 'An ADMIN deletes an endpoint: it receives nothing more (pending deliveries end CANCELLED); its past deliveries stay listed.',
  authScopes: { loggedIn: true },
  input: (t) => ({ webhookEndpointId: t.id({ required: true, description: 'The endpoint.' }) }),
  resolve: async (input, context) => ({
    webhookEndpoint: await deleteWebhookEndpoint(context, { webhookEndpointId: decodeId(input.webhookEndpointId, 'WebhookEndpoint', 'webhookEndpointId') }),
  }),
  success: endpointSuccess('The endpoint is deleted.'),
});

defineMutation('redeliverWebhook', {
  description:
    "An ADMIN queues a delivery's event to be sent again to its endpoint: a new delivery (`PENDING`, `attemptCount` 0, due now, retried like any other) with the same `webhook-id` and body, so a receiver that already processed it can tell. Nothing is sent during this mutation: the next pass of a server's job timer sends it, every `JOB_INTERVAL_MS` (10 s by default), so it arrives within about that long (later while the previous pass is still busy with slow endpoints). VALIDATION when the endpoint is disabled or deleted.",
  authScopes: { loggedIn: true },
  input: (t) => ({ webhookDeliveryId: t.id({ required: true, description: 'The delivery to replay.' }) }),
  resolve: async (input, context) => ({
    webhookDelivery: await redeliverWebhook(context, { webhookDeliveryId: decodeId(input.webhookDeliveryId, 'WebhookDelivery', 'webhookDeliveryId') }),
  }),
  success: {
    description: "The replay is queued (`PENDING`, `attemptCount` 0); the job timer's next pass sends it, within about `JOB_INTERVAL_MS` (10 s by default).",
    fields: (t) => ({ webhookDelivery: t.field({ type: WebhookDeliveryRef, description: 'The new delivery (`replayOf` names the original).', resolve: (r) => r.webhookDelivery }) }),
  },
});
