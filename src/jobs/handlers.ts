import type { DueJobKind } from '../generated/prisma/enums.js';
import { expireEntitlement } from '../services/credit/entitlements.js';
import { endPaymentGrace, startPauseJob } from '../services/credit/subscriptions.js';
import { renewSubscription } from '../services/order/order-completion.js';
import { chargeRenewal, refundExcessPayment } from '../services/order/payments.js';
import { offerWindowJob, waitlistDeadlineJob } from '../services/booking/waitlist.js';
import { expirePaymentHold } from '../services/booking/bookings.js';
import type { JobHandler } from './worker.js';

/** What each kind of due job does. Kinds without a handler yet are never enqueued. */
export const jobHandlers: Partial<Record<DueJobKind, JobHandler>> = {
  ENTITLEMENT_EXPIRY: expireEntitlement,
  SUBSCRIPTION_RENEWAL: renewSubscription,
  PAYMENT_GRACE_END: endPaymentGrace,
  PAUSE_START: startPauseJob,
  WAITLIST_DEADLINE: waitlistDeadlineJob,
  WAITLIST_OFFER_WINDOW: offerWindowJob,
  RENEWAL_CHARGE: chargeRenewal,
  EXCESS_REFUND: refundExcessPayment,
  PAYMENT_HOLD_EXPIRY: expirePaymentHold,
};
