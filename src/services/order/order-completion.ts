import type { Tx } from '../../db/transaction.js';
import { packValidity } from '../../domain/credits.js';
import type { DueJob, Order } from '../../generated/prisma/client.js';
import { lockMembership } from '../access.js';
import { createEntitlement, scheduleExpiry } from '../credit/ledger.js';
import { notifyMember } from '../notifications.js';
import { emitEvent, orderEvent } from '../integration/webhook-events.js';
import { crossPeriodBoundary, liftSuspension, startSubscription } from '../credit/subscriptions.js';

// What a paid order buys, in one place that orders, registrations (a free order unlocked by a
// review) and the renewal job share: none of them needs to import another to complete an order.

/**
 * A fully paid order: the next invoice number of its organisation (taken under the
 * organisation's row lock, so numbers have no gaps and no duplicates), the receipt, and what it
 * buys: a pack's credits, or a subscription and its first period.
 */
export async function completeOrder(tx: Tx, order: Order, now: Date): Promise<Order> {
  await lockMembership(tx, order.memberId, order.organizationId, 'KEY SHARE');
  const [{ lastInvoiceNumber }] = await tx.$queryRaw<{ lastInvoiceNumber: number }[]>`
    UPDATE "Organization" SET "lastInvoiceNumber" = "lastInvoiceNumber" + 1
     WHERE "id" = ${order.organizationId}::uuid
     RETURNING "lastInvoiceNumber"` as [{ lastInvoiceNumber: number }];
  let paid = await tx.order.update({
    where: { id: order.id },
    data: { status: 'PAID', paidAt: now, invoiceNumber: lastInvoiceNumber },
  });
  const offer = order.offerId ? await tx.offer.findUniqueOrThrow({ where: { id: order.offerId } }) : null;
  // The receipt names what was bought (003 §3.4 "un email récapitulatif de ses achats").
  await notifyMember(tx, order.memberId, {
    organizationId: order.organizationId,
    template: 'order-paid',
    payload: { orderId: order.id, invoiceNumber: lastInvoiceNumber, totalCents: order.totalCents, currency: order.currency, offer: offer?.name ?? null },
    dedupeKey: `order-paid:${order.id}`,
    at: now,
  });
  await emitEvent(tx, orderEvent('order.paid', paid, now));
  // Renewal orders pay for a period whose credits were granted when it started.
  if (order.subscriptionId) await liftSuspension(tx, order, now);
  if (!offer || order.subscriptionId) return paid;
  const organization = await tx.organization.findUniqueOrThrow({ where: { id: order.organizationId }, select: { timeZone: true } });
  if (offer.kind === 'SUBSCRIPTION') {
    const subscription = await startSubscription(tx, { order, offer, timeZone: organization.timeZone }, now);
    paid = await tx.order.update({ where: { id: order.id }, data: { subscriptionId: subscription.id, periodIndex: 0 } });
    return paid;
  }
  const validity = packValidity(now, offer.validityDays ?? DEFAULT_VALIDITY_DAYS, organization.timeZone);
  const entitlement = await createEntitlement(
    tx,
    {
      organizationId: order.organizationId,
      memberId: order.memberId,
      beneficiaryId: order.beneficiaryId,
      offerId: offer.id,
      orderId: order.id,
      ...validity,
    },
    { credits: offer.credits, reason: 'GRANT', dedupeKey: `grant:order:${order.id}` },
    now,
  );
  await scheduleExpiry(tx, entitlement);
  return paid;
}

/** Validity of an offer created without one (only subscriptions may omit it; kept as a guard). */
const DEFAULT_VALIDITY_DAYS = 365;


/** The renewal job: the subscription crosses its period boundary, and a free period is paid at once. */
export async function renewSubscription(tx: Tx, job: DueJob, now: Date): Promise<void> {
  const order = await crossPeriodBoundary(tx, job, now);
  if (order && order.totalCents === 0) await completeOrder(tx, order, now);
}
