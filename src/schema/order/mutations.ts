import { OrderNotPayableError, PaymentExceedsBalanceError } from '../../domain/errors.js';
import { purchaseOffer, recordPayment } from '../../services/orders.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { DeskPaymentMethodEnum, OrderRef } from './types.js';

defineMutation('purchaseOffer', {
  description:
    'Orders an offer for a beneficiary. The order is then paid, in one or several parts (desk payments by staff; online payment comes with Stripe). When fully paid it is invoiced and its credits are granted: a pack is valid from that day for the offer’s validity; a subscription starts its first period that day. Staff may order on a member’s behalf.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    offerId: t.id({ required: true, description: 'The offer.' }),
    beneficiaryId: t.id({ required: true, description: 'Who it is for (packs are nominative).' }),
  }),
  resolve: async (input, context) => ({
    order: await purchaseOffer(context, {
      offerId: decodeId(input.offerId, 'Offer', 'offerId'),
      beneficiaryId: decodeId(input.beneficiaryId, 'Beneficiary', 'beneficiaryId'),
    }),
  }),
  success: {
    description: 'The order was created (PENDING, or PAID at once for a free offer).',
    fields: (t) => ({ order: t.field({ type: OrderRef, description: 'The order.', resolve: (r) => r.order }) }),
  },
});

defineMutation('recordPayment', {
  description:
    'Staff record a payment taken at the desk (cash, cheque, ANCV vouchers, sport pass), possibly one part of several (hybrid payment). More than `amountDue` is refused.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    orderId: t.id({ required: true, description: 'The order.' }),
    method: t.field({ type: DeskPaymentMethodEnum, required: true, description: 'How it was paid.' }),
    amountCents: t.int({ required: true, description: 'Amount in cents, at most `amountDue`.' }),
    reference: t.string({ required: false, description: 'Cheque number, voucher numbers, pass id…' }),
  }),
  errors: [PaymentExceedsBalanceError, OrderNotPayableError],
  resolve: async (input, context) => ({
    order: await recordPayment(context, {
      orderId: decodeId(input.orderId, 'Order', 'orderId'),
      method: input.method,
      amountCents: input.amountCents,
      reference: input.reference,
    }),
  }),
  success: {
    description: 'The payment is recorded.',
    fields: (t) => ({
      order: t.field({ type: OrderRef, description: 'The order, PARTIALLY_PAID or PAID.', resolve: (r) => r.order }),
    }),
  },
});
