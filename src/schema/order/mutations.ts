import {
  DiscoveryAlreadyUsedError,
  DiscoveryNewClientsOnlyError,
  OrderNotPayableError,
  PaymentExceedsBalanceError,
  PaymentMethodNotAcceptedError,
  PromoCodeInvalidError,
  RegistrationNotVerifiedError,
} from '../../domain/errors.js';
import { cancelOrder, issueCreditNote, purchaseOffer, recordPayment } from '../../services/order/orders.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { CreditNoteRef, DeskPaymentMethodEnum, OrderRef } from './types.js';
import { bounds } from '../common/input-bounds.js';

defineMutation('purchaseOffer', {
  description:
    'Orders an offer for a beneficiary. The order is then paid, in one or several parts (desk payments by staff; online payment comes with Stripe). When fully paid it is invoiced and its credits are granted: a pack is valid from that day for the offer’s validity; a subscription starts its first period that day. Staff may order on a member’s behalf.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    offerId: t.id({ required: true, description: 'The offer.' }),
    beneficiaryId: t.id({ required: true, description: 'Who it is for (packs are nominative).' }),
    promoCode: t.string({
      required: false,
      description: 'A promo code (any case), applied before payment (003 §3.3): unknown, not yet valid, expired or used up answers PROMO_CODE_INVALID.',
    }),
  }),
  errors: [PromoCodeInvalidError, DiscoveryAlreadyUsedError, DiscoveryNewClientsOnlyError],
  resolve: async (input, context) => ({
    order: await purchaseOffer(context, {
      offerId: decodeId(input.offerId, 'Offer', 'offerId'),
      beneficiaryId: decodeId(input.beneficiaryId, 'Beneficiary', 'beneficiaryId'),
      promoCode: input.promoCode,
    }),
  }),
  success: {
    description: 'The order was created: PENDING, AWAITING_REVIEW when the organization must first verify the registration (001), or PAID at once when free.',
    fields: (t) => ({ order: t.field({ type: OrderRef, description: 'The order.', resolve: (r) => r.order }) }),
  },
});

defineMutation('recordPayment', {
  description:
    'Staff record a payment taken at the desk (cash, cheque, ANCV vouchers, sport pass, or a credit note), possibly one part of several (hybrid payment, 001). More than `amountDue` is refused; a method missing from the organization’s `policies.acceptedDeskPaymentMethods` answers PAYMENT_METHOD_NOT_ACCEPTED.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    orderId: t.id({ required: true, description: 'The order.' }),
    method: t.field({ type: DeskPaymentMethodEnum, required: true, description: 'How it was paid.' }),
    amountCents: t.int({ required: true, description: 'Amount in cents, at most `amountDue`.' }),
    reference: t.string({ required: false, description: 'Cheque number, voucher numbers, pass id…' }),
    creditNoteId: t.id({ required: false, description: 'With method CREDIT_NOTE: the credit note spent (the order’s member’s).' }),
  }),
  errors: [PaymentExceedsBalanceError, OrderNotPayableError, RegistrationNotVerifiedError, PaymentMethodNotAcceptedError],
  resolve: async (input, context) => ({
    order: await recordPayment(context, {
      orderId: decodeId(input.orderId, 'Order', 'orderId'),
      method: input.method,
      amountCents: input.amountCents,
      reference: input.reference,
      creditNoteId: input.creditNoteId ? decodeId(input.creditNoteId, 'CreditNote', 'creditNoteId') : null,
    }),
  }),
  success: {
    description: 'The payment is recorded.',
    fields: (t) => ({
      order: t.field({ type: OrderRef, description: 'The order, PARTIALLY_PAID or PAID.', resolve: (r) => r.order }),
    }),
  },
});

defineMutation('issueCreditNote', {
  description:
    'Staff issue a credit note ("avoir") to a member, found by email. It is valid for the organization’s credit-note validity (one year by default) and spent with `recordPayment(method: CREDIT_NOTE)`.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (staff only).' }),
    memberEmail: t.string({ required: true, description: 'The member’s login email (any case).' }),
    amountCents: t.int({ required: true, description: 'Amount in cents.' }),
    reason: t.string({ required: true, description: 'Why (pool closed for good, goodwill…; 500 characters at most).', ...bounds({ multiline: true }) }),
  }),
  resolve: async (input, context) => ({
    creditNote: await issueCreditNote(context, { ...input, organizationId: decodeId(input.organizationId, 'Organization', 'organizationId') }),
  }),
  success: {
    description: 'The credit note was issued.',
    fields: (t) => ({ creditNote: t.field({ type: CreditNoteRef, description: 'The credit note.', resolve: (r) => r.creditNote }) }),
  },
});

defineMutation('cancelOrder', {
  description:
    'Cancels an order nothing was paid on (no payment made or under way): CANCELLED, and its promo code use is given back. A paid order is withdrawn with `requestWithdrawal` instead.',
  authScopes: { loggedIn: true },
  input: (t) => ({ orderId: t.id({ required: true, description: 'The order.' }) }),
  resolve: async (input, context) => ({ order: await cancelOrder(context, { orderId: decodeId(input.orderId, 'Order', 'orderId') }) }),
  success: {
    description: 'The order is cancelled.',
    fields: (t) => ({ order: t.field({ type: OrderRef, description: 'The order, CANCELLED.', resolve: (r) => r.order }) }),
  },
});
