import type { Tx } from '../../db/transaction.js';
import { rollover, subscriptionAnchor, subscriptionPeriod } from '../../domain/credits.js';
import { shiftedPeriod } from '../../domain/subscriptions.js';
import { addLocalDays, addLocalMonths } from '../../domain/time.js';
import type { DueJob, Entitlement, Offer, Order, Subscription } from '../../generated/prisma/client.js';
import { enqueue } from '../../jobs/queue.js';
import { getStripeClient } from '../../payments/stripe.js';
import { appendEntry, createEntitlement } from './ledger.js';
import { notifyMember } from '../notifications.js';
import { emitEvent, subscriptionEvent } from '../integration/webhook-events.js';

// Subscriptions over time (SPEC §4, §7; 003 §9.2, §12; 004). Each period is an entitlement with the
// period's allowance. At each boundary one job, per subscription, does everything the boundary
// means, in one transaction: the ending period's unused credits roll over (into a lot of their
// own, valid through the next period) or expire, the next period's order is created, and its
// credits are granted.

interface OfferForPeriods extends Pick<Offer, 'id' | 'credits' | 'period' | 'priceCents' | 'currency' | 'commitmentPeriods'> {}

function periodOf(subscription: Pick<Subscription, 'startedAt' | 'pauseShiftMonths'>, offer: OfferForPeriods, index: number, timeZone: string) {
  // Pauses move the billing dates by whole months (003 §12A.3).
  return shiftedPeriod(subscription.startedAt, subscription.pauseShiftMonths, index, offer.period ?? 'MONTH', timeZone);
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
 * subscription row is locked and a boundary already crossed is a no-op. Returns the new period's order,
 * for `renewSubscription` to complete when it is free.
 */
export async function crossPeriodBoundary(tx: Tx, job: DueJob, now: Date): Promise<Order | undefined> {
  const { subscriptionId, periodIndex } = job.payload as { subscriptionId: string; periodIndex: number };
  const [subscription] = await tx.$queryRaw<Subscription[]>`
    SELECT * FROM "Subscription" WHERE "id" = ${subscriptionId}::uuid FOR UPDATE`;
  if (!subscription || subscription.currentPeriodIndex >= periodIndex) return;
  // One connection per transaction: its queries run one after another.
  const offer = await tx.offer.findUniqueOrThrow({ where: { id: subscription.offerId } });
  const organization = await tx.organization.findUniqueOrThrow({
    where: { id: subscription.organizationId },
    select: { timeZone: true, paymentGraceDays: true },
  });
  // A pause moved this boundary later (a job of its own runs then); a pause starting right at it
  // moves it now, before the next period (and its order) can begin.
  const next = periodOf(subscription, offer, periodIndex, organization.timeZone);
  if (next.start.getTime() > now.getTime()) return;
  if (await applyDuePauses(tx, subscription, offer, organization.timeZone, next.start, now)) return;
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
    const terminated = await tx.subscription.update({ where: { id: subscription.id }, data: { status: 'TERMINATED' } });
    await emitEvent(tx, subscriptionEvent('subscription.terminated', terminated, now));
    return;
  }

  // The new period: its order (due at the desk until online charging exists) and its credits.
  const order = await tx.order.create({
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
  // A free period is paid as soon as it starts (`renewSubscription` completes it); a priced one is
  // charged automatically with the saved card or SEPA mandate (issue 5), else left due at the desk.
  const due = order.totalCents > 0;
  if (subscription.paymentMethodId && due && getStripeClient()) {
    await enqueue(tx, {
      kind: 'RENEWAL_CHARGE',
      runAt: now,
      organizationId: subscription.organizationId,
      dedupeKey: `renewal-charge:${order.id}`,
      payload: { orderId: order.id },
    });
  }
  // Unpaid after the grace period, booking with the subscription is suspended (SPEC §7).
  if (due) {
    await enqueue(tx, {
      kind: 'PAYMENT_GRACE_END',
      runAt: addLocalDays(next.start, organization.paymentGraceDays, organization.timeZone),
      organizationId: subscription.organizationId,
      dedupeKey: `grace:${order.id}`,
      payload: { orderId: order.id },
    });
  }
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
  const renewed = await tx.subscription.update({
    where: { id: subscription.id },
    data: { currentPeriodIndex: periodIndex, currentPeriodStart: next.start, currentPeriodEnd: next.end },
  });
  await emitEvent(
    tx,
    subscriptionEvent('subscription.renewed', renewed, now, { periodIndex, periodStart: next.start, periodEnd: next.end, orderId: order.id }),
  );
  await notifyMember(tx, subscription.memberId, {
    organizationId: subscription.organizationId,
    template: 'subscription-renewed',
    payload: { subscriptionId: subscription.id, periodIndex, periodStart: next.start.toISOString(), orderId: order.id },
    dedupeKey: `subscription-renewed:${subscription.id}:${periodIndex}`,
    at: now,
  });
  await scheduleBoundary(tx, subscription, periodIndex + 1, next.end);
  return order;
}

// ─── Pauses and the grace period (issue 5; 003 §12A, SPEC §7) ──────────────────────────────────

/**
 * Applies, to a locked subscription, the pauses that start at or before `at` and have not moved
 * its billing dates yet: the running period is stretched by the pause's months (its credits stay
 * valid through it: bookings stay possible, 003 §12A.3), the next billing date and the end of
 * the commitment move with it, and the renewal is rescheduled there. True when one was applied.
 */
export async function applyDuePauses(
  tx: Tx,
  subscription: Subscription,
  offer: Pick<Offer, 'period' | 'commitmentPeriods'>,
  timeZone: string,
  at: Date,
  now: Date,
): Promise<boolean> {
  if (subscription.status === 'TERMINATED' || subscription.endsAt) return false;
  const pauses = await tx.subscriptionPause.findMany({
    where: { subscriptionId: subscription.id, appliedAt: null, startsAt: { lte: at } },
    orderBy: { startsAt: 'asc' },
  });
  if (pauses.length === 0) return false;
  const period = offer.period ?? 'MONTH';
  let shift = subscription.pauseShiftMonths;
  for (const pause of pauses) {
    shift += monthsBetween(pause.startsAt, pause.endsAt, timeZone);
    await tx.subscriptionPause.update({ where: { id: pause.id }, data: { appliedAt: now } });
  }
  const nextIndex = subscription.currentPeriodIndex + 1;
  const newEnd = shiftedPeriod(subscription.startedAt, shift, nextIndex, period, timeZone).start;
  const commitmentMoves = subscription.commitmentEndsAt && subscription.commitmentEndsAt.getTime() > pauses[0]!.startsAt.getTime();
  await tx.subscription.update({
    where: { id: subscription.id },
    data: {
      pauseShiftMonths: shift,
      currentPeriodEnd: newEnd,
      ...(commitmentMoves ? { commitmentEndsAt: shiftedPeriod(subscription.startedAt, shift, offer.commitmentPeriods, period, timeZone).start } : {}),
    },
  });
  // The running period's lots (its own and those carried into it) end with it.
  await tx.entitlement.updateMany({
    where: { subscriptionId: subscription.id, status: 'ACTIVE', validUntil: subscription.currentPeriodEnd },
    data: { validUntil: newEnd },
  });
  // The renewal already queued for the old date finds its boundary moved and does nothing.
  await enqueue(tx, {
    kind: 'SUBSCRIPTION_RENEWAL',
    runAt: newEnd,
    organizationId: subscription.organizationId,
    dedupeKey: `renewal:${subscription.id}:${nextIndex}:shift${shift}`,
    payload: { subscriptionId: subscription.id, periodIndex: nextIndex },
  });
  return true;
}

/** Whole local months from `from` to `to` (a pause is a whole number of months). */
function monthsBetween(from: Date, to: Date, timeZone: string): number {
  let months = 0;
  while (addLocalMonths(from, months + 1, timeZone).getTime() <= to.getTime()) months += 1;
  return months;
}

/** A PAUSE_START job: at the pause's start, the billing dates move (unless a boundary already did it). */
export async function startPauseJob(tx: Tx, job: DueJob, now: Date): Promise<void> {
  const { subscriptionId } = job.payload as { subscriptionId: string };
  const [subscription] = await tx.$queryRaw<Subscription[]>`
    SELECT * FROM "Subscription" WHERE "id" = ${subscriptionId}::uuid FOR UPDATE`;
  if (!subscription) return;
  const offer = await tx.offer.findUniqueOrThrow({ where: { id: subscription.offerId } });
  const organization = await tx.organization.findUniqueOrThrow({ where: { id: subscription.organizationId }, select: { timeZone: true } });
  await applyDuePauses(tx, subscription, offer, organization.timeZone, now, now);
}

/**
 * A PAYMENT_GRACE_END job (SPEC §7): a renewal order still unpaid after the organisation's grace
 * period suspends booking with its subscription, and the member is told. Paying it lifts the
 * suspension (`liftSuspension`). Lock order: the order, then the subscription (as payments do).
 */
export async function endPaymentGrace(tx: Tx, job: DueJob, now: Date): Promise<void> {
  const { orderId } = job.payload as { orderId: string };
  const [order] = await tx.$queryRaw<Order[]>`SELECT * FROM "Order" WHERE "id" = ${orderId}::uuid FOR UPDATE`;
  if (!order?.subscriptionId || !['PENDING', 'PARTIALLY_PAID'].includes(order.status)) return;
  const suspended = await tx.subscription.updateMany({
    where: { id: order.subscriptionId, status: 'ACTIVE' },
    data: { status: 'SUSPENDED' },
  });
  if (suspended.count === 0) return;
  await notifyMember(tx, order.memberId, {
    organizationId: order.organizationId,
    template: 'subscription-suspended',
    payload: { subscriptionId: order.subscriptionId, orderId: order.id, amountDueCents: order.totalCents - order.paidCents, currency: order.currency },
    dedupeKey: `subscription-suspended:${order.id}`,
    at: now,
  });
}

/**
 * A renewal order was just paid: its subscription's booking resumes, unless another of its orders
 * is still unpaid past the grace period.
 */
export async function liftSuspension(tx: Tx, order: Pick<Order, 'id' | 'subscriptionId' | 'organizationId'>, now: Date): Promise<void> {
  if (!order.subscriptionId) return;
  const organization = await tx.organization.findUniqueOrThrow({
    where: { id: order.organizationId },
    select: { timeZone: true, paymentGraceDays: true },
  });
  const overdue = await tx.order.count({
    where: {
      subscriptionId: order.subscriptionId,
      id: { not: order.id },
      status: { in: ['PENDING', 'PARTIALLY_PAID'] },
      createdAt: { lte: addLocalDays(now, -organization.paymentGraceDays, organization.timeZone) },
    },
  });
  if (overdue > 0) return;
  await tx.subscription.updateMany({ where: { id: order.subscriptionId, status: 'SUSPENDED' }, data: { status: 'ACTIVE' } });
}
