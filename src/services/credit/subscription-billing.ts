import { DateTime } from 'luxon';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { ForbiddenError, NotFoundError, PauseLimitExceededError, ValidationError, WithdrawalNotAllowedError } from '../../domain/errors.js';
import { pauseWithinLimit, pausesOverlap, shiftedPeriod, terminationDate, withdrawalRefusal } from '../../domain/subscriptions.js';
import { addLocalMonths } from '../../domain/time.js';
import type { Order, Subscription, SubscriptionPause } from '../../generated/prisma/client.js';
import { enqueue } from '../../jobs/queue.js';
import { isStaff, requireOwnerOrStaff } from '../access.js';
import { appendEntry, lockEntitlements } from './ledger.js';
import { lockOrder } from '../order/orders.js';
import { refundOrderPayments, sendOnlineRefunds, type OnlineRefund } from '../order/refunds.js';
import { emitEvent, orderEvent, subscriptionEvent } from '../integration/webhook-events.js';

// Withdrawal, termination and pauses (SPEC §7; 003 §11, §12, §12A; 004). The rules are pure
// functions in domain/subscriptions.ts; each use case here is one transaction under the row lock
// of what it changes (lock order: order, entitlements, credit note; or the subscription alone).

/**
 * Withdrawal (003 §11, 004): within the organisation's `withdrawalDays` "jours francs" of the
 * purchase, a paid order none of whose credits was ever used for a booking is refunded in full.
 * Its credits are removed (FORFEIT "Withdrawal") and its lots REVOKED; desk payments are recorded
 * as refunded (a credit note gets its amount back); online payments are refunded through Stripe
 * after commit (a failed Stripe call leaves a FAILED Refund for staff to act on). The first order of a subscription also terminates it at once.
 */
export async function requestWithdrawal(context: Context, input: { orderId: string }): Promise<Order> {
  const existing = await prisma.order.findUnique({ where: { id: input.orderId }, select: { organizationId: true, memberId: true } });
  if (!existing) throw new NotFoundError('entity.order', ['orderId']);
  const { viewerId } = await requireOwnerOrStaff(context, { memberId: existing.memberId, entity: 'entity.order', field: 'orderId' }, existing.organizationId);
  const now = context.clock.now();
  // Online payments are refunded through Stripe once the withdrawal has committed (no network call
  // under the order's lock); `refundOnlinePayment` records each Refund.
  const online: OnlineRefund[] = [];
  const refunded = await transaction(async (tx) => {
    online.length = 0;
    const order = await lockOrder(tx, input.orderId);
    const organization = await tx.organization.findUniqueOrThrow({
      where: { id: order.organizationId },
      select: { timeZone: true, withdrawalDays: true },
    });
    // The lots the purchase granted: a pack's, or every lot of the subscription it started.
    const lots = await tx.entitlement.findMany({
      where: order.subscriptionId && order.periodIndex === 0 ? { subscriptionId: order.subscriptionId } : { orderId: order.id },
      select: { id: true },
    });
    const lotIds = lots.map((lot) => lot.id);
    // Locked before counting their bookings: a booking taking one of these credits now waits.
    const locked = await lockEntitlements(tx, lotIds);
    const bookings = await tx.booking.count({ where: { OR: [{ entitlementId: { in: lotIds } }, { orderId: order.id }] } });
    const waiting = await tx.waitlistEntry.count({ where: { entitlementId: { in: lotIds }, status: 'WAITING' } });
    const refusal = withdrawalRefusal({
      status: order.status,
      renewal: order.subscriptionId !== null && (order.periodIndex ?? 0) > 0,
      purchasedAt: order.paidAt,
      withdrawalDays: organization.withdrawalDays,
      timeZone: organization.timeZone,
      // A credit held on a waitlist is a class being reserved.
      everBooked: bookings + waiting > 0,
      now,
    });
    if (refusal) throw new WithdrawalNotAllowedError(refusal, { days: organization.withdrawalDays });

    for (const lot of locked) {
      if (lot.creditsRemaining > 0) {
        await appendEntry(tx, {
          entitlementId: lot.id,
          delta: -lot.creditsRemaining,
          reason: 'FORFEIT',
          note: 'Withdrawal',
          actorId: viewerId,
          dedupeKey: `withdrawal:${order.id}:${lot.id}`,
          createdAt: now,
        });
      }
      if (lot.status === 'ACTIVE') await tx.entitlement.update({ where: { id: lot.id }, data: { status: 'REVOKED' } });
    }

    const refund = await refundOrderPayments(tx, order, 'Withdrawal', now);
    online.push(...refund.online);
    const { refundedCents } = refund;

    if (order.subscriptionId && order.periodIndex === 0) {
      const terminated = await tx.subscription.update({
        where: { id: order.subscriptionId },
        data: { status: 'TERMINATED', terminationRequestedAt: now, endsAt: now },
      });
      await emitEvent(tx, subscriptionEvent('subscription.terminated', terminated, now));
    }
    const withdrawn = await tx.order.update({
      where: { id: order.id },
      data: { status: 'REFUNDED', refundedAt: now, paidCents: order.paidCents - refundedCents },
    });
    await emitEvent(tx, orderEvent('order.refunded', withdrawn, now));
    return withdrawn;
  });
  await sendOnlineRefunds(refunded.id, online, 'withdrawal');
  return refunded;
}

async function lockSubscription(tx: Tx, id: string): Promise<Subscription> {
  const [subscription] = await tx.$queryRaw<Subscription[]>`SELECT * FROM "Subscription" WHERE "id" = ${id}::uuid FOR UPDATE`;
  if (!subscription) throw new NotFoundError('entity.subscription', ['subscriptionId']);
  return subscription;
}

async function subscriptionAccess(context: Context, subscriptionId: string) {
  const existing = await prisma.subscription.findUnique({ where: { id: subscriptionId }, select: { organizationId: true, memberId: true } });
  if (!existing) throw new NotFoundError('entity.subscription', ['subscriptionId']);
  const access = await requireOwnerOrStaff(context, { memberId: existing.memberId, entity: 'entity.subscription', field: 'subscriptionId' }, existing.organizationId);
  return { ...existing, ...access };
}

/**
 * Termination by the member or staff, with the organisation's notice rule (003 §12 or 004): the
 * subscription ends at the first billing date that respects the notice and the commitment; the
 * periods until then are renewed and due as usual, and the boundary at `endsAt` expires its
 * credits and marks it TERMINATED. Asking again keeps the date already set.
 */
export async function terminateSubscription(context: Context, input: { subscriptionId: string }): Promise<Subscription> {
  await subscriptionAccess(context, input.subscriptionId);
  const now = context.clock.now();
  return transaction((tx) => requestTermination(tx, input.subscriptionId, now));
}

/**
 * The termination rule itself, in the caller's transaction (under the subscription's row lock):
 * shared by `terminateSubscription` and the erasure of an account (personal-data.ts).
 */
export async function requestTermination(tx: Tx, subscriptionId: string, now: Date): Promise<Subscription> {
  const subscription = await lockSubscription(tx, subscriptionId);
  if (subscription.status === 'TERMINATED' || subscription.endsAt) return subscription;
  // One connection per transaction: its queries run one after another.
  const offer = await tx.offer.findUniqueOrThrow({ where: { id: subscription.offerId }, select: { period: true } });
  const organization = await tx.organization.findUniqueOrThrow({
    where: { id: subscription.organizationId },
    select: { timeZone: true, terminationNoticeRule: true, terminationNoticeDays: true },
  });
  const endsAt = terminationDate({
    rule: organization.terminationNoticeRule,
    noticeDays: organization.terminationNoticeDays,
    requestedAt: now,
    currentPeriodIndex: subscription.currentPeriodIndex,
    // The next billing date is the stored one (a running pause may have moved it).
    billingDate: (index) =>
      index === subscription.currentPeriodIndex + 1
        ? subscription.currentPeriodEnd
        : shiftedPeriod(subscription.startedAt, subscription.pauseShiftMonths, index, offer.period ?? 'MONTH', organization.timeZone).start,
    commitmentEndsAt: subscription.commitmentEndsAt,
    timeZone: organization.timeZone,
  });
  return tx.subscription.update({ where: { id: subscription.id }, data: { terminationRequestedAt: now, endsAt } });
}

/** The most months one pause may ask for (a medical one included). */
export const MAX_PAUSE_MONTHS = 24;

/**
 * A pause (003 §12A), asked before it starts (from the next local day on, never retroactive), for
 * whole months. Non-medical pauses total at most `maxPauseMonthsPerYear` months per calendar year
 * (PAUSE_LIMIT_EXCEEDED otherwise: a longer stop means terminating and subscribing again, 12A.4);
 * only staff may grant a medical pause (on a certificate), which has no yearly limit. At its start
 * the billing dates move by its length and the running period's credits stay valid through it.
 */
export async function pauseSubscription(
  context: Context,
  input: { subscriptionId: string; startsOn: Date; months: number; medical?: boolean | null; acceptTermination?: boolean | null },
): Promise<{ subscription: Subscription; pause: SubscriptionPause | null }> {
  const access = await subscriptionAccess(context, input.subscriptionId);
  const medical = input.medical === true;
  const staff = medical || access.onBehalf ? await isStaff(access.viewerId, access.organizationId) : false;
  if (medical && !staff) throw new ForbiddenError('error.forbidden.staffOnly');
  if (!Number.isInteger(input.months) || input.months < 1 || input.months > MAX_PAUSE_MONTHS) {
    throw new ValidationError([{ field: ['months'], messageKey: 'validation.pauseMonths', params: { max: MAX_PAUSE_MONTHS } }]);
  }
  const now = context.clock.now();
  return transaction(async (tx) => {
    const subscription = await lockSubscription(tx, input.subscriptionId);
    const organization = await tx.organization.findUniqueOrThrow({
      where: { id: subscription.organizationId },
      select: { timeZone: true, maxPauseMonthsPerYear: true },
    });
    const zone = organization.timeZone;
    const startsAt = DateTime.fromObject(
      { year: input.startsOn.getUTCFullYear(), month: input.startsOn.getUTCMonth() + 1, day: input.startsOn.getUTCDate() },
      { zone },
    ).toJSDate();
    if (startsAt.getTime() <= now.getTime()) throw new ValidationError([{ field: ['startsOn'], messageKey: 'validation.pauseNotInFuture' }]);
    if (subscription.status === 'TERMINATED' || subscription.endsAt) {
      throw new ValidationError([{ field: ['subscriptionId'], messageKey: 'validation.subscriptionEnding' }]);
    }
    const endsAt = addLocalMonths(startsAt, input.months, zone);
    const requested = { startsAt, endsAt, medical };
    const existing = await tx.subscriptionPause.findMany({ where: { subscriptionId: subscription.id } });
    if (existing.some((pause) => pausesOverlap(pause, requested))) {
      throw new ValidationError([{ field: ['startsOn'], messageKey: 'validation.pauseOverlaps' }]);
    }
    if (!pauseWithinLimit(requested, existing, organization.maxPauseMonthsPerYear, zone)) {
      if (!input.acceptTermination) throw new PauseLimitExceededError({ max: organization.maxPauseMonthsPerYear });
      // 12A.4: a longer non-medical pause is a termination. The member said so: the subscription
      // ends at the first billing date on or after the pause's start (every period started is
      // due), and a new subscription is taken at the then-current price when they come back.
      const offer = await tx.offer.findUniqueOrThrow({ where: { id: subscription.offerId }, select: { period: true } });
      let index = subscription.currentPeriodIndex + 1;
      let boundary = subscription.currentPeriodEnd;
      while (boundary.getTime() < startsAt.getTime()) {
        index += 1;
        boundary = shiftedPeriod(subscription.startedAt, subscription.pauseShiftMonths, index - 1, offer.period ?? 'MONTH', zone).end;
      }
      const ending = await tx.subscription.update({ where: { id: subscription.id }, data: { terminationRequestedAt: now, endsAt: boundary } });
      return { subscription: ending, pause: null };
    }
    const pause = await tx.subscriptionPause.create({
      data: {
        subscriptionId: subscription.id,
        startsAt,
        endsAt,
        medical,
        // Staff who granted it (a medical pause, or one set on the member's behalf).
        approvedById: staff ? access.viewerId : null,
        createdAt: now,
      },
    });
    await enqueue(tx, {
      kind: 'PAUSE_START',
      runAt: startsAt,
      organizationId: subscription.organizationId,
      dedupeKey: `pause-start:${pause.id}`,
      payload: { subscriptionId: subscription.id, pauseId: pause.id },
    });
    return { subscription, pause };
  });
}
