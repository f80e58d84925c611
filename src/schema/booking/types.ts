import { ownedOrStaffed } from '../common/visibility.js';
import { freeCancellationUntil } from '../../domain/booking.js';
import type { BookingStatus } from '../../generated/prisma/enums.js';
import { builder } from '../builder.js';

export const BookingStatusEnum = builder.enumType('BookingStatus', {
  description: 'Where a booking stands.',
  values: {
    CONFIRMED: { description: 'A seat is held: paid with a credit, or per session (at the desk, or online once paid).' },
    CANCELLED: { description: 'Cancelled in time (or moved, or the session was cancelled): the credit came back.' },
    LATE_CANCELLED: { description: "Cancelled after the notice deadline: the credit is lost unless the activity re-credits." },
    ATTENDED: { description: 'Staff marked the beneficiary present.' },
    NO_SHOW: { description: 'Staff marked the beneficiary absent: the credit is spent.' },
    PENDING_PAYMENT: { description: 'Paid online: the seat is held while the member pays, until the organization’s `paymentHoldMinutes` run out.' },
    EXPIRED: { description: 'An online payment was not made in time: the held seat was freed.' },
  } satisfies Record<BookingStatus, unknown>,
});

export const AttendanceStatusEnum = builder.enumType('AttendanceStatus', {
  description: 'What staff record when taking attendance.',
  values: {
    ATTENDED: { description: 'Present.' },
    NO_SHOW: { description: 'Absent without cancelling.' },
  },
});

export const BookingRef = builder.prismaNode('Booking', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: ownedOrStaffed,
  nullable: true,
  description:
    "A beneficiary's seat in a session. Visible to the member who owns it, to the organization's staff, and to the session's coach (on its register).",
  authScopes: (booking) => ({ self: booking.memberId, staffOf: booking.organizationId, coachOfSession: booking.sessionId }),
  fields: (t) => ({
    status: t.expose('status', { type: BookingStatusEnum, description: 'Where the booking stands.' }),
    session: t.relation('session', { description: 'The session booked.' }),
    beneficiary: t.relation('beneficiary', { description: 'Who attends.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was booked.' }),
    cancelledAt: t.expose('cancelledAt', { type: 'DateTime', nullable: true, description: 'When it was cancelled or moved.' }),
    freeCancellationUntil: t.field({
      type: 'DateTime',
      description:
        "Last instant to cancel (or move) without losing the credit: the activity's notice in elapsed hours before the start, or the start itself when staff changed the session (time, venue or coach) after it was booked.",
      select: { createdAt: true, session: { select: { startsAt: true, changedAt: true, activity: { select: { cancellationNoticeHours: true } } } } },
      resolve: (booking) => freeCancellationUntil(booking.session, booking.session.activity.cancellationNoticeHours, booking),
    }),
    entitlement: t.relation('entitlement', { nullable: true, description: 'The credits this booking was paid with.' }),
    order: t.relation('order', {
      nullable: true,
      description: 'Paid per session (`payWith: IN_PERSON` or `ONLINE`): the order for the session’s price, due at the desk or paid online.',
    }),
    paymentHoldUntil: t.expose('paymentHoldUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'A `PENDING_PAYMENT` booking holds its seat until then; unpaid, it becomes `EXPIRED`.',
    }),
    bookedByStaff: t.boolean({
      description: 'True when staff booked on the member’s behalf.',
      select: { bookedById: true },
      resolve: (booking) => booking.bookedById !== null,
    }),
    creditRestoredAt: t.expose('creditRestoredAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When staff restored a forfeited credit (medical certificate).',
    }),
    attendanceAt: t.expose('attendanceAt', { type: 'DateTime', nullable: true, description: 'When attendance was taken.' }),
    rescheduledFrom: t.relation('rescheduledFrom', { nullable: true, description: 'The booking this one was moved from.' }),
    rescheduledTo: t.relation('rescheduledTo', { nullable: true, description: 'The booking this one was moved to.' }),
  }),
});

export const BookingFilter = builder.inputType('BookingFilter', {
  description: "Which of a member's bookings.",
  fields: (t) => ({
    upcoming: t.boolean({
      required: false,
      description: 'True: confirmed bookings of sessions that have not started, soonest first. False or absent: every booking, newest first.',
    }),
  }),
});
