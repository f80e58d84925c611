import {
  OnlinePaymentUnavailableError,
  OrderNotRefundableError,
  RefundCreditNoteOnlyError,
  RefundExceedsRefundableError,
} from '../../domain/errors.js';
import { MAX_REFUND_CENTS } from '../../domain/input-limits.js';
import type { RefundAs } from '../../domain/refunds.js';
import type { RefundStatus } from '../../generated/prisma/enums.js';
import { refundOrder } from '../../services/order/order-refunds.js';
import { builder } from '../builder.js';
import { bounds } from '../common/input-bounds.js';
import { ErrorInterface } from '../common/errors.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { Money } from '../common/scalars.js';
import { CreditNoteRef, OrderRef, PaymentMethodEnum } from './types.js';

// Staff corrections (SPEC §11, issue 12): refunding part or all of a paid order, to the methods
// that paid it or as a credit note; what an order shows of its refunds.

/** Stripe round trips: aliasing many refunds in one request is bounded by the complexity limit. */
const REFUND_COST = 50;

const RefundAsEnum = builder.enumType('RefundAs', {
  description: 'How a refund is given back.',
  values: {
    ORIGINAL_METHOD: {
      description:
        'To the methods that paid the order, the latest payment first: card and SEPA through Stripe; desk payments (cash, cheque, vouchers) recorded as given back at the desk; a credit note gets the amount back.',
    },
    CREDIT_NOTE: { description: 'As a new credit note ("avoir") of the member, valid for the organization’s credit-note validity (one year by default).' },
  } satisfies Record<RefundAs, unknown>,
});

const RefundStatusEnum = builder.enumType('RefundStatus', {
  description: 'Where a refund stands.',
  values: {
    PENDING: { description: 'Sent to Stripe, not confirmed yet.' },
    SUCCEEDED: { description: 'Given back (at once for desk payments and credit notes).' },
    FAILED: { description: 'Stripe refused it: the amount counts as paid again and can be refunded again.' },
  } satisfies Record<RefundStatus, unknown>,
});

const RefundRef = builder.prismaObject('Refund', {
  description: 'Money given back on one payment of an order (a withdrawal, a cancelled paid session, or a staff refund).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Identifier of the refund.' }),
    amount: t.field({
      type: Money,
      description: 'Amount given back.',
      select: { amountCents: true, payment: { select: { order: { select: { currency: true } } } } },
      resolve: (refund) => ({ amountCents: refund.amountCents, currency: refund.payment.order.currency }),
    }),
    paymentMethod: t.field({
      type: PaymentMethodEnum,
      description: 'How the refunded payment was made.',
      select: { payment: { select: { method: true } } },
      resolve: (refund) => refund.payment.method,
    }),
    as: t.field({
      type: RefundAsEnum,
      description: 'Given back to the payment’s method, or as a credit note.',
      select: { creditNoteId: true },
      resolve: (refund) => (refund.creditNoteId ? 'CREDIT_NOTE' : 'ORIGINAL_METHOD'),
    }),
    creditNote: t.relation('creditNote', { type: CreditNoteRef, nullable: true, description: 'The credit note it was given as, if any.' }),
    status: t.expose('status', { type: RefundStatusEnum, description: 'Where it stands.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why (the staff’s reason, "Withdrawal"…).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was decided.' }),
  }),
});

builder.prismaObjectFields(OrderRef, (t) => ({
  refunds: t.field({
    type: [RefundRef],
    description: 'Money given back on this order’s payments, oldest first.',
    select: (_args, _context, nestedSelection) => ({
      payments: { select: { refunds: nestedSelection(true) } },
    }),
    resolve: (order) =>
      order.payments.flatMap((payment) => payment.refunds).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)),
  }),
  refunded: t.field({
    type: Money,
    description: 'Sum of the refunds not FAILED: what was given back, to its methods or as credit notes.',
    select: { currency: true, payments: { select: { refunds: { where: { status: { not: 'FAILED' } }, select: { amountCents: true } } } } },
    resolve: (order) => ({
      amountCents: order.payments.reduce((sum, payment) => sum + payment.refunds.reduce((s, refund) => s + refund.amountCents, 0), 0),
      currency: order.currency,
    }),
  }),
}));

builder.objectType(RefundExceedsRefundableError, {
  name: 'RefundExceedsRefundableError',
  description: 'More than can be refunded now: see `refundable`.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RefundExceedsRefundableError,
  fields: (t) => ({
    refundable: t.field({
      type: Money,
      description: 'The most that can be refunded now: what was paid minus what was refunded, and only what the unused credits are worth.',
      resolve: (error) => ({ amountCents: error.refundableCents, currency: error.currency }),
    }),
  }),
});
builder.objectType(OrderNotRefundableError, {
  name: 'OrderNotRefundableError',
  description: 'The order is not paid, or already refunded in full.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof OrderNotRefundableError,
});
builder.objectType(RefundCreditNoteOnlyError, {
  name: 'RefundCreditNoteOnlyError',
  description: 'A promotional purchase is compensated only by a credit note (004).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RefundCreditNoteOnlyError,
});

defineMutation('refundOrder', {
  description:
    'Staff refund part or all of a PAID order (a price shown in error, a goodwill gesture…), to the methods that paid it or as a credit note. The credits it bought are taken back in proportion (what was refunded in all ÷ the price × the credits granted, rounded up), from the unused ones: when credits were used, only what the unused ones are worth can be refunded (REFUND_EXCEEDS_REFUNDABLE with `refundable`). Never more than was paid minus what was already refunded, whatever runs at the same time (another refund, a withdrawal). A promotional purchase (with a promo code) is refunded only as a credit note (004: REFUND_CREDIT_NOTE_ONLY). Refunded in full, the order becomes REFUNDED. The member is emailed.',
  authScopes: { loggedIn: true },
  complexity: REFUND_COST,
  input: (t) => ({
    orderId: t.id({ required: true, description: 'The order (PAID).' }),
    amountCents: t.int({ required: true, description: `Amount in cents, positive, at most what can be refunded (and ${MAX_REFUND_CENTS}).` }),
    as: t.field({ type: RefundAsEnum, required: true, description: 'To the methods that paid it, or as a credit note.' }),
    reason: t.string({ required: true, description: 'Why (500 characters at most); shown to the member.', ...bounds({ multiline: true }) }),
  }),
  errors: [OrderNotRefundableError, RefundExceedsRefundableError, RefundCreditNoteOnlyError, OnlinePaymentUnavailableError],
  resolve: async (input, context) => ({
    order: await refundOrder(context, {
      orderId: decodeId(input.orderId, 'Order', 'orderId'),
      amountCents: input.amountCents,
      as: input.as,
      reason: input.reason,
    }),
  }),
  success: {
    description: 'The refund is made (online parts sent to Stripe).',
    fields: (t) => ({
      order: t.field({ type: OrderRef, description: 'The order, with its `refunds`; REFUNDED when refunded in full.', resolve: (r) => r.order }),
    }),
  },
});
