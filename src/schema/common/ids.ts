import { createContextCache } from '@pothos/core';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
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

/** Global ID types that are a variant of a Prisma model, named like it in messages. */
const NAMED_VARIANTS: Record<string, MessageKey> = { MemberSubscription: 'entity.subscription' };

/**
 * The database id inside a global ID of the expected type. An ID that cannot name one (malformed,
 * of another type, not a UUID) is the caller's mistake: VALIDATION on that input field. A
 * well-formed ID whose row does not exist is NOT_FOUND, answered by whoever looks it up (README,
 * "Unknown and malformed ids").
 */
export function decodeId(globalId: string, typename: string, field: string | string[]): string {
  const path = Array.isArray(field) ? field : [field];
  try {
    const { typename: actual, id } = decodeGlobalID(globalId);
    if (actual === typename && UUID.test(id)) return id.toLowerCase();
  } catch {
    // Not base64 or not "Type:id": falls through.
  }
  throw new ValidationError([{ field: path, messageKey: 'validation.id', params: { entity: ENTITY[typename] ?? NAMED_VARIANTS[typename] ?? 'entity.object' } }]);
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

export function decodeIds(globalIds: readonly string[], typename: string, field: string | string[]): string[] {
  const path = Array.isArray(field) ? field : [field];
  return globalIds.map((globalId, index) => decodeId(globalId, typename, [...path, String(index)]));
}

/** Models whose IDs an argument may name and `assertIdsExist` can look up (their tables are named like them). */
type CheckedType = 'Session' | 'Organization' | 'Venue' | 'Activity';

/** A decoded ID named by an argument, and where in the arguments it sits (e.g. `["filter", "venueId"]`). */
export interface NamedId {
  typename: CheckedType;
  id: string;
  field: string[];
}

/**
 * NOT_FOUND on the first argument whose ID names no row (README, "Unknown and malformed ids"),
 * checked in one statement however many IDs there are. Callers leave out what their answer
 * already proves exists, so a query that found something usually checks nothing.
 */
export async function assertIdsExist(named: readonly NamedId[]): Promise<void> {
  if (named.length === 0) return;
  const byType = new Map<CheckedType, string[]>();
  for (const { typename, id } of named) byType.set(typename, [...(byType.get(typename) ?? []), id]);
  const parts = [...byType].map(
    ([typename, ids]) => Prisma.sql`SELECT ${typename}::text AS "type", "id"::text AS "id" FROM ${Prisma.raw(`"${typename}"`)} WHERE "id" = ANY(${ids}::uuid[])`,
  );
  const found = await prisma.$queryRaw<{ type: string; id: string }[]>`${Prisma.join(parts, ' UNION ALL ')}`;
  const existing = new Set(found.map((row) => `${row.type}:${row.id}`));
  const missing = named.find(({ typename, id }) => !existing.has(`${typename}:${id}`));
  if (missing) throw new NotFoundError(ENTITY[missing.typename] ?? 'entity.object', missing.field);
}

/** Per request, the checks `checkedFilter` already made (a page and its totalCount share one). */
const filterChecks = createContextCache(() => new Map<string, Promise<void>>());

/**
 * A list filter naming an ID inside one organisation (`Organization.orders(memberId)`…): `work`
 * runs beside one check that `exists` finds the row, NOT_FOUND on `field` otherwise (README,
 * "Unknown and malformed ids"). The check is made once per request and `key`.
 */
export async function checkedFilter<T>(
  context: object,
  check: { key: string; entity: MessageKey; field: string; exists: () => Promise<boolean> } | null,
  work: Promise<T>,
): Promise<T> {
  if (!check) return work;
  const checks = filterChecks(context);
  let found = checks.get(check.key);
  if (!found) {
    found = check.exists().then((exists) => {
      if (!exists) throw new NotFoundError(check.entity, [check.field]);
    });
    checks.set(check.key, found);
  }
  const [value] = await Promise.all([work, found]);
  return value;
}
