import type { Tx } from '../../db/transaction.js';
import type { CreditLot } from '../../domain/credits.js';
import type { Entitlement } from '../../generated/prisma/client.js';
import type { LedgerReason } from '../../generated/prisma/enums.js';
import { enqueue } from '../../jobs/queue.js';

// The credit ledger (SPEC §4). Every balance change is an appended entry; a trigger applies it to
// the entitlement and a CHECK refuses a negative balance, so nothing here can overdraw a lot.

export interface LedgerEntryInput {
  entitlementId: string;
  delta: number;
  reason: LedgerReason;
  bookingId?: string | null;
  waitlistEntryId?: string | null;
  actorId?: string | null;
  note?: string | null;
  /** Names a once-only change; a second entry with the same key is refused by a unique index. */
  dedupeKey?: string | null;
  /** The injected clock's now (the test clock's, under TEST_CLOCK). */
  createdAt: Date;
}

export async function appendEntry(tx: Tx, entry: LedgerEntryInput): Promise<void> {
  await tx.creditLedgerEntry.create({ data: entry });
}

/** Locks entitlement rows in id order (the fixed lock order), returning them as they are now. */
export async function lockEntitlements(tx: Tx, ids: string[]): Promise<Entitlement[]> {
  if (ids.length === 0) return [];
  return tx.$queryRaw<Entitlement[]>`
    SELECT * FROM "Entitlement" WHERE "id" = ANY(${[...new Set(ids)]}::uuid[]) ORDER BY "id" FOR UPDATE`;
}

/** Locks one entitlement row (FOR UPDATE) and returns it as it is now. */
export async function lockEntitlement(tx: Tx, id: string): Promise<Entitlement | null> {
  const [row] = await tx.$queryRaw<Entitlement[]>`SELECT * FROM "Entitlement" WHERE "id" = ${id}::uuid FOR UPDATE`;
  return row ?? null;
}

/** What the credit rules need besides the entitlement row: what its offer covers, and its subscription's state. */
const lotRelations = {
  offer: { select: { activities: { select: { activityId: true } }, venues: { select: { venueId: true } } } },
  subscription: { select: { status: true } },
} as const;

/** A beneficiary's entitlements in an organisation that still hold credits, as credit lots. */
export async function loadCreditLots(tx: Tx, beneficiaryId: string, organizationId: string): Promise<CreditLot[]> {
  const rows = await tx.entitlement.findMany({
    where: { beneficiaryId, organizationId, status: 'ACTIVE', creditsRemaining: { gt: 0 } },
    include: lotRelations,
  });
  return rows.map(toCreditLot);
}

/** One entitlement as a credit lot, whatever its balance (a reschedule keeps the credit already spent). */
export async function loadCreditLot(tx: Tx, id: string): Promise<CreditLot | null> {
  const row = await tx.entitlement.findUnique({ where: { id }, include: lotRelations });
  return row ? toCreditLot(row) : null;
}

function toCreditLot(
  row: Entitlement & {
    offer: { activities: { activityId: string }[]; venues: { venueId: string }[] };
    subscription: { status: string } | null;
  },
): CreditLot {
  return {
    id: row.id,
    beneficiaryId: row.beneficiaryId,
    organizationId: row.organizationId,
    status: row.status,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    creditsRemaining: row.creditsRemaining,
    rolloverCount: row.rolloverCount,
    activityIds: row.offer.activities.map((link) => link.activityId),
    venueIds: row.offer.venues.map((link) => link.venueId),
    suspended: row.subscription?.status === 'SUSPENDED',
  };
}

/** Creates an entitlement and grants its credits, in the caller's transaction. */
export async function createEntitlement(
  tx: Tx,
  data: {
    organizationId: string;
    memberId: string;
    beneficiaryId: string;
    offerId: string;
    orderId?: string | null;
    subscriptionId?: string | null;
    periodIndex?: number | null;
    carriedFromId?: string | null;
    rolloverCount?: number;
    validFrom: Date;
    validUntil: Date;
  },
  grant: { credits: number; reason: 'GRANT' | 'ROLLOVER'; note?: string; dedupeKey: string },
  now: Date,
): Promise<Entitlement> {
  const entitlement = await tx.entitlement.create({ data: { ...data, createdAt: now } });
  if (grant.credits > 0) {
    await appendEntry(tx, {
      entitlementId: entitlement.id,
      delta: grant.credits,
      reason: grant.reason,
      note: grant.note ?? null,
      dedupeKey: grant.dedupeKey,
      createdAt: now,
    });
  }
  return { ...entitlement, creditsRemaining: grant.credits };
}

/** Stores the expiry of an entitlement's credits at its end of validity (idempotent per date). */
export async function scheduleExpiry(tx: Tx, entitlement: Pick<Entitlement, 'id' | 'organizationId' | 'validUntil'>): Promise<void> {
  await enqueue(tx, {
    kind: 'ENTITLEMENT_EXPIRY',
    runAt: entitlement.validUntil,
    organizationId: entitlement.organizationId,
    dedupeKey: `expiry:${entitlement.id}:${entitlement.validUntil.toISOString()}`,
    payload: { entitlementId: entitlement.id },
  });
}

/**
 * Gives a booking's credit back; true when it can be spent again. A lot that is no longer valid
 * gets it back and loses it again at once (EXPIRE), so the history shows both and no expired
 * credit can be spent.
 */
export async function returnCredit(
  tx: Tx,
  entry: { entitlementId: string; bookingId: string; dedupeKey: string; note?: string; actorId?: string | null },
  now: Date,
): Promise<boolean> {
  const lot = await lockEntitlement(tx, entry.entitlementId);
  if (!lot) return false;
  await appendEntry(tx, { ...entry, delta: 1, reason: 'RECREDIT', createdAt: now });
  if (lot.status === 'ACTIVE' && lot.validUntil.getTime() > now.getTime()) return true;
  await appendEntry(tx, {
    entitlementId: lot.id,
    bookingId: entry.bookingId,
    delta: -1,
    reason: 'EXPIRE',
    note: 'Returned to a lot that is no longer valid.',
    dedupeKey: `${entry.dedupeKey}:expired`,
    createdAt: now,
  });
  return false;
}
