import { prisma } from '../../db/client.js';
import { type LocalPeriod, rate } from '../../domain/staff-lists.js';
import type { BookingStatus, PaymentMethod } from '../../generated/prisma/enums.js';

// The staff's report over a period of local days (SPEC §11, issue 12): money received and refunded
// by payment method, bookings by status, and attendance and fill rates by activity. Four aggregate
// statements, whatever the period or the organisation's size.

export interface MethodTotal {
  method: PaymentMethod;
  amountCents: number;
  count: number;
}

export interface ActivityFigures {
  activityId: string;
  sessions: number;
  capacity: number;
  seatsBooked: number;
  attended: number;
  noShows: number;
  attendanceRate: number | null;
  fillRate: number | null;
}

export interface OrganizationReport {
  period: LocalPeriod;
  currency: string;
  revenueByMethod: MethodTotal[];
  refundsByMethod: MethodTotal[];
  bookingsByStatus: { status: BookingStatus; count: number }[];
  activities: ActivityFigures[];
}

/** Bookings that hold (or held) a seat at the session: what fills it. */
const SEATED: BookingStatus[] = ['CONFIRMED', 'ATTENDED', 'NO_SHOW', 'PENDING_PAYMENT'];

export async function organizationReport(
  organization: { id: string; currency: string },
  period: LocalPeriod,
): Promise<OrganizationReport> {
  const { start, end } = period;
  const [revenue, refunds, bookings, activities] = await Promise.all([
    // Money received: payments that succeeded in the period, whatever became of them later.
    prisma.$queryRaw<MethodTotal[]>`
      SELECT p."method", sum(p."amountCents")::int AS "amountCents", count(*)::int AS count
        FROM "Payment" p JOIN "Order" o ON o."id" = p."orderId"
       WHERE o."organizationId" = ${organization.id}::uuid AND p."status" = 'SUCCEEDED'
         AND p."succeededAt" >= ${start} AND p."succeededAt" < ${end}
       GROUP BY p."method" ORDER BY p."method"`,
    // Money given back: refunds decided in the period (done, or under way at Stripe), by the
    // method of the payment they return.
    prisma.$queryRaw<MethodTotal[]>`
      SELECT p."method", sum(r."amountCents")::int AS "amountCents", count(*)::int AS count
        FROM "Refund" r JOIN "Payment" p ON p."id" = r."paymentId" JOIN "Order" o ON o."id" = p."orderId"
       WHERE o."organizationId" = ${organization.id}::uuid AND r."status" <> 'FAILED'
         AND r."createdAt" >= ${start} AND r."createdAt" < ${end}
       GROUP BY p."method" ORDER BY p."method"`,
    // Bookings of the sessions that start in the period, by what became of them.
    prisma.$queryRaw<{ status: BookingStatus; count: number }[]>`
      SELECT b."status", count(*)::int AS count
        FROM "Booking" b JOIN "Session" s ON s."id" = b."sessionId"
       WHERE s."organizationId" = ${organization.id}::uuid AND s."startsAt" >= ${start} AND s."startsAt" < ${end}
       GROUP BY b."status" ORDER BY b."status"`,
    // Per activity, over its sessions held (not cancelled) in the period.
    prisma.$queryRaw<Omit<ActivityFigures, 'attendanceRate' | 'fillRate'>[]>`
      SELECT s."activityId"::text AS "activityId", count(*)::int AS sessions, sum(s."capacity")::int AS capacity,
             coalesce(sum(b.seated), 0)::int AS "seatsBooked", coalesce(sum(b.attended), 0)::int AS attended,
             coalesce(sum(b."noShows"), 0)::int AS "noShows"
        FROM "Session" s
        LEFT JOIN LATERAL (
          SELECT count(*) FILTER (WHERE x."status"::text = ANY(${SEATED}::text[])) AS seated,
                 count(*) FILTER (WHERE x."status" = 'ATTENDED') AS attended,
                 count(*) FILTER (WHERE x."status" = 'NO_SHOW') AS "noShows"
            FROM "Booking" x WHERE x."sessionId" = s."id") b ON true
       WHERE s."organizationId" = ${organization.id}::uuid AND s."status" = 'SCHEDULED'
         AND s."startsAt" >= ${start} AND s."startsAt" < ${end}
       GROUP BY s."activityId"`,
  ]);
  return {
    period,
    currency: organization.currency,
    revenueByMethod: revenue,
    refundsByMethod: refunds,
    bookingsByStatus: bookings,
    activities: activities.map((figures) => ({
      ...figures,
      // Of the bookings whose attendance was taken, the share present.
      attendanceRate: rate(figures.attended, figures.attended + figures.noShows),
      // Seats taken over seats offered.
      fillRate: rate(figures.seatsBooked, figures.capacity),
    })),
  };
}
