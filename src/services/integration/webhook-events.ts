import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Tx } from '../../db/transaction.js';
import { WEBHOOK_PAYLOAD_VERSION, WEBHOOK_RETRY_WINDOW_MS, type WebhookEventType } from '../../domain/webhooks.js';
import type { Booking, Order, Session, Subscription } from '../../generated/prisma/client.js';

// The webhook outbox (issue 14): each cause calls `emitEvent` in its own transaction, next to the
// email it queues (if any), so the event exists exactly when its cause committed — even when the
// member has no address any more (erased) or nobody is emailed at all (a session cancelled with no
// booking, a refund). Explicit calls, one per cause, rather than a mapping inside `notifyMember`:
// emails go to each member (a cancelled session sends N of them) while an event is one per cause,
// and some causes send no email. `src/webhooks/delivery.ts` sends what this writes.

/** A Relay global ID, as the API gives it: receivers pass it to `node(id:)` or to mutations. */
export function globalId(typename: string, id: string): string {
  return encodeGlobalID(typename, id);
}

export interface WebhookEventInput {
  organizationId: string;
  type: WebhookEventType;
  /** Names the cause (e.g. "booking.created:<bookingId>"): emitting the same cause again is a no-op. */
  dedupeKey: string;
  /** The injected clock's now: the event's `timestamp`, and when its deliveries are due. */
  at: Date;
  data: Record<string, unknown>;
}

/**
 * Writes the event and, for every enabled endpoint of the organisation subscribed to its type, a
 * delivery and its due job — in one statement of the caller's transaction. With no such endpoint it
 * writes nothing (nobody could ever receive it), so a cause costs one round trip more, no row.
 */
export async function emitEvent(tx: Tx, event: WebhookEventInput): Promise<void> {
  const body = JSON.stringify({
    type: event.type,
    version: WEBHOOK_PAYLOAD_VERSION,
    timestamp: event.at.toISOString(),
    organizationId: globalId('Organization', event.organizationId),
    data: event.data,
  });
  const retryUntil = new Date(event.at.getTime() + WEBHOOK_RETRY_WINDOW_MS);
  await tx.$executeRaw`
    WITH endpoints AS (
      SELECT "id" FROM "WebhookEndpoint"
       WHERE "organizationId" = ${event.organizationId}::uuid AND "enabled" AND "deletedAt" IS NULL
         AND ${event.type}::text = ANY ("events")
    ), event AS (
      INSERT INTO "WebhookEvent" ("id", "organizationId", "type", "payload", "dedupeKey", "createdAt")
      SELECT gen_random_uuid(), ${event.organizationId}::uuid, ${event.type}, ${body}, ${event.dedupeKey}, ${event.at}::timestamptz
       WHERE EXISTS (SELECT 1 FROM endpoints)
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING "id"
    ), delivery AS (
      INSERT INTO "WebhookDelivery" ("id", "organizationId", "eventId", "endpointId", "nextAttemptAt", "retryUntil", "createdAt")
      SELECT gen_random_uuid(), ${event.organizationId}::uuid, event."id", endpoints."id", ${event.at}::timestamptz,
             ${retryUntil}::timestamptz, ${event.at}::timestamptz
        FROM event CROSS JOIN endpoints
      RETURNING "id"
    )
    INSERT INTO "DueJob" ("id", "organizationId", "kind", "runAt", "payload", "dedupeKey")
    SELECT gen_random_uuid(), ${event.organizationId}::uuid, 'WEBHOOK_DELIVERY', ${event.at}::timestamptz,
           jsonb_build_object('deliveryId', delivery."id"), 'webhook:' || delivery."id"
      FROM delivery`;
}

// ─── What each cause sends (global IDs; amounts in cents with their currency) ──────────────────

type BookingFacts = Pick<Booking, 'id' | 'organizationId' | 'status' | 'sessionId' | 'beneficiaryId' | 'memberId'>;

/** `booking.created` (a booking confirmed) or `booking.cancelled`, once per booking. */
export function bookingEvent(
  type: 'booking.created' | 'booking.cancelled',
  booking: BookingFacts,
  at: Date,
  extra: Record<string, unknown> = {},
): WebhookEventInput {
  return {
    organizationId: booking.organizationId,
    type,
    dedupeKey: `${type}:${booking.id}`,
    at,
    data: {
      booking: {
        id: globalId('Booking', booking.id),
        status: booking.status,
        sessionId: globalId('Session', booking.sessionId),
        beneficiaryId: globalId('Beneficiary', booking.beneficiaryId),
        memberId: globalId('Member', booking.memberId),
        ...extra,
      },
    },
  };
}

type SessionFacts = Pick<Session, 'id' | 'organizationId' | 'status' | 'startsAt' | 'endsAt' | 'capacity' | 'venueId' | 'activityId'> & {
  coachId?: string | null;
};

function sessionData(session: SessionFacts) {
  return {
    id: globalId('Session', session.id),
    status: session.status,
    startsAt: session.startsAt.toISOString(),
    endsAt: session.endsAt.toISOString(),
    capacity: session.capacity,
    venueId: globalId('Venue', session.venueId),
    activityId: globalId('Activity', session.activityId),
    ...(session.coachId !== undefined ? { coachId: session.coachId ? globalId('Coach', session.coachId) : null } : {}),
  };
}

/**
 * `session.changed`: a session's time, place, coach or capacity changed. Each change is a cause of
 * its own, so the key is fresh. `updateSession` (issue 12) calls this too, with what changed.
 */
export function sessionChangedEvent(session: SessionFacts, at: Date, changed: string[]): WebhookEventInput {
  return {
    organizationId: session.organizationId,
    type: 'session.changed',
    dedupeKey: `session.changed:${session.id}:${randomUUID()}`,
    at,
    data: { session: sessionData(session), changed },
  };
}

/** `session.cancelled`, once per session (its bookings each send `booking.cancelled` too). */
export function sessionCancelledEvent(session: SessionFacts, at: Date, reason: string): WebhookEventInput {
  return {
    organizationId: session.organizationId,
    type: 'session.cancelled',
    dedupeKey: `session.cancelled:${session.id}`,
    at,
    data: { session: sessionData(session), reason },
  };
}

type OrderFacts = Pick<Order, 'id' | 'organizationId' | 'status' | 'memberId' | 'beneficiaryId' | 'totalCents' | 'paidCents' | 'currency' | 'invoiceNumber'>;

/** `order.paid` (once per order) or `order.refunded` (once per refund, `refundKey` names it). */
export function orderEvent(type: 'order.paid' | 'order.refunded', order: OrderFacts, at: Date, refundKey = ''): WebhookEventInput {
  return {
    organizationId: order.organizationId,
    type,
    dedupeKey: `${type}:${order.id}${refundKey ? `:${refundKey}` : ''}`,
    at,
    data: {
      order: {
        id: globalId('Order', order.id),
        status: order.status,
        memberId: globalId('Member', order.memberId),
        beneficiaryId: order.beneficiaryId ? globalId('Beneficiary', order.beneficiaryId) : null,
        total: { amountCents: order.totalCents, currency: order.currency },
        paid: { amountCents: order.paidCents, currency: order.currency },
        invoiceNumber: order.invoiceNumber,
      },
    },
  };
}

type SubscriptionFacts = Pick<Subscription, 'id' | 'organizationId' | 'status' | 'memberId' | 'beneficiaryId' | 'offerId'>;

/** `subscription.renewed` (once per period) or `subscription.terminated` (once). */
export function subscriptionEvent(
  type: 'subscription.renewed' | 'subscription.terminated',
  subscription: SubscriptionFacts,
  at: Date,
  extra: { periodIndex?: number; periodStart?: Date; periodEnd?: Date; orderId?: string } = {},
): WebhookEventInput {
  return {
    organizationId: subscription.organizationId,
    type,
    dedupeKey: `${type}:${subscription.id}${type === 'subscription.renewed' ? `:${extra.periodIndex}` : ''}`,
    at,
    data: {
      subscription: {
        id: globalId('Subscription', subscription.id),
        status: subscription.status,
        memberId: globalId('Member', subscription.memberId),
        beneficiaryId: globalId('Beneficiary', subscription.beneficiaryId),
        offerId: globalId('Offer', subscription.offerId),
        ...(extra.periodIndex !== undefined ? { periodIndex: extra.periodIndex } : {}),
        ...(extra.periodStart ? { periodStart: extra.periodStart.toISOString() } : {}),
        ...(extra.periodEnd ? { periodEnd: extra.periodEnd.toISOString() } : {}),
        ...(extra.orderId ? { orderId: globalId('Order', extra.orderId) } : {}),
      },
    },
  };
}
