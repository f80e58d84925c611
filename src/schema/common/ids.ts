import { decodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError } from '../../domain/errors.js';
import type { MessageKey } from '../../i18n/messages.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ENTITY: Record<string, MessageKey> = {
  Organization: 'entity.organization',
  Venue: 'entity.venue',
  Activity: 'entity.activity',
  Session: 'entity.session',
  Offer: 'entity.offer',
  Coach: 'entity.coach',
  Member: 'entity.member',
  Beneficiary: 'entity.beneficiary',
  Booking: 'entity.booking',
  Order: 'entity.order',
  Entitlement: 'entity.entitlement',
  MemberSubscription: 'entity.subscription',
  CreditNote: 'entity.creditNote',
  WaitlistEntry: 'entity.waitlistEntry',
  WaitlistOffer: 'entity.waitlistOffer',
  Registration: 'entity.registration',
  PromoCode: 'entity.promoCode',
  WebhookEndpoint: 'entity.webhookEndpoint',
  WebhookDelivery: 'entity.webhookDelivery',
  SavedPaymentMethod: 'entity.paymentMethod',
  Timetable: 'entity.timetable',
};

/**
 * The database id inside a global ID of the expected type. Anything else (malformed, another
 * type, not a UUID) names nothing that exists: NotFoundError on that input field.
 */
export function decodeId(globalId: string, typename: string, field: string | string[]): string {
  const path = Array.isArray(field) ? field : [field];
  try {
    const { typename: actual, id } = decodeGlobalID(globalId);
    if (actual === typename && UUID.test(id)) return id.toLowerCase();
  } catch {
    // Not base64 or not "Type:id": falls through to NotFound.
  }
  throw new NotFoundError(ENTITY[typename] ?? 'entity.object', path);
}

/** Node types that `node(id)` can load; their ids are UUIDs. */
const NODE_TYPES = new Set(Object.keys(ENTITY));

/** Decodes a global ID for `node(id)`; an empty typename when it names no loadable object. */
export function decodeGlobalIdOrNothing(globalId: string): { typename: string; id: string } {
  try {
    const { typename, id } = decodeGlobalID(globalId);
    if (NODE_TYPES.has(typename) && UUID.test(id)) return { typename, id: id.toLowerCase() };
  } catch {
    // Falls through.
  }
  return { typename: '', id: '' };
}

export function decodeIds(globalIds: readonly string[], typename: string, field: string): string[] {
  return globalIds.map((globalId, index) => decodeId(globalId, typename, [field, String(index)]));
}
