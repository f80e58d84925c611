import { prisma } from '../../db/client.js';
import { localPeriod, MAX_REPORT_DAYS } from '../../domain/staff-lists.js';
import { CSV_EXPORT_LINK_TTL_SECONDS } from '../../auth/tokens.js';
import type { BookingStatus } from '../../generated/prisma/enums.js';
import { csvExportUrl, type CsvExportKind } from '../../services/organization/exports.js';
import { type ActivityFigures, type MethodTotal, type OrganizationReport, organizationReport } from '../../services/organization/reports.js';
import { BookingStatusEnum } from '../booking/types.js';
import { builder } from '../builder.js';
import { Money } from '../common/scalars.js';
import { PaymentMethodEnum } from '../order/types.js';

// The staff's report and CSV exports (SPEC §11, issue 12).

const MethodTotalRef = builder.objectRef<MethodTotal & { currency: string }>('PaymentMethodTotal').implement({
  description: 'Money of one payment method over the period.',
  fields: (t) => ({
    method: t.field({ type: PaymentMethodEnum, description: 'The payment method.', resolve: (m) => m.method }),
    amount: t.field({ type: Money, description: 'Sum of the amounts.', resolve: (m) => ({ amountCents: m.amountCents, currency: m.currency }) }),
    count: t.exposeInt('count', { description: 'How many payments (or refunds).' }),
  }),
});

const BookingStatusCountRef = builder.objectRef<{ status: BookingStatus; count: number }>('BookingStatusCount').implement({
  description: 'How many bookings ended in one state.',
  fields: (t) => ({
    status: t.field({ type: BookingStatusEnum, description: 'The state.', resolve: (b) => b.status }),
    count: t.exposeInt('count', { description: 'How many bookings.' }),
  }),
});

const ActivityFiguresRef = builder.objectRef<ActivityFigures>('ActivityReport').implement({
  description: 'Attendance and fill rate of one activity over the period (sessions held, cancelled ones left out).',
  fields: (t) => ({
    activity: t.prismaField({
      type: 'Activity',
      description: 'The activity.',
      resolve: async (query, figures) => prisma.activity.findUniqueOrThrow({ ...query, where: { id: figures.activityId } }),
    }),
    sessions: t.exposeInt('sessions', { description: 'Sessions held (not cancelled) that started in the period.' }),
    capacity: t.exposeInt('capacity', { description: 'Seats they offered in all.' }),
    seatsBooked: t.exposeInt('seatsBooked', { description: 'Seats taken: bookings confirmed, attended, no-show or held while paying.' }),
    attended: t.exposeInt('attended', { description: 'Bookings marked ATTENDED.' }),
    noShows: t.exposeInt('noShows', { description: 'Bookings marked NO_SHOW.' }),
    attendanceRate: t.float({
      nullable: true,
      description: 'attended ÷ (attended + noShows), from 0 to 1: of the bookings whose attendance was taken, the share present. Null when none was taken.',
      resolve: (figures) => figures.attendanceRate,
    }),
    fillRate: t.float({
      nullable: true,
      description: 'seatsBooked ÷ capacity, from 0 to 1. Null without sessions.',
      resolve: (figures) => figures.fillRate,
    }),
  }),
});

const sum = (totals: MethodTotal[]) => totals.reduce((total, method) => total + method.amountCents, 0);

const ReportRef = builder.objectRef<OrganizationReport>('OrganizationReport').implement({
  description: "An organization's figures over a period of local days (its time zone): money by payment method, bookings and rates.",
  fields: (t) => ({
    from: t.field({ type: 'Date', description: 'First day of the period.', resolve: (r) => r.period.from }),
    to: t.field({ type: 'Date', description: 'Last day of the period (included).', resolve: (r) => r.period.to }),
    startsAt: t.field({ type: 'DateTime', description: 'The period as instants: local midnight starting `from`…', resolve: (r) => r.period.start }),
    endsAt: t.field({ type: 'DateTime', description: '…to local midnight ending `to` (excluded).', resolve: (r) => r.period.end }),
    revenue: t.field({
      type: Money,
      description: 'Money received: payments that succeeded in the period, every method.',
      resolve: (r) => ({ amountCents: sum(r.revenueByMethod), currency: r.currency }),
    }),
    revenueByMethod: t.field({
      type: [MethodTotalRef],
      description: 'Money received, by payment method (methods with none are left out).',
      resolve: (r) => r.revenueByMethod.map((m) => ({ ...m, currency: r.currency })),
    }),
    refunds: t.field({
      type: Money,
      description: 'Money given back: refunds decided in the period (done, or under way at Stripe; failed ones left out).',
      resolve: (r) => ({ amountCents: sum(r.refundsByMethod), currency: r.currency }),
    }),
    refundsByMethod: t.field({
      type: [MethodTotalRef],
      description: 'Refunds by the method of the payment they return.',
      resolve: (r) => r.refundsByMethod.map((m) => ({ ...m, currency: r.currency })),
    }),
    netRevenue: t.field({
      type: Money,
      description: '`revenue` minus `refunds`.',
      resolve: (r) => ({ amountCents: sum(r.revenueByMethod) - sum(r.refundsByMethod), currency: r.currency }),
    }),
    bookingsByStatus: t.field({
      type: [BookingStatusCountRef],
      description: 'Bookings of the sessions that started in the period, by state (states with none are left out).',
      resolve: (r) => r.bookingsByStatus,
    }),
    activities: t.field({
      type: [ActivityFiguresRef],
      description: 'Attendance and fill rate by activity.',
      resolve: (r) => r.activities,
    }),
  }),
});

export const CsvExportKindEnum = builder.enumType('CsvExportKind', {
  description: 'What a CSV export lists.',
  values: {
    ORDERS: { value: 'orders', description: 'Orders made in the period (one row per order, with what is paid and due).' },
    PAYMENTS: { value: 'payments', description: 'Payments received in the period (one row per payment, with its method and what was refunded).' },
    BOOKINGS: { value: 'bookings', description: 'Bookings of the sessions that started in the period (one row per booking).' },
  } as const satisfies Record<string, { value: CsvExportKind; description: string }>,
});

builder.prismaObjectFields('Organization', (t) => ({
  report: t.field({
    type: ReportRef,
    description: `Figures over the local days \`from\` to \`to\` (included, at most ${MAX_REPORT_DAYS} days) in the organization's time zone: revenue and refunds by payment method, bookings by state, attendance and fill rate by activity. A bad period is a VALIDATION error on \`to\`. Staff only (others get FORBIDDEN).`,
    authScopes: (organization) => ({ staffOf: organization.id }),
    // Four aggregates over the period: far dearer than a field.
    complexity: 50,
    args: {
      from: t.arg({ type: 'Date', required: true, description: 'First local day.' }),
      to: t.arg({ type: 'Date', required: true, description: 'Last local day (included).' }),
    },
    resolve: (organization, args) => organizationReport(organization, localPeriod(args.from, args.to, organization.timeZone)),
  }),
  exportUrl: t.string({
    description: `A link to download a CSV export (orders, payments or bookings) of the local days \`from\` to \`to\` (included, at most ${MAX_REPORT_DAYS} days): \`GET /exports/<organization id>/<kind>.csv?token=…\`, no login needed, valid ${CSV_EXPORT_LINK_TTL_SECONDS / 60} minutes and only while you are staff here. Streamed, UTF-8 with a byte-order mark, amounts as decimals (12.50), times local. Staff only (others get FORBIDDEN).`,
    authScopes: (organization) => ({ staffOf: organization.id }),
    complexity: 10,
    args: {
      kind: t.arg({ type: CsvExportKindEnum, required: true, description: 'What to export.' }),
      from: t.arg({ type: 'Date', required: true, description: 'First local day.' }),
      to: t.arg({ type: 'Date', required: true, description: 'Last local day (included).' }),
    },
    resolve: async (organization, args, context) =>
      (await csvExportUrl(context, { organizationId: organization.id, kind: args.kind, from: args.from, to: args.to })).url,
  }),
}));
