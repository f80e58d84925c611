import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhooks.js';
import type { WebhookDeliveryStatus } from '../../generated/prisma/enums.js';
import { builder } from '../builder.js';
import { totalCountField } from '../common/connections.js';
import { checkedFilter, decodeId } from '../common/ids.js';

// Webhooks out (issue 14, API.md "Integrators"): endpoints and their deliveries, ADMINs only.

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
/** A member id that names nobody, for an anonymous viewer. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

/** The deliveries `Organization.webhookDeliveries` lists; a malformed or wrongly typed `endpointId` is VALIDATION. */
function deliveriesWhere(organizationId: string, args: { status?: WebhookDeliveryStatus | null; endpointId?: string | null }) {
  return {
    organizationId,
    ...(args.status ? { status: args.status } : {}),
    ...(args.endpointId ? { endpointId: decodeId(args.endpointId, 'WebhookEndpoint', 'endpointId') } : {}),
  };
}

/** When `endpointId` is given: it must name an endpoint of the organization (deleted ones count). */
function endpointOf(organizationId: string, args: { endpointId?: string | null }) {
  if (!args.endpointId) return null;
  const endpointId = decodeId(args.endpointId, 'WebhookEndpoint', 'endpointId');
  return {
    key: `endpoint:${organizationId}:${endpointId}`,
    entity: 'entity.webhookEndpoint' as const,
    field: 'endpointId',
    exists: async () => (await prisma.webhookEndpoint.count({ where: { id: endpointId, organizationId } })) > 0,
  };
}

/** Rows of organisations the viewer is an ADMIN of: `node(id)` answers null for the others. */
function ofAdministeredOrganization(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return { id, organization: { memberships: { some: { memberId: viewerId, role: 'ADMIN' as const } } } };
}

const EVENT_TYPES_TEXT = WEBHOOK_EVENT_TYPES.map((type) => `\`${type}\``).join(', ');

export const WebhookEndpointRef = builder.prismaNode('WebhookEndpoint', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: ofAdministeredOrganization,
  nullable: true,
  description:
    "An integrator's URL that receives the organization's events, signed per the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers). ADMINs only.",
  authScopes: (endpoint) => ({ adminOf: endpoint.organizationId }),
  fields: (t) => ({
    url: t.exposeString('url', { description: 'Where events are POSTed (JSON).' }),
    events: t.exposeStringList('events', { description: `Event types it receives, among ${EVENT_TYPES_TEXT}.` }),
    enabled: t.exposeBoolean('enabled', { description: 'False: nothing is sent to it (pending deliveries end CANCELLED).' }),
    secret: t.exposeString('secret', {
      description:
        'The signing secret (`whsec_<base64>`): give it to the `standardwebhooks` library of your language to verify each request. Keep it private.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was registered.' }),
  }),
});

export const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'Where a delivery stands.',
  values: {
    PENDING: { description: 'Not delivered yet: the next attempt is at `nextAttemptAt`.' },
    SUCCEEDED: { description: 'The endpoint answered 2xx; it is never sent again (unless replayed with `redeliverWebhook`).' },
    FAILED: { description: 'Every attempt failed for 3 days; given up.' },
    CANCELLED: { description: 'The endpoint was disabled or deleted before it could be sent.' },
  } satisfies Record<WebhookDeliveryStatus, unknown>,
});

export const WebhookDeliveryAttemptRef = builder.prismaObject('WebhookDeliveryAttempt', {
  description: 'One HTTP request of a delivery.',
  fields: (t) => ({
    attemptNumber: t.exposeInt('attemptNumber', { description: '1 for the first request of the delivery.' }),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime', description: 'When it was made.' }),
    succeeded: t.exposeBoolean('succeeded', { description: 'True when the endpoint answered 2xx.' }),
    httpStatus: t.exposeInt('httpStatus', { nullable: true, description: "The endpoint's HTTP status; null when no answer came (refused, network error, 10 s time limit)." }),
    durationMs: t.exposeInt('durationMs', { description: 'How long the request took, in milliseconds.' }),
    error: t.exposeString('error', { nullable: true, description: 'What went wrong, when it failed.' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'When it was scheduled to be tried again after this attempt; null after a success or the last try.' }),
  }),
});

export const WebhookDeliveryRef = builder.prismaNode('WebhookDelivery', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: ofAdministeredOrganization,
  nullable: true,
  description:
    'One event sent to one endpoint, with every attempt. Failed attempts are retried with exponential backoff (30 s, 2 min, 8 min … then every 12 h) for 3 days. ADMINs only.',
  authScopes: (delivery) => ({ adminOf: delivery.organizationId }),
  fields: (t) => ({
    webhookId: t.exposeString('eventId', {
      description: 'The `webhook-id` header: the same for every attempt and every replay of this event, so receivers can drop duplicates.',
    }),
    eventType: t.string({ description: 'The event type, e.g. `booking.created`.', select: { event: { select: { type: true } } }, resolve: (delivery) => delivery.event.type }),
    payload: t.string({
      description: 'The exact JSON body sent (`type`, `version`, `timestamp`, `organizationId`, `data` with global IDs).',
      select: { event: { select: { payload: true } } },
      resolve: (delivery) => delivery.event.payload,
    }),
    endpoint: t.relation('endpoint', { description: 'Where it goes.' }),
    status: t.expose('status', { type: WebhookDeliveryStatusEnum, description: 'Where it stands.' }),
    attemptCount: t.exposeInt('attemptCount', { description: 'Requests made so far.' }),
    lastHttpStatus: t.exposeInt('lastHttpStatus', { nullable: true, description: 'HTTP status of the last attempt (null: none yet, or no answer).' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'When it will be tried (again); null once SUCCEEDED, FAILED or CANCELLED.' }),
    replayOf: t.relation('replayOf', { nullable: true, description: 'The delivery this one replays (`redeliverWebhook`).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was queued.' }),
    attempts: t.relation('attempts', {
      description: 'Every attempt, first first (bounded: a delivery stops after 3 days).',
      query: { orderBy: [{ attemptNumber: 'asc' }] },
    }),
  }),
});

builder.prismaObjectFields('Organization', (t) => ({
  webhookEndpoints: t.relatedConnection(
    'webhookEndpoints',
    {
      description: 'Webhook endpoints of the organization, oldest first (deleted ones left out). ADMINs only (others get FORBIDDEN).',
      authScopes: (organization) => ({ adminOf: organization.id }),
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: () => ({ where: { deletedAt: null }, orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }] }),
    },
    {
      name: 'OrganizationWebhookEndpointsConnection',
      description: "A page of an organization's webhook endpoints.",
      fields: (c) => ({
        totalCount: c.int({ description: 'How many endpoints there are, on every page.', extensions: { pothosPrismaTotalCount: true }, resolve: (connection) => (connection as unknown as { totalCount: number }).totalCount }),
      }),
    },
    { name: 'OrganizationWebhookEndpointsEdge', description: 'A webhook endpoint with its cursor.' },
  ),
  webhookDeliveries: t.prismaConnection(
    {
      type: 'WebhookDelivery',
      description:
        'Every webhook delivery of the organization, newest first, each with its attempts (status, HTTP code, duration, next attempt). ADMINs only (others get FORBIDDEN).',
      authScopes: (organization) => ({ adminOf: organization.id }),
      cursor: 'id',
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      args: {
        status: t.arg({ type: WebhookDeliveryStatusEnum, required: false, description: 'Only deliveries in this state.' }),
        endpointId: t.arg.id({
          required: false,
          description: "Only this endpoint's deliveries, deleted endpoints included (NOT_FOUND for an ID of no endpoint of the organization).",
        }),
      },
      resolve: (query, organization, args, context) =>
        checkedFilter(
          context,
          endpointOf(organization.id, args),
          prisma.webhookDelivery.findMany({ ...query, where: deliveriesWhere(organization.id, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
        ),
      // Only when selected: one COUNT beside the page.
      totalCount: (organization, args, context) =>
        checkedFilter(context, endpointOf(organization.id, args), prisma.webhookDelivery.count({ where: deliveriesWhere(organization.id, args) })),
    },
    {
      name: 'OrganizationWebhookDeliveriesConnection',
      description: "A page of an organization's webhook deliveries.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many deliveries match the filters, on every page.')) }),
    },
    { name: 'OrganizationWebhookDeliveriesEdge', description: 'A webhook delivery with its cursor.' },
  ),
}));
