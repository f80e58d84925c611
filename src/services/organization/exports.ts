import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { stringify } from 'csv-stringify';
import { DateTime } from 'luxon';
import { readCsvExportToken, signCsvExportToken } from '../../auth/tokens.js';
import type { Clock } from '../../clock.js';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { NotFoundError } from '../../domain/errors.js';
import { amountDue } from '../../domain/orders.js';
import { centsToDecimal, localPeriod, type LocalPeriod, spreadsheetSafe } from '../../domain/staff-lists.js';
import { csvExportLink } from '../../links.js';
import { logger } from '../../logger.js';
import { isStaff, requireStaff } from '../access.js';
import { invoiceParties } from '../order/invoices.js';

// CSV exports for the accountant (SPEC §11, issue 12): orders, payments and bookings of a period of
// local days, downloaded through a short-lived signed link (`Organization.exportUrl`). Rows are
// read from the database in keyset batches and streamed through csv-stringify with backpressure:
// an export of a year is never held in memory.

export const CSV_EXPORT_KINDS = ['orders', 'payments', 'bookings'] as const;
export type CsvExportKind = (typeof CSV_EXPORT_KINDS)[number];

/** Rows read per statement. */
const BATCH = 500;

/** The signed link of an export, for staff of the organisation (FORBIDDEN otherwise; VALIDATION for a bad period). */
export async function csvExportUrl(
  context: Context,
  input: { organizationId: string; kind: CsvExportKind; from: Date; to: Date },
): Promise<{ url: string; expiresAt: Date }> {
  const staffId = await requireStaff(context, input.organizationId);
  const organization = await prisma.organization.findUnique({ where: { id: input.organizationId }, select: { timeZone: true } });
  if (!organization) throw new NotFoundError('entity.organization', ['organizationId']);
  localPeriod(input.from, input.to, organization.timeZone);
  const { token, expiresAt } = await signCsvExportToken(
    { organizationId: input.organizationId, kind: input.kind, from: isoDate(input.from), to: isoDate(input.to), staffId },
    context.clock.now(),
  );
  return { url: csvExportLink(input.organizationId, input.kind, token), expiresAt };
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

interface Column<Row> {
  header: string;
  value: (row: Row) => string | number;
}

/** An instant as the organisation's local date and time, the way a spreadsheet reads it. */
function localTime(at: Date | null, timeZone: string): string {
  return at ? DateTime.fromJSDate(at, { zone: timeZone }).toFormat('yyyy-LL-dd HH:mm:ss') : '';
}

const globalId = (type: string, id: string | null) => (id ? encodeGlobalID(type, id) : '');

const orderParties = {
  invoiceMemberName: true,
  invoiceMemberEmail: true,
  invoiceBeneficiaryName: true,
  member: { select: { firstName: true, lastName: true, email: true } },
  beneficiary: { select: { firstName: true, lastName: true } },
} as const;

/** Batches of rows in a stable order, each batch after the last row of the previous one. */
async function* batches<Row>(read: (after: Row | null) => Promise<Row[]>): AsyncGenerator<Row> {
  let last: Row | null = null;
  for (;;) {
    const rows = await read(last);
    yield* rows;
    if (rows.length < BATCH) return;
    last = rows[rows.length - 1]!;
  }
}

function paymentRows(organizationId: string, period: LocalPeriod) {
  return batches((after: { id: string; succeededAt: Date | null } | null) =>
    prisma.payment.findMany({
      where: {
        status: 'SUCCEEDED',
        order: { organizationId },
        AND: [
          { succeededAt: { gte: period.start, lt: period.end } },
          after?.succeededAt ? { OR: [{ succeededAt: { gt: after.succeededAt } }, { succeededAt: after.succeededAt, id: { gt: after.id } }] } : {},
        ],
      },
      orderBy: [{ succeededAt: 'asc' }, { id: 'asc' }],
      take: BATCH,
      include: { order: { select: { id: true, invoiceNumber: true, currency: true, ...orderParties } } },
    }),
  );
}

type PaymentRow = Awaited<ReturnType<typeof prisma.payment.findMany<{ include: { order: { select: { id: true; invoiceNumber: true; currency: true } & typeof orderParties } } }>>>[number];

function orderRows(organizationId: string, period: LocalPeriod) {
  return batches((after: { id: string; createdAt: Date } | null) =>
    prisma.order.findMany({
      where: {
        organizationId,
        AND: [
          { createdAt: { gte: period.start, lt: period.end } },
          after ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] } : {},
        ],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: BATCH,
      include: { member: orderParties.member, beneficiary: orderParties.beneficiary, offer: { select: { name: true } }, session: { select: { startsAt: true, activity: { select: { name: true } } } } },
    }),
  );
}

type OrderRow = Awaited<ReturnType<typeof prisma.order.findMany<{
  include: { member: typeof orderParties.member; beneficiary: typeof orderParties.beneficiary; offer: { select: { name: true } }; session: { select: { startsAt: true; activity: { select: { name: true } } } } };
}>>>[number];

function bookingRows(organizationId: string, period: LocalPeriod) {
  return batches((after: { id: string; session: { startsAt: Date } } | null) =>
    prisma.booking.findMany({
      where: {
        organizationId,
        AND: [
          { session: { startsAt: { gte: period.start, lt: period.end } } },
          after
            ? { OR: [{ session: { startsAt: { gt: after.session.startsAt } } }, { session: { startsAt: after.session.startsAt }, id: { gt: after.id } }] }
            : {},
        ],
      },
      orderBy: [{ session: { startsAt: 'asc' } }, { id: 'asc' }],
      take: BATCH,
      include: {
        session: { select: { startsAt: true, activity: { select: { name: true } }, venue: { select: { name: true } } } },
        beneficiary: { select: { firstName: true, lastName: true } },
        member: { select: { firstName: true, lastName: true, email: true } },
      },
    }),
  );
}

type BookingRow = Awaited<ReturnType<typeof prisma.booking.findMany<{
  include: {
    session: { select: { startsAt: true; activity: { select: { name: true } }; venue: { select: { name: true } } } };
    beneficiary: { select: { firstName: true; lastName: true } };
    member: { select: { firstName: true; lastName: true; email: true } };
  };
}>>>[number];

function partyColumns<Row>(parties: (row: Row) => Parameters<typeof invoiceParties>[0]): Column<Row>[] {
  return [
    { header: 'Member', value: (row) => spreadsheetSafe(invoiceParties(parties(row)).memberName) },
    { header: 'Email', value: (row) => spreadsheetSafe(invoiceParties(parties(row)).memberEmail) },
    { header: 'Beneficiary', value: (row) => spreadsheetSafe(invoiceParties(parties(row)).beneficiaryName) },
  ];
}

function paymentColumns(timeZone: string): Column<PaymentRow>[] {
  return [
    { header: 'Received at', value: (p) => localTime(p.succeededAt, timeZone) },
    { header: 'Payment', value: (p) => p.id },
    { header: 'Method', value: (p) => p.method },
    { header: 'Amount', value: (p) => centsToDecimal(p.amountCents) },
    { header: 'Refunded', value: (p) => centsToDecimal(p.refundedCents) },
    { header: 'Currency', value: (p) => p.order.currency },
    { header: 'Reference', value: (p) => spreadsheetSafe(p.reference) },
    { header: 'Order', value: (p) => globalId('Order', p.order.id) },
    { header: 'Invoice number', value: (p) => p.order.invoiceNumber ?? '' },
    ...partyColumns<PaymentRow>((p) => p.order),
  ];
}

function orderColumns(timeZone: string): Column<OrderRow>[] {
  return [
    { header: 'Ordered at', value: (o) => localTime(o.createdAt, timeZone) },
    { header: 'Order', value: (o) => globalId('Order', o.id) },
    { header: 'Status', value: (o) => o.status },
    { header: 'Item', value: (o) => spreadsheetSafe(o.offer?.name ?? (o.session ? `${o.session.activity.name} ${localTime(o.session.startsAt, timeZone)}` : '')) },
    { header: 'Renewal period', value: (o) => (o.periodIndex !== null ? o.periodIndex + 1 : '') },
    { header: 'Subtotal', value: (o) => centsToDecimal(o.subtotalCents) },
    { header: 'Discount', value: (o) => centsToDecimal(o.discountCents) },
    { header: 'Total', value: (o) => centsToDecimal(o.totalCents) },
    { header: 'Paid', value: (o) => centsToDecimal(o.paidCents) },
    { header: 'Due', value: (o) => centsToDecimal(amountDue(o)) },
    { header: 'Currency', value: (o) => o.currency },
    { header: 'Invoice number', value: (o) => o.invoiceNumber ?? '' },
    { header: 'Paid at', value: (o) => localTime(o.paidAt, timeZone) },
    ...partyColumns<OrderRow>((o) => o),
  ];
}

function bookingColumns(timeZone: string): Column<BookingRow>[] {
  return [
    { header: 'Session starts at', value: (b) => localTime(b.session.startsAt, timeZone) },
    { header: 'Activity', value: (b) => spreadsheetSafe(b.session.activity.name) },
    { header: 'Venue', value: (b) => spreadsheetSafe(b.session.venue.name) },
    { header: 'Booking', value: (b) => globalId('Booking', b.id) },
    { header: 'Status', value: (b) => b.status },
    { header: 'Beneficiary', value: (b) => spreadsheetSafe(`${b.beneficiary.firstName} ${b.beneficiary.lastName}`.trim()) },
    { header: 'Member', value: (b) => spreadsheetSafe(`${b.member.firstName} ${b.member.lastName}`.trim()) },
    { header: 'Email', value: (b) => spreadsheetSafe(b.member.email) },
    { header: 'Booked at', value: (b) => localTime(b.createdAt, timeZone) },
    { header: 'Cancelled at', value: (b) => localTime(b.cancelledAt, timeZone) },
    { header: 'Attendance taken at', value: (b) => localTime(b.attendanceAt, timeZone) },
  ];
}

/** The header, then the rows of an export as CSV records, read lazily batch by batch. */
async function* records<Row>(rows: AsyncIterable<Row>, columns: Column<Row>[]): AsyncGenerator<(string | number)[]> {
  yield columns.map((column) => column.header);
  for await (const row of rows) yield columns.map((column) => column.value(row));
}

function exportSource(kind: CsvExportKind, organizationId: string, period: LocalPeriod, timeZone: string) {
  switch (kind) {
    case 'payments': {
      const columns = paymentColumns(timeZone);
      return records(paymentRows(organizationId, period), columns);
    }
    case 'orders': {
      const columns = orderColumns(timeZone);
      return records(orderRows(organizationId, period), columns);
    }
    case 'bookings': {
      const columns = bookingColumns(timeZone);
      return records(bookingRows(organizationId, period), columns);
    }
  }
}

const EXPORT_PATH = /^\/exports\/([^/?]+)\/(orders|payments|bookings)\.csv(?:\?(.*))?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /exports/<organization id>/<orders|payments|bookings>.csv?token=…`: the export the token
 * grants, streamed. No token, or an expired one: 401 (ask staff for a new link). A token that is
 * not one (forged, altered), for another organisation or export, or of someone no longer staff
 * there: 403. An unknown organisation: 404. Returns false for any other path.
 */
export async function serveCsvExport(url: string, res: ServerResponse, clock: Clock): Promise<boolean> {
  const match = EXPORT_PATH.exec(url);
  if (!match) return false;
  const refuse = (status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${text}\n`);
    return true;
  };
  let organizationId: string;
  try {
    const { typename, id } = decodeGlobalID(decodeURIComponent(match[1]!));
    if (typename !== 'Organization' || !UUID.test(id)) return refuse(404, 'Not found');
    organizationId = id.toLowerCase();
  } catch {
    return refuse(404, 'Not found');
  }
  const kind = match[2] as CsvExportKind;
  const token = new URLSearchParams(match[3] ?? '').get('token');
  if (!token) return refuse(401, 'This export link needs its token.');
  const grant = await readCsvExportToken(token, clock.now());
  if (grant === 'expired') return refuse(401, 'This export link has expired: ask for a new one.');
  if (!grant || grant.organizationId !== organizationId || grant.kind !== kind) return refuse(403, 'This export link is not valid.');
  const organization = await prisma.organization.findUnique({ where: { id: organizationId }, select: { slug: true, timeZone: true } });
  if (!organization) return refuse(404, 'Not found');
  if (!(await isStaff(grant.staffId, organizationId))) return refuse(403, 'This export link is not valid.');
  let period: LocalPeriod;
  try {
    period = localPeriod(new Date(`${grant.from}T00:00:00Z`), new Date(`${grant.to}T00:00:00Z`), organization.timeZone);
  } catch {
    return refuse(403, 'This export link is not valid.');
  }

  const source = exportSource(kind, organizationId, period, organization.timeZone);
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${organization.slug}-${kind}-${grant.from}-${grant.to}.csv"`,
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  try {
    // A byte-order mark, so spreadsheets read the accents of names as UTF-8.
    await pipeline(Readable.from(source), stringify({ bom: true }), res);
    logger.debug({ organizationId, kind, staffId: grant.staffId }, 'CSV export served');
  } catch (error) {
    // Headers are sent: a client that went away, or a failure half-way, ends the response cut short.
    logger.warn({ organizationId, kind, err: error instanceof Error ? error.message : String(error) }, 'CSV export interrupted');
    res.destroy();
  }
  return true;
}
