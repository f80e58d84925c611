import type { Tx } from '../db/transaction.js';
import { rollover, subscriptionAnchor, subscriptionPeriod } from '../domain/credits.js';
import type { DueJob, Entitlement, Offer, Order, Subscription } from '../generated/prisma/client.js';
import { enqueue } from '../jobs/queue.js';
import { appendEntry, createEntitlement } from './ledger.js';
import { queueEmail } from './notifications.js';
// orders.ts imports this module too; the cycle is safe because both only call each other at run time.
import { completeOrder } from './orders.js';

// Subscriptions over time (SPEC §4, §7; 003 §9.2, §12; 004). Each period is an entitlement with the
// period's allowance. At each boundary one job, per subscription, does everything the boundary
// means, in one transaction: the ending period's unused credits roll over (into a lot of their
// own, valid through the next period) or expire, the next period's order is created, and its
// credits are granted.

interface OfferForPeriods extends Pick<Offer, 'id' | 'credits' | 'period' | 'priceCents' | 'currency' | 'commitmentPeriods'> {}

function periodOf(subscription: Pick<Subscription, 'startedAt'>, offer: OfferForPeriods, index: number, timeZone: string) {
  return subscriptionPeriod(subscription.startedAt, index, offer.period ?? 'MONTH', timeZone);
}

/** The first period of a subscription whose first order was just paid. */
export async function startSubscription(
  tx: Tx,
  { order, offer, timeZone }: { order: Order; offer: Offer; timeZone: string },
  now: Date,
): Promise<Subscription> {
  const anchor = subscriptionAnchor(now, timeZone);
  const first = subscriptionPeriod(anchor, 0, offer.period ?? 'MONTH', timeZone);
  const subscription = await tx.subscription.create({
    data: {
      organizationId: order.organizationId,
      memberId: order.memberId,
      beneficiaryId: order.beneficiaryId,
      offerId: offer.id,
      startedAt: anchor,
      currentPeriodIndex: 0,
      currentPeriodStart: first.start,
      currentPeriodEnd: first.end,
      createdAt: now,
      commitmentEndsAt:
        offer.commitmentPeriods > 0 ? subscriptionPeriod(anchor, offer.commitmentPeriods, offer.period ?? 'MONTH', timeZone).start : null,
    },
  });
  await createEntitlement(
    tx,
    {
      organizationId: order.organizationId,
      memberId: order.memberId,
      beneficiaryId: order.beneficiaryId,
      offerId: offer.id,
      orderId: order.id,
      subscriptionId: subscription.id,
      periodIndex: 0,
      validFrom: first.start,
      validUntil: first.end,
    },
    { credits: offer.credits, reason: 'GRANT', dedupeKey: `grant:subscription:${subscription.id}:0` },
    now,
  );
  await scheduleBoundary(tx, subscription, 1, first.end);
  return subscription;
}

async function scheduleBoundary(tx: Tx, subscription: Pick<Subscription, 'id' | 'organizationId'>, periodIndex: number, at: Date) {
  await enqueue(tx, {
    kind: 'SUBSCRIPTION_RENEWAL',
    runAt: at,
    organizationId: subscription.organizationId,
    dedupeKey: `renewal:${subscription.id}:${periodIndex}`,
    payload: { subscriptionId: subscription.id, periodIndex },
  });
}

/**
 * The boundary before period `periodIndex` (a SUBSCRIPTION_RENEWAL job). Idempotent: the
 * subscription row is locked and a boundary already crossed is a no-op.
 */
export async function crossPeriodBoundary(tx: Tx, job: DueJob, now: Date): Promise<void> {
  const { subscriptionId, periodIndex } = job.payload as { subscriptionId: string; periodIndex: number };
  const [subscription] = await tx.$queryRaw<Subscription[]>`
    SELECT * FROM "Subscription" WHERE "id" = ${subscriptionId}::uuid FOR UPDATE`;
  if (!subscription || subscription.currentPeriodIndex >= periodIndex) return;
  // One connection per transaction: its queries run one after another.
  const offer = await tx.offer.findUniqueOrThrow({ where: { id: subscription.offerId } });
  const organization = await tx.organization.findUniqueOrThrow({ where: { id: subscription.organizationId }, select: { timeZone: true } });
  const member = await tx.member.findUniqueOrThrow({ where: { id: subscription.memberId }, select: { email: true, locale: true } });
  const next = periodOf(subscription, offer, periodIndex, organization.timeZone);
  const boundary = next.start;

  // Lots of this subscription whose validity ends at this boundary (an extended lot ends later
  // and expires on its own job), locked in id order.
  const ending = await tx.$queryRaw<Entitlement[]>`
    SELECT * FROM "Entitlement"
     WHERE "subscriptionId" = ${subscription.id}::uuid AND "status" = 'ACTIVE' AND "validUntil" <= ${boundary}
     ORDER BY "id" FOR UPDATE`;

  const ended = subscription.status === 'TERMINATED' || (subscription.endsAt !== null && subscription.endsAt.getTime() <= boundary.getTime());
  const decisions = ended
    ? ending.map((lot) => ({ id: lot.id, carry: 0, forfeit: 0, expire: lot.creditsRemaining }))
    : rollover(
        { allowance: offer.credits, capMultiplier: offer.rolloverCapMultiplier ?? 1, carryPeriods: offer.rolloverPeriods },
        ending.map((lot) => ({ id: lot.id, remaining: lot.creditsRemaining, rolloverCount: lot.rolloverCount })),
      );

  for (const [index, lot] of ending.entries()) {
    const decision = decisions[index]!;
    const key = `boundary:${subscription.id}:${periodIndex}:${lot.id}`;
    if (decision.carry > 0) {
      await appendEntry(tx, {
        entitlementId: lot.id,
        delta: -decision.carry,
        reason: 'ROLLOVER',
        note: 'Carried into the next period.',
        dedupeKey: `${key}:out`,
        createdAt: now,
      });
      await createEntitlement(
        tx,
        {
          organizationId: lot.organizationId,
          memberId: lot.memberId,
          beneficiaryId: lot.beneficiaryId,
          offerId: lot.offerId,
          subscriptionId: subscription.id,
          carriedFromId: lot.id,
          rolloverCount: lot.rolloverCount + 1,
          validFrom: boundary,
          validUntil: next.end,
        },
        { credits: decision.carry, reason: 'ROLLOVER', note: 'Carried from the previous period.', dedupeKey: `${key}:in` },
        now,
      );
    }
    if (decision.forfeit > 0) {
      await appendEntry(tx, {
        entitlementId: lot.id,
        delta: -decision.forfeit,
        reason: 'FORFEIT',
        note: `Beyond the rollover cap (${offer.rolloverCapMultiplier ?? 1}× the allowance).`,
        dedupeKey: `${key}:forfeit`,
        createdAt: now,
      });
    }
    if (decision.expire > 0) {
      await appendEntry(tx, {
        entitlementId: lot.id,
        delta: -decision.expire,
        reason: 'EXPIRE',
        note: ended ? 'The subscription ended.' : 'Carried credits are usable for one more period only.',
        dedupeKey: `${key}:expire`,
        createdAt: now,
      });
    }
    await tx.entitlement.update({ where: { id: lot.id }, data: { status: 'EXPIRED' } });
  }

  if (ended) {
    await tx.subscription.update({ where: { id: subscription.id }, data: { status: 'TERMINATED' } });
    return;
  }

  // The new period: its order (due at the desk until online charging exists) and its credits.
  let order = await tx.order.create({
    data: {
      organizationId: subscription.organizationId,
      memberId: subscription.memberId,
      beneficiaryId: subscription.beneficiaryId,
      offerId: offer.id,
      subscriptionId: subscription.id,
      periodIndex,
      currency: offer.currency,
      subtotalCents: offer.priceCents,
      totalCents: offer.priceCents,
      createdAt: now,
    },
  });
  // A free subscription's period is paid as soon as it starts.
  if (order.totalCents === 0) order = await completeOrder(tx, order, now);
  await createEntitlement(
    tx,
    {
      organizationId: subscription.organizationId,
      memberId: subscription.memberId,
      beneficiaryId: subscription.beneficiaryId,
      offerId: offer.id,
      orderId: order.id,
      subscriptionId: subscription.id,
      periodIndex,
      validFrom: next.start,
      validUntil: next.end,
    },
    { credits: offer.credits, reason: 'GRANT', dedupeKey: `grant:subscription:${subscription.id}:${periodIndex}` },
    now,
  );
  await tx.subscription.update({
    where: { id: subscription.id },
    data: { currentPeriodIndex: periodIndex, currentPeriodStart: next.start, currentPeriodEnd: next.end },
  });
  await queueEmail(tx, {
    organizationId: subscription.organizationId,
    to: member.email,
    locale: member.locale,
    template: 'subscription-renewed',
    payload: { subscriptionId: subscription.id, periodIndex, periodStart: next.start.toISOString(), orderId: order.id },
    dedupeKey: `subscription-renewed:${subscription.id}:${periodIndex}`,
    at: now,
  });
  await scheduleBoundary(tx, subscription, periodIndex + 1, next.end);
}
