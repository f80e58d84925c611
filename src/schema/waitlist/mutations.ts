import {
  AlreadyBookedError,
  AlreadyOnWaitlistError,
  NoCreditError,
  NotEligibleError,
  OfferExpiredError,
  OfferTakenError,
  SessionNotBookableError,
  SessionNotFullError,
  WaitlistClosedError,
} from '../../domain/errors.js';
import { claimWaitlistOffer, joinWaitlist, leaveWaitlist } from '../../services/booking/waitlist.js';
import { BookingRef } from '../booking/types.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { WaitlistEntryRef } from './types.js';

defineMutation('joinWaitlist', {
  description:
    "Puts a beneficiary on a full session's waitlist, holding one credit (the one that expires first, unless `entitlementId` names one). When a seat frees, waiting members get an offer (`myWaitlistOffers`, and by email) per the organization's policy. Claims close at the organization's deadline (002: 12 hours before), and the held credit is then released.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    sessionId: t.id({ required: true, description: 'The full session.' }),
    beneficiaryId: t.id({ required: true, description: 'Who waits (one of your beneficiaries; staff: any member’s).' }),
    entitlementId: t.id({ required: false, description: 'Hold this entitlement’s credit. Default: the eligible credit that expires first.' }),
  }),
  errors: [
    SessionNotFullError,
    AlreadyOnWaitlistError,
    AlreadyBookedError,
    WaitlistClosedError,
    SessionNotBookableError,
    NotEligibleError,
    NoCreditError,
  ],
  resolve: async (input, context) => ({
    waitlistEntry: await joinWaitlist(context, {
      sessionId: decodeId(input.sessionId, 'Session', 'sessionId'),
      beneficiaryId: decodeId(input.beneficiaryId, 'Beneficiary', 'beneficiaryId'),
      entitlementId: input.entitlementId ? decodeId(input.entitlementId, 'Entitlement', 'entitlementId') : null,
    }),
  }),
  success: {
    description: 'In line, with one credit held.',
    fields: (t) => ({ waitlistEntry: t.field({ type: WaitlistEntryRef, description: 'The place in line.', resolve: (r) => r.waitlistEntry }) }),
  },
});

defineMutation('leaveWaitlist', {
  description: 'Leaves a waitlist: the held credit is released and any open offer closes.',
  authScopes: { loggedIn: true },
  input: (t) => ({ waitlistEntryId: t.id({ required: true, description: 'The place in line.' }) }),
  resolve: async (input, context) => ({
    waitlistEntry: await leaveWaitlist(context, { waitlistEntryId: decodeId(input.waitlistEntryId, 'WaitlistEntry', 'waitlistEntryId') }),
  }),
  success: {
    description: 'Left the list.',
    fields: (t) => ({ waitlistEntry: t.field({ type: WaitlistEntryRef, description: 'The entry, now LEFT.', resolve: (r) => r.waitlistEntry }) }),
  },
});

defineMutation('claimWaitlistOffer', {
  description:
    'Claims a freed seat. First click wins: exactly one claim per freed seat succeeds, however many arrive at once; the winner is booked with the held credit, the others get OFFER_TAKEN and stay in line.',
  authScopes: { loggedIn: true },
  input: (t) => ({ offerId: t.id({ required: true, description: 'The offer (`WaitlistOffer.id`, also in the emailed link).' }) }),
  errors: [OfferTakenError, OfferExpiredError, AlreadyBookedError],
  resolve: async (input, context) => ({
    booking: await claimWaitlistOffer(context, { offerId: decodeId(input.offerId, 'WaitlistOffer', 'offerId') }),
  }),
  success: {
    description: 'You won the seat.',
    fields: (t) => ({ booking: t.field({ type: BookingRef, description: 'The new booking.', resolve: (r) => r.booking }) }),
  },
});
