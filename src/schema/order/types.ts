import { ownedOrStaffed } from '../common/visibility.js';
import { SubscriptionRef } from '../credit/types.js';
import { amountDue } from '../../domain/orders.js';
import type { OrderStatus, PaymentMethod, PaymentStatus } from '../../generated/prisma/enums.js';
import { builder } from '../builder.js';
import { Money } from '../common/scalars.js';

export const OrderStatusEnum = builder.enumType('OrderStatus', {
  description: 'Where an order stands.',
  values: {
    AWAITING_REVIEW: { description: 'Staff must verify the registration before payment (001).' },
    PENDING: { description: 'Nothing paid yet.' },
    PARTIALLY_PAID: { description: 'Some parts paid (hybrid payment, 001); `amountDue` is what remains.' },
    PAID: { description: 'Fully paid: invoiced, and its credits granted.' },
    REFUNDED: { description: 'Refunded in full: withdrawn, a paid session cancelled in time, or refunded by staff (`refundOrder`).' },
    CANCELLED: { description: 'Cancelled before payment.' },
  } satisfies Record<OrderStatus, unknown>,
});

export const PaymentMethodEnum = builder.enumType('PaymentMethod', {
  description: 'How a part of an order was paid.',
  values: {
    CARD: { description: 'Card, online (Stripe).' },
    SEPA_DEBIT: { description: 'SEPA Direct Debit (Stripe); final once the bank accepts it.' },
    CASH: { description: 'Cash at the desk.' },
    CHEQUE: { description: 'Cheque at the desk.' },
    ANCV: { description: 'ANCV holiday vouchers (chèques-vacances).' },
    SPORT_PASS: { description: "Sport-aid pass (Pass'Sport, Carte Sortir…)." },
    CREDIT_NOTE: { description: 'A credit note ("avoir") issued by staff.' },
  } satisfies Record<PaymentMethod, unknown>,
});

export const DeskPaymentMethodEnum = builder.enumType('DeskPaymentMethod', {
  description: 'Payment methods staff record at the desk.',
  values: {
    CASH: { description: 'Cash.' },
    CHEQUE: { description: 'Cheque (reference: its number).' },
    ANCV: { description: 'ANCV holiday vouchers (reference: voucher numbers).' },
    SPORT_PASS: { description: "Pass'Sport, Carte Sortir… (reference: the pass id)." },
    CREDIT_NOTE: { description: 'A credit note ("avoir").' },
  },
});

export const PaymentStatusEnum = builder.enumType('PaymentStatus', {
  description: 'Where a payment stands.',
  values: {
    PENDING: { description: 'Waiting for confirmation (card authentication, SEPA bank acceptance).' },
    SUCCEEDED: { description: 'Counted toward the order.' },
    FAILED: { description: 'Refused.' },
    CANCELLED: { description: 'Abandoned.' },
  } satisfies Record<PaymentStatus, unknown>,
});

export const PaymentRef = builder.prismaObject('Payment', {
  description: 'One part of an order’s payment.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Identifier of the payment.' }),
    method: t.expose('method', { type: PaymentMethodEnum, description: 'How it was paid.' }),
    status: t.expose('status', { type: PaymentStatusEnum, description: 'Where it stands.' }),
    amount: t.field({
      type: Money,
      description: 'Amount of this part.',
      select: { amountCents: true, order: { select: { currency: true } } },
      resolve: (payment) => ({ amountCents: payment.amountCents, currency: payment.order.currency }),
    }),
    reference: t.exposeString('reference', { nullable: true, description: 'Desk reference (cheque number, voucher numbers…).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    succeededAt: t.expose('succeededAt', { type: 'DateTime', nullable: true, description: 'When it succeeded.' }),
  }),
});

/** Orders that take no more payments: nothing is due on them. */
const SETTLED: OrderStatus[] = ['PAID', 'REFUNDED', 'CANCELLED'];

const money = (field: 'totalCents' | 'subtotalCents' | 'discountCents' | 'paidCents', description: string) =>
  ({
    type: Money,
    description,
    select: { [field]: true, currency: true } as Record<typeof field | 'currency', true>,
    resolve: (order: Record<string, unknown>) => ({ amountCents: order[field] as number, currency: order.currency as string }),
  }) as const;

export const OrderRef = builder.prismaNode('Order', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: ownedOrStaffed,
  nullable: true,
  description: "A purchase: an offer for a beneficiary, paid in one or more parts. Visible to the member and the organization's staff.",
  authScopes: (order) => ({ self: order.memberId, staffOf: order.organizationId }),
  fields: (t) => ({
    status: t.expose('status', { type: OrderStatusEnum, description: 'Where it stands.' }),
    offer: t.relation('offer', { nullable: true, description: 'What is bought.' }),
    beneficiary: t.relation('beneficiary', { description: 'Who it is for.' }),
    subtotal: t.field(money('subtotalCents', 'Price before discount, tax included.')),
    discount: t.field(money('discountCents', 'Discount applied (promo code).')),
    total: t.field(money('totalCents', 'Total to pay, tax included.')),
    paid: t.field(money('paidCents', 'Sum of the succeeded payments, minus what was refunded of them (see `refunded`).')),
    amountDue: t.field({
      type: Money,
      description:
        'What remains to pay: `total` minus what was paid while the order takes payments; nothing once it is PAID (even when part of it was refunded since), REFUNDED or CANCELLED.',
      select: { totalCents: true, paidCents: true, currency: true, status: true },
      resolve: (order) => ({ amountCents: SETTLED.includes(order.status) ? 0 : amountDue(order), currency: order.currency }),
    }),
    payments: t.relation('payments', { description: 'Its payments, oldest first.', query: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } }),
    invoiceNumber: t.exposeInt('invoiceNumber', {
      nullable: true,
      description: 'Sequential invoice number in the organization, given when the order is fully paid (no gaps).',
    }),
    subscription: t.relation('subscription', { type: SubscriptionRef, nullable: true, description: 'The subscription this order started or renews.' }),
    periodIndex: t.exposeInt('periodIndex', { nullable: true, description: 'For a subscription: which period this order pays.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was ordered.' }),
    paidAt: t.expose('paidAt', { type: 'DateTime', nullable: true, description: 'When it became fully paid.' }),
  }),
});

export const CreditNoteRef = builder.prismaNode('CreditNote', {
  id: { field: 'id', description: 'Global ID (Relay): pass it as `creditNoteId` to spend it.' },
  findUnique: ownedOrStaffed,
  nullable: true,
  description: 'A credit note ("avoir") issued by staff: money the member can spend on orders until it expires (one year by default).',
  authScopes: (note) => ({ self: note.memberId, staffOf: note.organizationId }),
  fields: (t) => ({
    amount: t.field({
      type: Money,
      description: 'Amount issued.',
      select: { amountCents: true, organization: { select: { currency: true } } },
      resolve: (note) => ({ amountCents: note.amountCents, currency: note.organization.currency }),
    }),
    remaining: t.field({
      type: Money,
      description: 'Amount still available.',
      select: { remainingCents: true, organization: { select: { currency: true } } },
      resolve: (note) => ({ amountCents: note.remainingCents, currency: note.organization.currency }),
    }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it was issued.' }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime', description: 'When it was issued.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'It cannot be spent from this instant.' }),
  }),
});
