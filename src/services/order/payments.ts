import Stripe from 'stripe';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { NotFoundError, OnlinePaymentUnavailableError, RegistrationNotVerifiedError, ValidationError } from '../../domain/errors.js';
import { amountDue, PAYABLE_STATUSES } from '../../domain/orders.js';
import type { Booking, DueJob, Order, Payment } from '../../generated/prisma/client.js';
import { announceBooking, lockSessions, sessionWithRules } from '../booking/seating.js';
import type { SavedPaymentMethodType } from '../../generated/prisma/enums.js';
import { logger } from '../../logger.js';
import { getStripeClient, type StripeClient, stripeCurrency } from '../../payments/stripe.js';
import { requireOwnerOrStaff } from '../access.js';
import { enqueue } from '../../jobs/queue.js';
import { assertPayable, lockOrder, pendingOnlineCents, settlePayment } from './orders.js';

// Online payment (SPEC §7, issue 5): Stripe PaymentIntents for card and SEPA Direct Debit. Starting
// a payment only stores a PENDING part; the client's word is never enough. The signed webhook is
// the only thing that marks an online payment SUCCEEDED or FAILED, and a succeeded one settles the
// order exactly like a desk payment (`settlePayment`).

export type OnlineMethod = 'CARD' | 'SEPA_DEBIT';

const STRIPE_METHOD_TYPES: Record<OnlineMethod, 'card' | 'sepa_debit'> = { CARD: 'card', SEPA_DEBIT: 'sepa_debit' };

/**
 * The order's member (or staff) starts paying `amountCents` of it online: a PENDING payment and a
 * Stripe PaymentIntent whose client secret the front end confirms. `save` keeps the card or SEPA
 * mandate for later (off-session) charges, such as subscription renewals.
 */
export async function startOnlinePayment(
  context: Context,
  input: { orderId: string; amountCents: number; method: OnlineMethod; save?: boolean | null },
): Promise<{ order: Order; clientSecret: string }> {
  const stripe = context.stripe;
  if (!stripe) throw new OnlinePaymentUnavailableError();
  const existing = await prisma.order.findUnique({ where: { id: input.orderId } });
  if (!existing) throw new NotFoundError('entity.order', ['orderId']);
  await requireOwnerOrStaff(context, { memberId: existing.memberId, entity: 'entity.order', field: 'orderId' }, existing.organizationId);
  if (existing.status === 'AWAITING_REVIEW') throw new RegistrationNotVerifiedError();
  assertPayable(existing, input.amountCents, context.locale);

  const customer = await ensureStripeCustomer(stripe, existing.memberId).catch((error: unknown) => {
    throw asDomainError(error);
  });
  const now = context.clock.now();
  // The PENDING part is committed before Stripe is called: its id names the request (idempotency
  // key) and a webhook arriving at once finds it through the intent's metadata.
  const payment = await transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    assertPayable(order, input.amountCents, context.locale, await pendingOnlineCents(tx, order.id));
    return tx.payment.create({
      data: { orderId: order.id, method: input.method, amountCents: input.amountCents, status: 'PENDING', createdAt: now },
    });
  });

  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: input.amountCents,
        currency: stripeCurrency(existing.currency),
        customer,
        allowed_payment_method_types: [STRIPE_METHOD_TYPES[input.method]],
        metadata: { orderId: existing.id, paymentId: payment.id },
        ...(input.save ? { setup_future_usage: 'off_session' as const } : {}),
      },
      { idempotencyKey: `payment:${payment.id}` },
    );
  } catch (error) {
    await prisma.payment.updateMany({
      where: { id: payment.id, status: 'PENDING' },
      data: { status: 'FAILED', failureReason: error instanceof Error ? error.message.slice(0, 500) : 'stripe error' },
    });
    throw asDomainError(error);
  }
  await prisma.payment.updateMany({ where: { id: payment.id, stripePaymentIntentId: null }, data: { stripePaymentIntentId: intent.id } });
  if (!intent.client_secret) throw new Error(`PaymentIntent ${intent.id} has no client secret`);
  const order = await prisma.order.findUniqueOrThrow({ where: { id: existing.id } });
  return { order, clientSecret: intent.client_secret };
}

/** The member's Stripe customer, created once (the idempotency key covers two first payments at once). */
async function ensureStripeCustomer(stripe: StripeClient, memberId: string): Promise<string> {
  const member = await prisma.member.findUniqueOrThrow({
    where: { id: memberId },
    select: { email: true, firstName: true, lastName: true, stripeCustomerId: true },
  });
  if (member.stripeCustomerId) return member.stripeCustomerId;
  const customer = await stripe.customers.create(
    { email: member.email, name: `${member.firstName} ${member.lastName}`.trim(), metadata: { memberId } },
    { idempotencyKey: `customer:${memberId}` },
  );
  await prisma.member.updateMany({ where: { id: memberId, stripeCustomerId: null }, data: { stripeCustomerId: customer.id } });
  const stored = await prisma.member.findUniqueOrThrow({ where: { id: memberId }, select: { stripeCustomerId: true } });
  return stored.stripeCustomerId ?? customer.id;
}

// ─── Webhook ──────────────────────────────────────────────────────────────────────────────────

export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored';

interface SavedMethodDetails {
  stripePaymentMethodId: string;
  type: SavedPaymentMethodType;
  brand: string | null;
  last4: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Applies one verified Stripe event, exactly once: the event's id is inserted into `StripeEvent`
 * in the same transaction as its effects, so a replay (even a concurrent one, which waits on the
 * primary key) does nothing, and a failure leaves nothing half-written for Stripe's retry.
 */
export async function processStripeEvent(stripe: StripeClient, event: Stripe.Event, now: Date): Promise<WebhookOutcome> {
  if (!event.type.startsWith('payment_intent.')) return 'ignored';
  const intent = event.data.object as Stripe.PaymentIntent;
  // Card details of a method to keep are read from Stripe before the transaction (no call inside it).
  const saved = event.type === 'payment_intent.succeeded' && intent.setup_future_usage ? await savedMethodDetails(stripe, intent) : null;

  return transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO "StripeEvent" ("id", "type", "payload", "receivedAt")
      VALUES (${event.id}, ${event.type}, ${JSON.stringify(event)}::jsonb, ${now})
      ON CONFLICT ("id") DO NOTHING`;
    if (inserted === 0) return 'duplicate';
    const outcome = await applyIntentEvent(tx, event.type, intent, saved, now);
    await tx.stripeEvent.update({ where: { id: event.id }, data: { processedAt: now } });
    return outcome;
  });
}

async function applyIntentEvent(
  tx: Tx,
  type: string,
  intent: Stripe.PaymentIntent,
  saved: SavedMethodDetails | null,
  now: Date,
): Promise<WebhookOutcome> {
  let found = await tx.payment.findUnique({ where: { stripePaymentIntentId: intent.id } });
  const metadataPaymentId = intent.metadata?.paymentId;
  if (!found && metadataPaymentId && UUID.test(metadataPaymentId)) {
    found = await tx.payment.findUnique({ where: { id: metadataPaymentId } });
    if (found?.stripePaymentIntentId && found.stripePaymentIntentId !== intent.id) found = null;
  }
  if (!found) {
    logger.warn({ paymentIntentId: intent.id, type }, 'Stripe event for an unknown PaymentIntent; acknowledged and ignored');
    return 'ignored';
  }
  // Lock order: a session's order locks its session first (as booking, cancelling and a hold's
  // expiry do), then the order, then its payment (as every payment path does).
  const target = await tx.order.findUnique({ where: { id: found.orderId }, select: { sessionId: true } });
  if (target?.sessionId) await lockSessions(tx, [target.sessionId]);
  const order = await lockOrder(tx, found.orderId);
  const [payment] = await tx.$queryRaw<Payment[]>`SELECT * FROM "Payment" WHERE "id" = ${found.id}::uuid FOR UPDATE`;
  if (!payment) return 'ignored';

  switch (type) {
    case 'payment_intent.succeeded': {
      if (payment.status === 'SUCCEEDED') return 'processed';
      const received = intent.amount_received || intent.amount;
      if (received !== payment.amountCents) {
        logger.error({ paymentId: payment.id, paymentIntentId: intent.id, received, expected: payment.amountCents }, 'PaymentIntent amount differs from the payment');
      }
      await tx.payment.update({
        where: { id: payment.id },
        data: { status: 'SUCCEEDED', succeededAt: now, stripePaymentIntentId: intent.id, failureReason: null },
      });
      let settled: Order = order;
      if (PAYABLE_STATUSES.includes(order.status) && payment.amountCents <= amountDue(order)) {
        settled = await settlePayment(tx, order, payment.amountCents, now);
      } else {
        // Not needed any more (a retried card on a cancelled order, say): the money was taken and
        // goes back, by a due job (it calls Stripe), never counted toward the order.
        logger.warn({ paymentId: payment.id, orderId: order.id, status: order.status }, 'online payment not needed by its order: refunding it');
        await enqueue(tx, {
          kind: 'EXCESS_REFUND',
          runAt: now,
          organizationId: order.organizationId,
          dedupeKey: `excess-refund:${payment.id}`,
          payload: { paymentId: payment.id },
        });
      }
      if (settled.status === 'PAID' && settled.sessionId) await confirmPaidHold(tx, settled, now);
      if (saved) await keepPaymentMethod(tx, settled, saved, now);
      return 'processed';
    }
    case 'payment_intent.payment_failed': {
      // A failure reported after the success (out of order) changes nothing.
      if (payment.status !== 'PENDING') return 'processed';
      const error = intent.last_payment_error;
      await tx.payment.update({
        where: { id: payment.id },
        data: {
          status: 'FAILED',
          stripePaymentIntentId: intent.id,
          failureReason: (error?.message ?? error?.decline_code ?? error?.code ?? 'payment failed').slice(0, 500),
        },
      });
      return 'processed';
    }
    case 'payment_intent.canceled': {
      if (payment.status === 'PENDING') await tx.payment.update({ where: { id: payment.id }, data: { status: 'CANCELLED' } });
      return 'processed';
    }
    default:
      // `processing` (SEPA waiting for the bank) and the rest: the payment stays PENDING.
      return 'processed';
  }
}

/** A session paid online is paid: its held booking is CONFIRMED, in the webhook's transaction. */
async function confirmPaidHold(tx: Tx, order: Order, now: Date): Promise<void> {
  const [booking] = await tx.$queryRaw<Booking[]>`
    SELECT * FROM "Booking" WHERE "orderId" = ${order.id}::uuid AND "status" = 'PENDING_PAYMENT' FOR UPDATE`;
  if (!booking) return;
  const confirmed = await tx.booking.update({ where: { id: booking.id }, data: { status: 'CONFIRMED', paymentHoldUntil: null } });
  const session = await tx.session.findUniqueOrThrow({ where: { id: booking.sessionId }, include: sessionWithRules });
  const beneficiary = await tx.beneficiary.findUniqueOrThrow({ where: { id: booking.beneficiaryId }, select: { firstName: true } });
  await announceBooking(tx, confirmed, beneficiary.firstName, session, now);
}

async function savedMethodDetails(stripe: StripeClient, intent: Stripe.PaymentIntent): Promise<SavedMethodDetails | null> {
  const reference = intent.payment_method;
  if (!reference) return null;
  const method = typeof reference === 'string' ? await stripe.paymentMethods.retrieve(reference) : reference;
  if (method.type === 'card') {
    return { stripePaymentMethodId: method.id, type: 'CARD', brand: method.card?.brand ?? null, last4: method.card?.last4 ?? null };
  }
  if (method.type === 'sepa_debit') {
    return { stripePaymentMethodId: method.id, type: 'SEPA_DEBIT', brand: null, last4: method.sepa_debit?.last4 ?? null };
  }
  return null;
}

/** Keeps a card or SEPA mandate for the member; a subscription paid with it renews with it. */
async function keepPaymentMethod(tx: Tx, order: Order, details: SavedMethodDetails, now: Date): Promise<void> {
  await tx.savedPaymentMethod.createMany({ data: [{ memberId: order.memberId, ...details, createdAt: now }], skipDuplicates: true });
  const method = await tx.savedPaymentMethod.findUniqueOrThrow({ where: { stripePaymentMethodId: details.stripePaymentMethodId } });
  if (method.memberId !== order.memberId) return;
  if (order.subscriptionId) await tx.subscription.update({ where: { id: order.subscriptionId }, data: { paymentMethodId: method.id } });
}

// ─── Refunds ──────────────────────────────────────────────────────────────────────────────────

/**
 * Refunds `amountCents` of a succeeded online payment through Stripe and records the refund. The
 * idempotency key names the payment and amount, so a retried withdrawal refunds once. The caller
 * (withdrawal) updates the order itself.
 */
export async function refundOnlinePayment(paymentId: string, amountCents: number): Promise<{ stripeRefundId: string }> {
  const stripe = getStripeClient();
  if (!stripe) throw new OnlinePaymentUnavailableError();
  const payment = await prisma.payment.findUnique({ where: { id: paymentId } });
  if (!payment) throw new Error(`payment ${paymentId} not found`);
  if (payment.status !== 'SUCCEEDED' || !payment.stripePaymentIntentId) {
    throw new Error(`payment ${paymentId} is not a succeeded online payment`);
  }
  // Reserved first, under the payment's row lock: two refunds of one payment (a withdrawal and an
  // excess refund, say) can never together exceed it. The same refund asked again answers the
  // refund already made.
  const reserved = await transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<Payment[]>`SELECT * FROM "Payment" WHERE "id" = ${paymentId}::uuid FOR UPDATE`;
    // Staff refunds (refundOrder) are their own requests, with their own keys: never this one.
    const done = await tx.refund.findFirst({ where: { paymentId, amountCents, status: { not: 'FAILED' }, refundedById: null, creditNoteId: null } });
    if (done) return { done };
    if (!Number.isInteger(amountCents) || amountCents <= 0 || amountCents > locked!.amountCents - locked!.refundedCents) {
      throw new ValidationError([{ field: ['amountCents'], messageKey: 'validation.positive' }]);
    }
    await tx.payment.update({ where: { id: paymentId }, data: { refundedCents: { increment: amountCents } } });
    return { created: await tx.refund.create({ data: { paymentId, amountCents, status: 'PENDING' } }) };
  });
  if (reserved.done) {
    if (!reserved.done.stripeRefundId) throw new Error(`a refund of payment ${paymentId} is already under way`);
    return { stripeRefundId: reserved.done.stripeRefundId };
  }
  const row = reserved.created!;
  let refund: Stripe.Refund;
  try {
    refund = await stripe.refunds.create(
      { payment_intent: payment.stripePaymentIntentId, amount: amountCents, metadata: { paymentId } },
      { idempotencyKey: `refund:${paymentId}:${amountCents}` },
    );
  } catch (error) {
    // Not refunded: the reservation is given back and the FAILED row tells staff.
    await transaction(async (tx) => {
      await tx.refund.update({ where: { id: row.id }, data: { status: 'FAILED', reason: error instanceof Error ? error.message.slice(0, 500) : 'stripe error' } });
      await tx.payment.update({ where: { id: paymentId }, data: { refundedCents: { decrement: amountCents } } });
    });
    throw error;
  }
  const status = refund.status === 'succeeded' ? 'SUCCEEDED' : refund.status === 'failed' || refund.status === 'canceled' ? 'FAILED' : 'PENDING';
  await prisma.refund.update({ where: { id: row.id }, data: { status, stripeRefundId: refund.id, reason: refund.reason ?? null } });
  return { stripeRefundId: refund.id };
}

/**
 * Sends to Stripe a refund already decided and reserved in the database (a PENDING Refund row,
 * counted in its payment's `refundedCents` and off its order's `paidCents`): staff refunds
 * (`refundOrder`), after their transaction commits. The refund row's id is the idempotency key.
 * If Stripe refuses, the refund is FAILED and the money it reserved is counted as paid again, so
 * staff can see it and refund it again (the credits it took back stay taken).
 */
export async function sendReservedRefund(refundId: string): Promise<void> {
  const refund = await prisma.refund.findUniqueOrThrow({ where: { id: refundId }, include: { payment: true } });
  if (refund.status !== 'PENDING' || refund.stripeRefundId || !refund.payment.stripePaymentIntentId) return;
  const stripe = getStripeClient();
  let sent: Stripe.Refund;
  try {
    if (!stripe) throw new OnlinePaymentUnavailableError();
    sent = await stripe.refunds.create(
      { payment_intent: refund.payment.stripePaymentIntentId, amount: refund.amountCents, metadata: { paymentId: refund.paymentId, refundId } },
      { idempotencyKey: `refund:${refundId}` },
    );
  } catch (error) {
    logger.error({ refundId, paymentId: refund.paymentId, err: error instanceof Error ? error.message : String(error) }, 'refund: Stripe refused it');
    await transaction(async (tx) => {
      const order = await lockOrder(tx, refund.payment.orderId);
      const failed = await tx.refund.updateMany({
        where: { id: refundId, status: 'PENDING' },
        data: { status: 'FAILED', reason: `${refund.reason ?? ''} (Stripe: ${error instanceof Error ? error.message : 'error'})`.slice(0, 500) },
      });
      if (failed.count === 0) return;
      await tx.payment.update({ where: { id: refund.paymentId }, data: { refundedCents: { decrement: refund.amountCents } } });
      await tx.order.update({
        where: { id: order.id },
        data: {
          paidCents: order.paidCents + refund.amountCents,
          ...(order.status === 'REFUNDED' ? { status: 'PAID' as const, refundedAt: null } : {}),
        },
      });
    });
    return;
  }
  const status = sent.status === 'succeeded' ? 'SUCCEEDED' : sent.status === 'failed' || sent.status === 'canceled' ? 'FAILED' : 'PENDING';
  await prisma.refund.update({ where: { id: refundId }, data: { status, stripeRefundId: sent.id } });
}

/**
 * Detaches a saved card or SEPA mandate from the member's Stripe customer. One Stripe no longer
 * knows (already detached or deleted there) counts as detached; Stripe unreachable answers
 * ONLINE_PAYMENT_UNAVAILABLE, and nothing is removed here.
 */
export async function detachAtStripe(stripe: StripeClient | null | undefined, stripePaymentMethodId: string): Promise<void> {
  if (!stripe) return;
  try {
    await stripe.paymentMethods.detach(stripePaymentMethodId, {}, { idempotencyKey: `detach:${stripePaymentMethodId}` });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      logger.warn({ stripePaymentMethodId, code: error.code }, 'payment method not attached at Stripe; removed here');
      return;
    }
    throw asDomainError(error);
  }
}

// ─── Renewal charges ──────────────────────────────────────────────────────────────────────────

/**
 * A RENEWAL_CHARGE job: charges a renewal order off-session with the subscription's saved card or
 * SEPA mandate. Only a PENDING part is stored here; the webhook settles it. A declined charge
 * leaves the order due at the desk.
 */
export async function chargeRenewal(tx: Tx, job: DueJob, now: Date): Promise<void> {
  const { orderId } = job.payload as { orderId: string };
  const stripe = getStripeClient();
  const order = await tx.order.findUnique({ where: { id: orderId }, include: { subscription: { include: { paymentMethod: true } } } });
  const method = order?.subscription?.paymentMethod;
  if (!stripe || !order || !method) return;
  const reference = `renewal:${order.id}`;
  // Decided under the order's row lock, as a member paying or cancelling meanwhile is, and
  // committed on its own before Stripe is called (the webhook may arrive before this job commits).
  // What a payment already under way will cover is not charged twice.
  const payment = await transaction(async (locking) => {
    const locked = await lockOrder(locking, order.id);
    const existing = await locking.payment.findFirst({ where: { orderId: order.id, reference } });
    if (existing) return existing;
    if (!PAYABLE_STATUSES.includes(locked.status)) return null;
    const due = amountDue(locked) - (await pendingOnlineCents(locking, order.id));
    if (due <= 0) return null;
    return locking.payment.create({
      data: { orderId: order.id, method: method.type, amountCents: due, reference, status: 'PENDING', createdAt: now },
    });
  });
  if (!payment || payment.status !== 'PENDING') return;
  const customer = await ensureStripeCustomer(stripe, order.memberId);
  try {
    const intent = await stripe.paymentIntents.create(
      {
        amount: payment.amountCents,
        currency: stripeCurrency(order.currency),
        customer,
        payment_method: method.stripePaymentMethodId,
        allowed_payment_method_types: [STRIPE_METHOD_TYPES[method.type]],
        confirm: true,
        off_session: true,
        metadata: { orderId: order.id, paymentId: payment.id },
      },
      { idempotencyKey: reference },
    );
    await prisma.payment.updateMany({ where: { id: payment.id, stripePaymentIntentId: null }, data: { stripePaymentIntentId: intent.id } });
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeCardError)) throw error;
    logger.warn({ orderId: order.id, code: error.code }, 'renewal charge declined; the order stays due at the desk');
    await prisma.payment.updateMany({
      where: { id: payment.id, status: 'PENDING' },
      data: { status: 'FAILED', failureReason: error.message.slice(0, 500), stripePaymentIntentId: error.payment_intent?.id ?? undefined },
    });
  }
}

/** EXCESS_REFUND job: an online payment its order did not need goes back in full through Stripe. */
export async function refundExcessPayment(tx: Tx, job: DueJob): Promise<void> {
  const { paymentId } = job.payload as { paymentId: string };
  const payment = await tx.payment.findUnique({ where: { id: paymentId } });
  if (!payment || payment.status !== 'SUCCEEDED') return;
  const left = payment.amountCents - payment.refundedCents;
  if (left > 0) await refundOnlinePayment(payment.id, left);
}

/**
 * Stripe's refusals as typed answers: a request Stripe rejects (an amount below its minimum, a
 * method not enabled) is the caller's input; Stripe unreachable means paying online is not
 * possible right now. Anything else stays a bug.
 */
function asDomainError(error: unknown): unknown {
  if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeCardError) {
    return new ValidationError([{ field: ['amountCents'], messageKey: 'validation.paymentRefused' }]);
  }
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError) {
    return new OnlinePaymentUnavailableError();
  }
  return error;
}
