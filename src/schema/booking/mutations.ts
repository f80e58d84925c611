import { brandWithType } from '@pothos/core';
import {
  AlreadyBookedError,
  AlreadyOnWaitlistError,
  InPersonPaymentNotAllowedError,
  OnlinePaymentUnavailableError,
  WaitlistClosedError,
  AttendanceNotAllowedError,
  BookingNotCancellableError,
  CreditNotRestorableError,
  NoCreditError,
  NotEligibleError,
  RescheduleNotAllowedError,
  SessionAlreadyCancelledError,
  SessionFullError,
  SessionNotBookableError,
} from '../../domain/errors.js';
import {
  bookSession,
  cancelBooking,
  cancelSession,
  markAttendance,
  rescheduleBooking,
  restoreCredit,
} from '../../services/booking/bookings.js';
import type { WaitlistEntry } from '../../generated/prisma/client.js';
import { type PayWith } from '../../services/booking/bookings.js';
import { builder } from '../builder.js';
import { SessionRef } from '../catalogue/types.js';
import { WaitlistEntryRef } from '../waitlist/types.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { AttendanceStatusEnum, BookingRef } from './types.js';
import { bounds } from '../common/input-bounds.js';

const PayWithEnum = builder.enumType('PayWith', {
  description: 'How a booking is paid.',
  values: {
    CREDIT: { description: 'With one credit of an entitlement (the default).' },
    ONLINE: {
      description:
        'A priced session paid by card: the booking is PENDING_PAYMENT, its seat held for the organization’s `paymentHoldMinutes`, until the payment succeeds (CONFIRMED) or the hold runs out (EXPIRED).',
    },
    IN_PERSON: {
      description: 'A priced session paid at the desk, where the organization allows it: CONFIRMED at once, with an order due.',
    },
  } satisfies Record<PayWith, unknown>,
});

/** `bookSession` on a full session, asked to wait: in line, one credit held (as `joinWaitlist`). */
const BookSessionWaitlistedRef = builder.objectRef<{ waitlistEntry: WaitlistEntry }>('BookSessionWaitlisted').implement({
  description:
    'A success: the session was full and `joinWaitlistIfFull` was set, so the beneficiary is on its waitlist with one credit held, exactly as `joinWaitlist` does.',
  fields: (t) => ({
    waitlistEntry: t.field({ type: WaitlistEntryRef, description: 'The place in line.', resolve: (r) => r.waitlistEntry }),
  }),
});

defineMutation('bookSession', {
  description:
    'Books a seat for a beneficiary. By default paid with one credit: the valid credit that expires first, unless `entitlementId` names one; confirmed at once. A priced session may instead be paid `IN_PERSON` or `ONLINE` (`payWith`). With `joinWaitlistIfFull`, a full session answers `BookSessionWaitlisted` instead of `SESSION_FULL`. The member books for their own beneficiaries; staff book on anyone’s behalf.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    sessionId: t.id({ required: true, description: 'The session.' }),
    beneficiaryId: t.id({ required: true, description: 'Who attends (one of your beneficiaries; staff: anyone).' }),
    entitlementId: t.id({
      required: false,
      description: 'Use this entitlement’s credit. Default: the eligible credit that expires first. Only with `payWith: CREDIT`.',
    }),
    payWith: t.field({
      type: PayWithEnum,
      required: false,
      description: 'How the booking is paid (default CREDIT). ONLINE and IN_PERSON need a session with a price.',
    }),
    joinWaitlistIfFull: t.boolean({
      required: false,
      description:
        'When the session is full, join its waitlist (holding one credit) and answer `BookSessionWaitlisted`, instead of `SESSION_FULL`. Credit bookings only.',
    }),
  }),
  errors: [
    SessionFullError,
    SessionNotBookableError,
    AlreadyBookedError,
    NotEligibleError,
    NoCreditError,
    AlreadyOnWaitlistError,
    WaitlistClosedError,
    InPersonPaymentNotAllowedError,
    OnlinePaymentUnavailableError,
  ],
  otherSuccesses: [BookSessionWaitlistedRef as never],
  resolve: async (input, context) => {
    const outcome = await bookSession(context, {
      sessionId: decodeId(input.sessionId, 'Session', 'sessionId'),
      beneficiaryId: decodeId(input.beneficiaryId, 'Beneficiary', 'beneficiaryId'),
      entitlementId: input.entitlementId ? decodeId(input.entitlementId, 'Entitlement', 'entitlementId') : null,
      payWith: input.payWith ?? 'CREDIT',
      joinWaitlistIfFull: input.joinWaitlistIfFull ?? false,
    });
    if (outcome.kind === 'WAITLISTED') {
      const waitlisted = { waitlistEntry: outcome.waitlistEntry };
      brandWithType(waitlisted, BookSessionWaitlistedRef as never);
      return waitlisted as never;
    }
    return { booking: outcome.booking, clientSecret: outcome.clientSecret ?? null };
  },
  success: {
    description: 'The seat is booked: with a credit, or paid per session (see `payWith`).',
    fields: (t) => ({
      booking: t.field({ type: BookingRef, description: 'The new booking.', resolve: (r) => r.booking }),
      clientSecret: t.string({
        nullable: true,
        description: 'With `payWith: ONLINE`: the Stripe PaymentIntent’s client secret to confirm the card payment with. Null otherwise.',
        resolve: (r) => r.clientSecret,
      }),
    }),
  },
});

defineMutation('cancelBooking', {
  description:
    "Cancels a booking. Before the activity's notice deadline (`freeCancellationUntil`) the credit comes back (CANCELLED); after it the booking is LATE_CANCELLED and the credit is lost, unless the activity re-credits late cancellations. A late cancellation is a success, not an error. Staff may cancel on a member’s behalf.",
  authScopes: { loggedIn: true },
  input: (t) => ({ bookingId: t.id({ required: true, description: 'The booking.' }) }),
  errors: [BookingNotCancellableError],
  resolve: (input, context) => cancelBooking(context, { bookingId: decodeId(input.bookingId, 'Booking', 'bookingId') }),
  success: {
    description: 'The booking is cancelled and its seat freed.',
    fields: (t) => ({
      booking: t.field({ type: BookingRef, description: 'The cancelled booking.', resolve: (r) => r.booking }),
      creditReturned: t.exposeBoolean('creditReturned', { description: 'True when the credit came back to the balance.' }),
    }),
  },
});

defineMutation('rescheduleBooking', {
  description:
    'Moves a booking to another session of the same organization in one step, keeping its credit (000 “Reprogrammer”). Allowed only while cancelling would still cost nothing.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    bookingId: t.id({ required: true, description: 'The booking to move.' }),
    sessionId: t.id({ required: true, description: 'The session to move it to.' }),
  }),
  errors: [
    RescheduleNotAllowedError,
    BookingNotCancellableError,
    SessionFullError,
    SessionNotBookableError,
    AlreadyBookedError,
    NotEligibleError,
  ],
  resolve: async (input, context) => ({
    booking: await rescheduleBooking(context, {
      bookingId: decodeId(input.bookingId, 'Booking', 'bookingId'),
      sessionId: decodeId(input.sessionId, 'Session', 'sessionId'),
    }),
  }),
  success: {
    description: 'The booking was moved.',
    fields: (t) => ({
      booking: t.field({
        type: BookingRef,
        description: 'The new booking (its `rescheduledFrom` is the old one, now CANCELLED).',
        resolve: (r) => r.booking,
      }),
    }),
  },
});

defineMutation('restoreCredit', {
  description:
    'Staff give back the credit of a late-cancelled or no-show booking on a medical certificate (003 §8, 004). Once per booking.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    bookingId: t.id({ required: true, description: 'The booking whose credit was lost.' }),
    note: t.string({ required: true, description: 'Why (e.g. the medical certificate’s reference; 500 characters at most).', ...bounds({ multiline: true }) }),
  }),
  errors: [CreditNotRestorableError],
  resolve: async (input, context) => ({
    booking: await restoreCredit(context, { bookingId: decodeId(input.bookingId, 'Booking', 'bookingId'), note: input.note }),
  }),
  success: {
    description: 'The credit is back on the entitlement the booking used.',
    fields: (t) => ({ booking: t.field({ type: BookingRef, description: 'The booking.', resolve: (r) => r.booking }) }),
  },
});

defineMutation('markAttendance', {
  description:
    "Staff, or the session's coach, take attendance (from one hour before the start): ATTENDED or NO_SHOW. Can be corrected later.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    bookingId: t.id({ required: true, description: 'The booking.' }),
    status: t.field({ type: AttendanceStatusEnum, required: true, description: 'Present or absent.' }),
  }),
  errors: [AttendanceNotAllowedError],
  resolve: async (input, context) => ({
    booking: await markAttendance(context, { bookingId: decodeId(input.bookingId, 'Booking', 'bookingId'), status: input.status }),
  }),
  success: {
    description: 'Attendance recorded.',
    fields: (t) => ({ booking: t.field({ type: BookingRef, description: 'The booking.', resolve: (r) => r.booking }) }),
  },
});

defineMutation('cancelSession', {
  description:
    'Staff cancel a session that has not started: every booking is cancelled and its credit returned (credits forfeited by late cancellations of it too), and every booked member is notified by email (003 §8, 004).',
  authScopes: { loggedIn: true },
  input: (t) => ({
    sessionId: t.id({ required: true, description: 'The session.' }),
    reason: t.string({ required: true, description: 'Told to the members (e.g. “pool closed”; 500 characters at most).', ...bounds({ multiline: true }) }),
  }),
  errors: [SessionAlreadyCancelledError, SessionNotBookableError],
  resolve: async (input, context) => ({
    session: await cancelSession(context, { sessionId: decodeId(input.sessionId, 'Session', 'sessionId'), reason: input.reason }),
  }),
  success: {
    description: 'The session is cancelled.',
    fields: (t) => ({ session: t.field({ type: SessionRef, description: 'The cancelled session.', resolve: (r) => r.session }) }),
  },
});
