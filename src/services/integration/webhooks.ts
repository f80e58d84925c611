import { randomBytes } from 'node:crypto';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { MAX_WEBHOOK_ENDPOINTS, WEBHOOK_RETRY_WINDOW_MS, validateEndpointInput } from '../../domain/webhooks.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../generated/prisma/client.js';
import { enqueue } from '../../jobs/queue.js';
import { checkWebhookHost } from '../../webhooks/delivery.js';
import { requireViewer, roleIn } from '../access.js';

// An organisation's webhook endpoints and deliveries (issue 14): ADMINs only, as they receive
// every member's bookings and orders.

/** `whsec_` and 32 random bytes in base64, the Standard Webhooks secret format. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

async function requireAdmin(context: Context, organizationId: string): Promise<string> {
  const viewerId = requireViewer(context);
  if ((await roleIn(viewerId, organizationId)) !== 'ADMIN') throw new ForbiddenError('error.forbidden.adminOnly');
  return viewerId;
}

/** The organisation's row lock, then the caller's role checked again under it (a demoted ADMIN can do nothing). */
async function lockAsAdmin(tx: Tx, organizationId: string, viewerId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "Organization" WHERE "id" = ${organizationId}::uuid FOR UPDATE`;
  const membership = await tx.membership.findUnique({ where: { organizationId_memberId: { organizationId, memberId: viewerId } }, select: { role: true } });
  if (membership?.role !== 'ADMIN') throw new ForbiddenError('error.forbidden.adminOnly');
}

export async function createWebhookEndpoint(
  context: Context,
  input: { organizationId: string; url: string; events: readonly string[] },
): Promise<WebhookEndpoint> {
  const organization = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { id: true } });
  if (!organization) throw new NotFoundError('entity.organization', ['organizationId']);
  const viewerId = await requireAdmin(context, organization.id);
  const { url, events } = validateEndpointInput(input);
  await checkWebhookHost(url!);
  const now = context.clock.now();
  return transaction(async (tx) => {
    await lockAsAdmin(tx, organization.id, viewerId);
    // Counted under the organisation's lock: two concurrent creations cannot pass the bound together.
    const existing = await tx.webhookEndpoint.count({ where: { organizationId: organization.id, deletedAt: null } });
    if (existing >= MAX_WEBHOOK_ENDPOINTS) {
      throw new ValidationError([{ field: ['organizationId'], messageKey: 'validation.webhookEndpointLimit', params: { max: MAX_WEBHOOK_ENDPOINTS } }]);
    }
    return tx.webhookEndpoint.create({
      data: { organizationId: organization.id, url: url!.href, events: events!, secret: newSecret(), createdById: viewerId, createdAt: now },
    });
  });
}

async function existingEndpoint(endpointId: string): Promise<WebhookEndpoint> {
  const endpoint = await prisma.webhookEndpoint.findUnique({ where: { id: endpointId } });
  if (!endpoint || endpoint.deletedAt) throw new NotFoundError('entity.webhookEndpoint', ['webhookEndpointId']);
  return endpoint;
}

/** Changes the URL, the event types or whether it is enabled; omitted fields stay as they are. */
export async function updateWebhookEndpoint(
  context: Context,
  input: { webhookEndpointId: string; url?: string | null; events?: readonly string[] | null; enabled?: boolean | null },
): Promise<WebhookEndpoint> {
  const endpoint = await existingEndpoint(input.webhookEndpointId);
  const viewerId = await requireAdmin(context, endpoint.organizationId);
  const { url, events } = validateEndpointInput(input);
  if (url) await checkWebhookHost(url);
  return transaction(async (tx) => {
    await lockAsAdmin(tx, endpoint.organizationId, viewerId);
    const updated = await tx.webhookEndpoint.updateMany({
      where: { id: endpoint.id, deletedAt: null },
      data: { ...(url ? { url: url.href } : {}), ...(events ? { events } : {}), ...(input.enabled != null ? { enabled: input.enabled } : {}) },
    });
    if (updated.count === 0) throw new NotFoundError('entity.webhookEndpoint', ['webhookEndpointId']);
    return tx.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
  });
}

/**
 * Deletes an endpoint: it receives nothing more (its pending deliveries end CANCELLED when due),
 * and its past deliveries stay listed.
 */
export async function deleteWebhookEndpoint(context: Context, input: { webhookEndpointId: string }): Promise<WebhookEndpoint> {
  const endpoint = await existingEndpoint(input.webhookEndpointId);
  const viewerId = await requireAdmin(context, endpoint.organizationId);
  return transaction(async (tx) => {
    await lockAsAdmin(tx, endpoint.organizationId, viewerId);
    const deleted = await tx.webhookEndpoint.updateMany({
      where: { id: endpoint.id, deletedAt: null },
      data: { deletedAt: context.clock.now(), enabled: false },
    });
    if (deleted.count === 0) throw new NotFoundError('entity.webhookEndpoint', ['webhookEndpointId']);
    return tx.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
  });
}

/**
 * Queues a delivery's event to be sent again to its endpoint, as a new delivery due now with the
 * same `webhook-id` and body (receivers that already processed it can tell), retried like any
 * other. Nothing is sent here: the job timer's next webhook pass (`deliverDueWebhooks`) sends it.
 */
export async function redeliverWebhook(context: Context, input: { webhookDeliveryId: string }): Promise<WebhookDelivery> {
  const original = await prisma.webhookDelivery.findUnique({ where: { id: input.webhookDeliveryId }, include: { endpoint: true } });
  if (!original) throw new NotFoundError('entity.webhookDelivery', ['webhookDeliveryId']);
  const viewerId = await requireAdmin(context, original.organizationId);
  if (!original.endpoint.enabled || original.endpoint.deletedAt) {
    throw new ValidationError([{ field: ['webhookDeliveryId'], messageKey: 'validation.webhookEndpointDisabled' }]);
  }
  const now = context.clock.now();
  return transaction(async (tx) => {
    await lockAsAdmin(tx, original.organizationId, viewerId);
    const replay = await tx.webhookDelivery.create({
      data: {
        organizationId: original.organizationId,
        eventId: original.eventId,
        endpointId: original.endpointId,
        replayOfId: original.id,
        nextAttemptAt: now,
        retryUntil: new Date(now.getTime() + WEBHOOK_RETRY_WINDOW_MS),
        createdAt: now,
      },
    });
    await enqueue(tx, {
      kind: 'WEBHOOK_DELIVERY',
      runAt: now,
      organizationId: original.organizationId,
      dedupeKey: `webhook:${replay.id}`,
      payload: { deliveryId: replay.id },
    });
    return replay;
  });
}
