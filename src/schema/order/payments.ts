import { ownerOnly } from '../member/types.js';
import { ownPaymentMethod } from '../common/visibility.js';
import {
  OnlinePaymentUnavailableError,
  OrderNotPayableError,
  PaymentExceedsBalanceError,
  RegistrationNotVerifiedError,
} from '../../domain/errors.js';
import type { SavedPaymentMethodType } from '../../generated/prisma/enums.js';
import { startOnlinePayment } from '../../services/order/payments.js';
import { removePaymentMethod } from '../../services/order/payment-methods.js';
import { MemberRef } from '../member/types.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { OrderRef } from './types.js';

// Online payment (SPEC §7, issue 5): the mutations only start a Stripe PaymentIntent; the signed
// webhook (POST /webhooks/stripe) is what marks the payment succeeded and settles the order.

const ONLINE_PAYMENT_ERRORS = [PaymentExceedsBalanceError, OrderNotPayableError, RegistrationNotVerifiedError, OnlinePaymentUnavailableError];

defineMutation('startCardPayment', {
  description:
    'Starts paying all or part of an order by card (Stripe PaymentIntent), e.g. the 100 € left after 70 € paid at the desk (hybrid payment, 001). Confirm the returned `clientSecret` with Stripe.js; the payment stays PENDING and the order unchanged until Stripe confirms it to the server. The order’s member or the organization’s staff.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    orderId: t.id({ required: true, description: 'The order.' }),
    amountCents: t.int({ required: true, description: 'Amount in cents, at most `amountDue`.' }),
    saveCard: t.boolean({ required: false, description: 'Keep the card for later payments (a subscription then renews with it).' }),
  }),
  errors: ONLINE_PAYMENT_ERRORS,
  resolve: (input, context) =>
    startOnlinePayment(context, {
      orderId: decodeId(input.orderId, 'Order', 'orderId'),
      amountCents: input.amountCents,
      method: 'CARD',
      save: input.saveCard,
    }),
  success: {
    description: 'The card payment is started (PENDING).',
    fields: (t) => ({
      order: t.field({ type: OrderRef, description: 'The order, unchanged until the payment succeeds.', resolve: (r) => r.order }),
      clientSecret: t.string({ description: 'The PaymentIntent’s client secret, for Stripe.js.', resolve: (r) => r.clientSecret }),
    }),
  },
});

defineMutation('startSepaPayment', {
  description:
    'Starts paying all or part of an order by SEPA Direct Debit (Stripe PaymentIntent). The payment stays PENDING ("processing") until the bank accepts the debit, which takes days; only then is it counted. The order’s member or the organization’s staff.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    orderId: t.id({ required: true, description: 'The order.' }),
    amountCents: t.int({ required: true, description: 'Amount in cents, at most `amountDue`.' }),
    saveMandate: t.boolean({ required: false, description: 'Keep the SEPA mandate for later debits (a subscription then renews with it).' }),
  }),
  errors: ONLINE_PAYMENT_ERRORS,
  resolve: (input, context) =>
    startOnlinePayment(context, {
      orderId: decodeId(input.orderId, 'Order', 'orderId'),
      amountCents: input.amountCents,
      method: 'SEPA_DEBIT',
      save: input.saveMandate,
    }),
  success: {
    description: 'The SEPA debit is started (PENDING).',
    fields: (t) => ({
      order: t.field({ type: OrderRef, description: 'The order, unchanged until the bank accepts the debit.', resolve: (r) => r.order }),
      clientSecret: t.string({ description: 'The PaymentIntent’s client secret, for Stripe.js.', resolve: (r) => r.clientSecret }),
    }),
  },
});

const SavedPaymentMethodTypeEnum = builder.enumType('SavedPaymentMethodType', {
  description: 'Kind of a saved payment method.',
  values: {
    CARD: { description: 'A card.' },
    SEPA_DEBIT: { description: 'A SEPA Direct Debit mandate.' },
  } satisfies Record<SavedPaymentMethodType, unknown>,
});

builder.prismaNode('SavedPaymentMethod', {
  id: { field: 'id', description: 'Global ID (Relay): pass it to `removePaymentMethod`.' },
  findUnique: ownPaymentMethod,
  nullable: true,
  description: 'A card or SEPA mandate kept by Stripe for later payments; only its brand and last four digits are known here. Visible to its member only.',
  authScopes: (method) => ({ self: method.memberId }),
  fields: (t) => ({
    type: t.expose('type', { type: SavedPaymentMethodTypeEnum, description: 'Card or SEPA mandate.' }),
    brand: t.exposeString('brand', { nullable: true, description: 'Card brand (visa, mastercard…); null for SEPA.' }),
    last4: t.exposeString('last4', { nullable: true, description: 'Last four digits of the card or IBAN.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was saved.' }),
  }),
});

builder.prismaObjectField('Member', 'paymentMethods', (t) =>
  t.relation('paymentMethods', {
    authScopes: ownerOnly,
      description: "The member's saved cards and SEPA mandates, newest first.",
    query: { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] },
  }),
);

defineMutation('removePaymentMethod', {
  description:
    'The member removes one of their saved cards or SEPA mandates ("Mes infos de paiement"): it is detached from their Stripe customer and forgotten here. A subscription that renewed with it is then no longer charged automatically: its next renewals stay due, to pay online or at the desk. Someone else’s answers NOT_FOUND.',
  authScopes: { loggedIn: true },
  // A Stripe round trip.
  complexity: 50,
  input: (t) => ({
    paymentMethodId: t.id({ required: true, description: 'The saved card or mandate (`viewer.paymentMethods`).' }),
  }),
  errors: [OnlinePaymentUnavailableError],
  resolve: async (input, context) => ({
    viewer: await removePaymentMethod(context, { paymentMethodId: decodeId(input.paymentMethodId, 'SavedPaymentMethod', 'paymentMethodId') }),
  }),
  success: {
    description: 'The payment method is removed.',
    fields: (t) => ({ viewer: t.field({ type: MemberRef, description: 'The member, without it in `paymentMethods`.', resolve: (r) => r.viewer }) }),
  },
});
