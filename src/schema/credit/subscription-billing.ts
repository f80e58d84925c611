import { PauseLimitExceededError, WithdrawalNotAllowedError } from '../../domain/errors.js';
import { pauseSubscription, requestWithdrawal, terminateSubscription } from '../../services/credit/subscription-billing.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { OrderRef } from '../order/types.js';
import { SubscriptionRef } from './types.js';

// Withdrawal, termination and pauses (SPEC §7; 003 §11, §12, §12A; 004).

export const SubscriptionPauseRef = builder.prismaObject('SubscriptionPause', {
  description:
    'A pause of a subscription (003 §12A): billing stops and the next billing date moves by its length; bookings with the credits already granted stay possible.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Identifier of the pause.' }),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'Start (local midnight of the requested day).' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', description: 'End: billing resumes from here.' }),
    medical: t.exposeBoolean('medical', {
      description: 'Granted by staff on a medical certificate: not counted toward the yearly limit.',
    }),
    applied: t.boolean({
      description: 'True once it has started and moved the billing dates.',
      select: { appliedAt: true },
      resolve: (pause) => pause.appliedAt !== null,
    }),
  }),
});

builder.prismaObjectFields(SubscriptionRef, (t) => ({
  terminationRequestedAt: t.expose('terminationRequestedAt', {
    type: 'DateTime',
    nullable: true,
    description: 'When termination (or a withdrawal) was requested, if it was.',
  }),
  endsAt: t.expose('endsAt', {
    type: 'DateTime',
    nullable: true,
    description:
      'When a terminated subscription ends: the billing date chosen by the notice rule. Every period started before is due; its credits expire then.',
  }),
  pauses: t.relation('pauses', {
    type: SubscriptionPauseRef,
    description: 'Its pauses, planned and past, in start order.',
    query: { orderBy: { startsAt: 'asc' } },
  }),
}));

builder.prismaObjectFields(OrderRef, (t) => ({
  refundedAt: t.expose('refundedAt', { type: 'DateTime', nullable: true, description: 'When it was refunded (withdrawal), if it was.' }),
}));

defineMutation('requestWithdrawal', {
  description:
    "Withdrawal (003 §11, 004): within the organization's withdrawal period (14 \"jours francs\": through the end of the 14th local day after payment), a paid order none of whose credits was ever used to book a class (cancelled bookings and waitlist holds count) is refunded in full. The order becomes REFUNDED, its credits are removed (ledger FORFEIT \"Withdrawal\") and its entitlements REVOKED; desk payments are recorded as refunded, online ones are refunded through Stripe. Withdrawing the first order of a subscription terminates it at once. Renewal orders cannot be withdrawn. By the member or staff.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    orderId: t.id({ required: true, description: 'The paid order to withdraw.' }),
  }),
  errors: [WithdrawalNotAllowedError],
  resolve: async (input, context) => ({
    order: await requestWithdrawal(context, { orderId: decodeId(input.orderId, 'Order', 'orderId') }),
  }),
  success: {
    description: 'The order is refunded and its credits removed.',
    fields: (t) => ({ order: t.field({ type: OrderRef, description: 'The order, now REFUNDED.', resolve: (r) => r.order }) }),
  },
});

defineMutation('terminateSubscription', {
  description:
    "Terminates a subscription with the organization's notice rule. MONTH_BEFORE_ANNIVERSARY (003 §12): it ends on the first monthly anniversary at least one calendar month after the request's day. DAYS_BEFORE_BILLING (004): on the first billing date at least `terminationNoticeDays` (15) days after the request's day. Either way, not before the end of the commitment. Every period started until then is renewed and due; the credits expire at `endsAt`. Asking again keeps the date already set. By the member or staff.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    subscriptionId: t.id({ required: true, description: 'The subscription (MemberSubscription).' }),
  }),
  resolve: async (input, context) => ({
    subscription: await terminateSubscription(context, {
      subscriptionId: decodeId(input.subscriptionId, 'MemberSubscription', 'subscriptionId'),
    }),
  }),
  success: {
    description: 'The termination is recorded.',
    fields: (t) => ({
      subscription: t.field({ type: SubscriptionRef, description: 'The subscription, with `endsAt`.', resolve: (r) => r.subscription }),
    }),
  },
});

defineMutation('pauseSubscription', {
  description:
    "Pauses a subscription for whole months (003 §12A), asked before the pause starts (tomorrow at the earliest; never retroactive). Billing stops: the period running when it starts is stretched by its length, its credits stay valid (bookings stay possible) and the next billing date, renewal and end of commitment move by the same months. Non-medical pauses total at most the organization's `maxPauseMonthsPerYear` (2) months per calendar year, a month counting as 31 days: beyond, PAUSE_LIMIT_EXCEEDED, unless `acceptTermination` is true: a longer non-medical pause is then a termination (12A.4), effective at the first billing date on or after its start, and the member subscribes again later at the price of the day. Only staff may set `medical` (on a certificate), which has no yearly limit.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    subscriptionId: t.id({ required: true, description: 'The subscription (MemberSubscription).' }),
    startsOn: t.field({ type: 'Date', required: true, description: "First day of the pause, in the organization's time zone." }),
    months: t.int({ required: true, description: 'Length in whole months (1 to 24).' }),
    medical: t.boolean({ required: false, description: 'Staff only: a medical pause (certificate), not counted toward the yearly limit.' }),
    acceptTermination: t.boolean({
      required: false,
      description: 'Beyond the yearly limit (non-medical), end the subscription instead (12A.4) rather than refuse.',
    }),
  }),
  errors: [PauseLimitExceededError],
  resolve: async (input, context) =>
    pauseSubscription(context, {
      subscriptionId: decodeId(input.subscriptionId, 'MemberSubscription', 'subscriptionId'),
      startsOn: input.startsOn,
      months: input.months,
      medical: input.medical,
      acceptTermination: input.acceptTermination,
    }),
  success: {
    description: 'The pause is planned (or, beyond the limit with `acceptTermination`, the subscription ends).',
    fields: (t) => ({
      subscription: t.field({ type: SubscriptionRef, description: 'The subscription (with `endsAt` when it became a termination).', resolve: (r) => r.subscription }),
      pause: t.field({
        type: SubscriptionPauseRef,
        nullable: true,
        description: 'The pause; null when the request became a termination.',
        resolve: (r) => r.pause,
      }),
    }),
  },
});
