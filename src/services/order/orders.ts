import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, type Tx } from '../../db/transaction.js';
import {
  DiscoveryAlreadyUsedError,
  DiscoveryNewClientsOnlyError,
  NotFoundError,
  OrderNotPayableError,
  PaymentExceedsBalanceError,
  PaymentMethodNotAcceptedError,
  RegistrationNotVerifiedError,
  ValidationError,
} from '../../domain/errors.js';
import { discountCents, discoveryRefusal, PURCHASED_ORDER_STATUSES, UNMADE_BOOKING_STATUSES } from '../../domain/promotions.js';
import { DESK_PAYMENT_METHODS, deskMethodAccepted } from '../../domain/policies.js';
import { amountDue, checkPayment, formatMoney, statusAfterPayment } from '../../domain/orders.js';
import type { CreditNote, Order } from '../../generated/prisma/client.js';
import { addLocalDays } from '../../domain/time.js';
import { Issues, normalizeEmail } from '../../domain/validation.js';
import { MAX_PROMO_CODE_INPUT_LENGTH } from '../../domain/input-limits.js';
import type { PaymentMethod } from '../../generated/prisma/enums.js';
import { holdLiveMember, isMemberOf, joinOrganization, lockMembership, requireOwnerOrStaff, requireStaff } from '../access.js';
import { isUniqueViolation } from '../errors.js';
import { redeemPromoCode } from './promotions.js';
import { awaitsRegistrationReview } from '../member/registrations.js';
import { completeOrder } from './order-completion.js';

// Orders (SPEC §7). An order is paid by one or more payments of any method (hybrid payment, 001);
// when the payments cover the total it becomes PAID, gets the organisation's next invoice number,
// and is fulfilled (credits granted) in the same transaction. Online payment (issue 5) only adds a
// method: it ends in `applyPayment` like a desk payment does.

export async function purchaseOffer(
  context: Context,
  input: { offerId: string; beneficiaryId: string; promoCode?: string | null },
): Promise<Order> {
  const [offer, beneficiary] = await Promise.all([
    prisma.offer.findUnique({ where: { id: input.offerId } }),
    prisma.beneficiary.findUnique({ where: { id: input.beneficiaryId } }),
  ]);
  if (!offer) throw new NotFoundError('entity.offer', ['offerId']);
  if (!beneficiary || beneficiary.erasedAt || beneficiary.removedAt) throw new NotFoundError('entity.beneficiary', ['beneficiaryId']);
  await requireOwnerOrStaff(context, { memberId: beneficiary.memberId, entity: 'entity.beneficiary', field: 'beneficiaryId' }, offer.organizationId);
  if (!offer.active) throw new ValidationError([{ field: ['offerId'], messageKey: 'validation.offerInactive' }]);

  const promoCode = input.promoCode?.trim() || null;
  new Issues().text('promoCode', promoCode, { required: false, max: MAX_PROMO_CODE_INPUT_LENGTH }).throwIfAny();

  const now = context.clock.now();
  try {
    return await transaction(async (tx) => {
      await holdLiveMember(tx, beneficiary.memberId, { entity: 'entity.beneficiary', field: 'beneficiaryId' });
      const discovery = offer.kind === 'DISCOVERY';
      await joinOrganization(tx, beneficiary.memberId, offer.organizationId, { forUpdate: discovery });
      if (discovery) await assertNewClient(tx, beneficiary.memberId, offer.organizationId);
      // The promo code is redeemed (compare-and-swap) in this transaction: a failed purchase gives the use back.
      const promo = promoCode ? await redeemPromoCode(tx, offer.organizationId, promoCode, now) : null;
      const discount = promo ? discountCents(offer.priceCents, promo) : 0;
      const awaitingReview = await awaitsRegistrationReview(tx, offer.organizationId, beneficiary.id);
      const order = await tx.order.create({
        data: {
          organizationId: offer.organizationId,
          memberId: beneficiary.memberId,
          beneficiaryId: beneficiary.id,
          offerId: offer.id,
          currency: offer.currency,
          subtotalCents: offer.priceCents,
          discountCents: discount,
          totalCents: offer.priceCents - discount,
          promoCodeId: promo?.id ?? null,
          // Once per client, ever (003 §17): decided by assertNewClient, backed by a partial unique index on this flag.
          discovery,
          status: awaitingReview ? 'AWAITING_REVIEW' : 'PENDING',
          createdAt: now,
        },
      });
      // A free order is paid as soon as it is ordered (once its registration is verified).
      return order.totalCents === 0 && !awaitingReview ? completeOrder(tx, order, now) : order;
    });
  } catch (error) {
    if (offer.kind === 'DISCOVERY' && isUniqueViolation(error)) throw new DiscoveryAlreadyUsedError();
    throw error;
  }
}

/**
 * A discovery class is bought once per client, and only by a new one (004): no purchase (a
 * non-discovery order paid in full or in part) and no booking in the organisation. Decided under
 * the member's Membership row locked FOR UPDATE by the caller: every first purchase, booking and
 * payment takes that row KEY SHARE (joinOrganization, settlePayment, completeOrder), so none can
 * commit between this check and the discovery order, and one that committed before is seen here
 * (READ COMMITTED: each statement reads what committed before it). The partial unique index on
 * `Order.discovery` still backs "once per client".
 */
async function assertNewClient(tx: Tx, memberId: string, organizationId: string): Promise<void> {
  const where = { memberId, organizationId };
  // One after the other: a transaction's statements share one connection.
  const discoveryOrder = await tx.order.findFirst({ where: { ...where, discovery: true, status: { not: 'CANCELLED' } }, select: { id: true } });
  const purchase = await tx.order.findFirst({
    where: { ...where, discovery: false, status: { in: [...PURCHASED_ORDER_STATUSES] } },
    select: { id: true },
  });
  const booking = await tx.booking.findFirst({ where: { ...where, status: { notIn: [...UNMADE_BOOKING_STATUSES] } }, select: { id: true } });
  const refusal = discoveryRefusal({ discoveryOrdered: discoveryOrder !== null, purchased: purchase !== null, booked: booking !== null });
  if (refusal === 'ALREADY_USED') throw new DiscoveryAlreadyUsedError();
  if (refusal === 'NEW_CLIENTS_ONLY') throw new DiscoveryNewClientsOnlyError();
}

export const DESK_METHODS: readonly PaymentMethod[] = DESK_PAYMENT_METHODS;

/** Staff record a payment taken at the desk: cash, cheque, ANCV vouchers, sport pass. */
export async function recordPayment(
  context: Context,
  input: { orderId: string; method: PaymentMethod; amountCents: number; reference?: string | null; creditNoteId?: string | null },
): Promise<Order> {
  const existing = await prisma.order.findUnique({
    where: { id: input.orderId },
    select: { organizationId: true, organization: { select: { acceptedDeskPaymentMethods: true } } },
  });
  if (!existing) throw new NotFoundError('entity.order', ['orderId']);
  const staffId = await requireStaff(context, existing.organizationId);
  const reference = input.reference?.trim() || null;
  if (reference && reference.length > 200) {
    throw new ValidationError([{ field: ['reference'], messageKey: 'validation.tooLong', params: { max: 200 } }]);
  }
  if (!DESK_METHODS.includes(input.method)) throw new ValidationError([{ field: ['method'], messageKey: 'validation.deskMethod' }]);
  // The organisation's own list (issue 11): a club may take no cheques, or no sport passes.
  if (!deskMethodAccepted(existing.organization, input.method)) throw new PaymentMethodNotAcceptedError();
  const creditNote = input.method === 'CREDIT_NOTE';
  if (creditNote !== Boolean(input.creditNoteId)) {
    throw new ValidationError([{ field: ['creditNoteId'], messageKey: creditNote ? 'validation.required' : 'validation.fieldNotForKind' }]);
  }
  const now = context.clock.now();
  return transaction(async (tx) => {
    // Lock order: the order, then the credit note it is paid with.
    const order = await lockOrder(tx, input.orderId);
    if (order.status === 'AWAITING_REVIEW') throw new RegistrationNotVerifiedError();
    if (input.creditNoteId) await spendCreditNote(tx, input.creditNoteId, order, input.amountCents, now, context.locale);
    return applyPayment(
      tx,
      order,
      { method: input.method, amountCents: input.amountCents, reference, recordedById: staffId, creditNoteId: input.creditNoteId ?? null },
      now,
      context.locale,
    );
  });
}

/**
 * Takes `amountCents` from a credit note ("avoir", 003 §6.1, 004), under its row lock: it must be
 * the order's member's, of the same organisation, unexpired, and hold enough.
 */
async function spendCreditNote(
  tx: Tx,
  creditNoteId: string,
  order: Order,
  amountCents: number,
  now: Date,
  locale: 'fr' | 'en',
): Promise<void> {
  const [note] = await tx.$queryRaw<CreditNote[]>`SELECT * FROM "CreditNote" WHERE "id" = ${creditNoteId}::uuid FOR UPDATE`;
  if (!note || note.organizationId !== order.organizationId) throw new NotFoundError('entity.creditNote', ['creditNoteId']);
  if (note.memberId !== order.memberId) throw new ValidationError([{ field: ['creditNoteId'], messageKey: 'validation.creditNoteOtherMember' }]);
  if (note.expiresAt.getTime() <= now.getTime()) throw new ValidationError([{ field: ['creditNoteId'], messageKey: 'validation.creditNoteExpired' }]);
  if (Number.isInteger(amountCents) && amountCents > note.remainingCents) {
    throw new ValidationError([
      { field: ['amountCents'], messageKey: 'validation.creditNoteBalance', params: { remaining: formatMoney(note.remainingCents, order.currency, locale) } },
    ]);
  }
  if (amountCents > 0) await tx.creditNote.update({ where: { id: note.id }, data: { remainingCents: note.remainingCents - amountCents } });
}

export const MAX_CREDIT_NOTE_CENTS = 1_000_000;

/**
 * Staff issue a credit note ("avoir") to a member, found by email at the desk; it is valid for the
 * organisation's `creditNoteValidityDays` (one year by default) and is spent as a payment method.
 */
export async function issueCreditNote(
  context: Context,
  input: { organizationId: string; memberEmail: string; amountCents: number; reason: string },
): Promise<CreditNote> {
  const organization = await prisma.organization.findUnique({ where: { id: input.organizationId } });
  if (!organization) throw new NotFoundError('entity.organization', ['organizationId']);
  const staffId = await requireStaff(context, organization.id);
  const reason = input.reason.trim();
  const issues = new Issues()
    .text('reason', reason, { max: 500 })
    .when(!Number.isInteger(input.amountCents) || input.amountCents <= 0, 'amountCents', 'validation.positive')
    .when(input.amountCents > MAX_CREDIT_NOTE_CENTS, 'amountCents', 'validation.tooLarge', { max: MAX_CREDIT_NOTE_CENTS });
  issues.throwIfAny();
  // Only the organisation's own members: staff of one organisation cannot probe for accounts.
  const member = await prisma.member.findUnique({ where: { email: normalizeEmail(input.memberEmail) } });
  if (!member || member.erasedAt || !(await isMemberOf(member.id, organization.id))) {
    throw new NotFoundError('entity.member', ['memberEmail']);
  }
  const now = context.clock.now();
  return prisma.creditNote.create({
    data: {
      organizationId: organization.id,
      memberId: member.id,
      amountCents: input.amountCents,
      remainingCents: input.amountCents,
      reason,
      issuedById: staffId,
      issuedAt: now,
      expiresAt: addLocalDays(now, organization.creditNoteValidityDays, organization.timeZone),
    },
  });
}

/** What the order's online payments still waiting for Stripe will cover. */
export async function pendingOnlineCents(tx: Tx, orderId: string): Promise<number> {
  const pending = await tx.payment.aggregate({ where: { orderId, status: 'PENDING' }, _sum: { amountCents: true } });
  return pending._sum.amountCents ?? 0;
}

export async function lockOrder(tx: Tx, id: string): Promise<Order> {
  const [order] = await tx.$queryRaw<Order[]>`SELECT * FROM "Order" WHERE "id" = ${id}::uuid FOR UPDATE`;
  if (!order) throw new NotFoundError('entity.order', ['orderId']);
  return order;
}

/**
 * Throws the business error when a payment of `amountCents` cannot be taken on `order` now (not
 * payable, not positive, more than is due). Online payments check this before asking Stripe.
 */
/**
 * Whether a payment of `amountCents` may be taken now. `reservedCents` is what online payments
 * still waiting for Stripe (a card being confirmed, a SEPA debit at the bank) will cover: the
 * same euro is never collected twice.
 */
export function assertPayable(order: Order, amountCents: number, locale: 'fr' | 'en', reservedCents = 0): void {
  const reserved = { ...order, paidCents: order.paidCents + reservedCents };
  const check = checkPayment(reserved, amountCents);
  if (check.ok) return;
  if (check.reason === 'NOT_PAYABLE') throw new OrderNotPayableError();
  if (check.reason === 'EXCEEDS_BALANCE') throw new PaymentExceedsBalanceError({ due: formatMoney(amountDue(reserved), order.currency, locale) });
  throw new ValidationError([{ field: ['amountCents'], messageKey: 'validation.positive' }]);
}

/**
 * Adds a succeeded payment to a locked order: checks it fits what is due, records it, and settles
 * the order (see `settlePayment`).
 */
export async function applyPayment(
  tx: Tx,
  order: Order,
  payment: {
    method: PaymentMethod;
    amountCents: number;
    reference: string | null;
    recordedById: string | null;
    creditNoteId?: string | null;
  },
  now: Date,
  locale: 'fr' | 'en',
): Promise<Order> {
  assertPayable(order, payment.amountCents, locale, await pendingOnlineCents(tx, order.id));
  await tx.payment.create({
    data: { orderId: order.id, ...payment, status: 'SUCCEEDED', succeededAt: now, createdAt: now },
  });
  return settlePayment(tx, order, payment.amountCents, now);
}

/**
 * Counts `amountCents` of a payment that has just succeeded (desk or online) toward a locked
 * order: moves it to PARTIALLY_PAID or PAID, and completes it when paid. The one place both paths
 * share, so a card payment settles exactly like a desk payment.
 */
export async function settlePayment(tx: Tx, order: Order, amountCents: number, now: Date): Promise<Order> {
  // A first payment makes the member a client: a discovery purchase deciding that waits (assertNewClient).
  await lockMembership(tx, order.memberId, order.organizationId, 'KEY SHARE');
  const paidCents = order.paidCents + amountCents;
  const status = statusAfterPayment({ totalCents: order.totalCents, paidCents });
  const updated = await tx.order.update({ where: { id: order.id }, data: { paidCents, status } });
  return status === 'PAID' ? completeOrder(tx, updated, now) : updated;
}

/**
 * The member (or staff) drops an order nothing was paid on: CANCELLED, its promo code use given
 * back (a discovery class can then be bought again). An order with a payment under way online, or
 * any part paid, cannot be cancelled: a paid order is withdrawn (`requestWithdrawal`) instead.
 */
export async function cancelOrder(context: Context, input: { orderId: string }): Promise<Order> {
  const existing = await prisma.order.findUnique({ where: { id: input.orderId } });
  if (!existing) throw new NotFoundError('entity.order', ['orderId']);
  await requireOwnerOrStaff(context, { memberId: existing.memberId, entity: 'entity.order', field: 'orderId' }, existing.organizationId);
  const now = context.clock.now();
  return transaction(async (tx) => {
    const order = await lockOrder(tx, existing.id);
    const inFlight = await tx.payment.count({ where: { orderId: order.id, status: { in: ['PENDING', 'SUCCEEDED'] } } });
    // A renewal's period has started and its credits were granted: it is due (003 §12).
    const renewal = order.subscriptionId !== null && (order.periodIndex ?? 0) > 0;
    if (!['AWAITING_REVIEW', 'PENDING'].includes(order.status) || order.paidCents > 0 || inFlight > 0 || renewal) {
      throw new ValidationError([{ field: ['orderId'], messageKey: 'validation.orderNotCancellable' }]);
    }
    if (order.promoCodeId) {
      await tx.$executeRaw`
        UPDATE "PromoCode" SET "redemptionCount" = "redemptionCount" - 1
         WHERE "id" = ${order.promoCodeId}::uuid AND "redemptionCount" > 0`;
    }
    return tx.order.update({ where: { id: order.id }, data: { status: 'CANCELLED', cancelledAt: now } });
  });
}
