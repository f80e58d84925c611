import { countedPayments } from '../../domain/orders.js';
import type { ServerResponse } from 'node:http';
import { decodeGlobalID } from '@pothos/plugin-relay';
import PDFDocument from 'pdfkit';
import { signInvoiceToken, verifyInvoiceToken } from '../../auth/tokens.js';
import { prisma } from '../../db/client.js';
import { formatMoney } from '../../domain/orders.js';
import type { OrderStatus, PaymentMethod } from '../../generated/prisma/enums.js';
import { invoiceLink } from '../../links.js';
import { logger } from '../../logger.js';

// Invoices (003 §3.4, SPEC §7): every paid order has a PDF invoice, numbered in its organisation's
// sequence, downloadable from `Order.invoiceUrl` or an email without logging in: the link carries
// a token signed with the server's secret for that order only. Prices include tax (TTC).

/** The invoice link of an order, or null until it is paid (it has no invoice number before). */
export async function invoiceUrl(order: { id: string; invoiceNumber: number | null; paidAt: Date | null }): Promise<string | null> {
  if (order.invoiceNumber === null || !order.paidAt) return null;
  return invoiceLink(order.id, await signInvoiceToken(order.id, order.paidAt));
}

/** Everything an invoice shows, gathered from the order. */
export interface InvoiceData {
  organizationName: string;
  timeZone: string;
  invoiceNumber: number;
  issuedAt: Date;
  status: OrderStatus;
  refundedAt: Date | null;
  currency: string;
  memberName: string;
  memberEmail: string;
  beneficiaryName: string;
  line: string;
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
  promoCode: string | null;
  payments: { method: PaymentMethod; amountCents: number; at: Date; reference: string | null }[];
}

/**
 * Who an invoice names. The snapshot an erasure copies onto the order (SPEC §10) comes first, so
 * that the invoice the law keeps reads as it was issued; otherwise the member's and beneficiary's
 * current names. The erasure writes the snapshot with this same function.
 */
export function invoiceParties(order: {
  invoiceMemberName: string | null;
  invoiceMemberEmail: string | null;
  invoiceBeneficiaryName: string | null;
  member: { firstName: string; lastName: string; email: string };
  beneficiary: { firstName: string; lastName: string };
}): { memberName: string; memberEmail: string; beneficiaryName: string } {
  return {
    memberName: order.invoiceMemberName ?? `${order.member.firstName} ${order.member.lastName}`.trim(),
    memberEmail: order.invoiceMemberEmail ?? order.member.email,
    beneficiaryName: order.invoiceBeneficiaryName ?? `${order.beneficiary.firstName} ${order.beneficiary.lastName}`.trim(),
  };
}

export async function loadInvoice(orderId: string): Promise<InvoiceData | null> {
  const order = await prisma.order.findUnique({
    where: { id: orderId },
    include: {
      organization: { select: { name: true, timeZone: true } },
      member: { select: { firstName: true, lastName: true, email: true } },
      beneficiary: { select: { firstName: true, lastName: true } },
      offer: { select: { name: true, credits: true, kind: true } },
      promoCode: { select: { code: true } },
      payments: { where: { status: 'SUCCEEDED' }, orderBy: [{ succeededAt: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }] },
    },
  });
  if (!order || order.invoiceNumber === null || !order.paidAt) return null;
  const period = order.periodIndex !== null ? ` (période ${order.periodIndex + 1})` : '';
  const line = order.offer
    ? `${order.offer.name}${period}${order.offer.kind === 'SUBSCRIPTION' ? '' : ` : ${order.offer.credits} séance${order.offer.credits > 1 ? 's' : ''}`}`
    : 'Séance';
  return {
    organizationName: order.organization.name,
    timeZone: order.organization.timeZone,
    invoiceNumber: order.invoiceNumber,
    issuedAt: order.paidAt,
    status: order.status,
    refundedAt: order.refundedAt,
    currency: order.currency,
    ...invoiceParties(order),
    line,
    subtotalCents: order.subtotalCents,
    discountCents: order.discountCents,
    totalCents: order.totalCents,
    promoCode: order.promoCode?.code ?? null,
    payments: countedPayments(order.payments, order.totalCents).map((payment) => ({
      method: payment.method,
      amountCents: payment.amountCents,
      at: payment.succeededAt ?? payment.createdAt,
      reference: payment.reference,
    })),
  };
}


const METHOD_LABELS: Record<PaymentMethod, string> = {
  CARD: 'Carte bancaire',
  SEPA_DEBIT: 'Prélèvement SEPA',
  CASH: 'Espèces',
  CHEQUE: 'Chèque',
  ANCV: 'Chèques-vacances ANCV',
  SPORT_PASS: "Pass'Sport / aide au sport",
  CREDIT_NOTE: 'Avoir',
};

/** PDF's standard fonts speak WinAnsi: Intl's narrow and no-break spaces become plain spaces. */
function plain(text: string): string {
  return text.replace(/[\u00a0\u202f]/g, ' ');
}

/** Renders the invoice (in French: the organisations invoice in France, prices TTC). */
export function renderInvoicePdf(invoice: InvoiceData, options: { compress?: boolean } = {}): Promise<Buffer> {
  const money = (cents: number) => plain(formatMoney(cents, invoice.currency, 'fr'));
  const date = (at: Date) => new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: invoice.timeZone }).format(at);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    compress: options.compress ?? true,
    info: { Title: `Facture n° ${invoice.invoiceNumber}`, Author: invoice.organizationName },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const amountX = left + width - 140;
  const row = (label: string, amount: string, bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').text(label, left, y, { width: width - 150 });
    const after = doc.y;
    doc.text(amount, amountX, y, { width: 140, align: 'right' });
    doc.y = Math.max(after, doc.y);
  };

  doc.font('Helvetica-Bold').fontSize(16).text(plain(invoice.organizationName));
  doc.moveDown(1.5);
  doc.fontSize(20).text(`Facture n° ${invoice.invoiceNumber}`);
  doc.font('Helvetica').fontSize(11).text(`Date : ${date(invoice.issuedAt)}`);
  doc.moveDown();
  doc.text(`Client : ${plain(invoice.memberName)} (${invoice.memberEmail})`);
  doc.text(`Bénéficiaire : ${plain(invoice.beneficiaryName)}`);
  doc.moveDown(1.5);

  row('Désignation', 'Montant TTC', true);
  doc.moveTo(left, doc.y + 2).lineTo(left + width, doc.y + 2).stroke();
  doc.moveDown(0.5);
  row(plain(invoice.line), money(invoice.subtotalCents));
  if (invoice.discountCents > 0) {
    row(invoice.promoCode ? `Remise (code ${invoice.promoCode})` : 'Remise', `- ${money(invoice.discountCents)}`);
  }
  doc.moveDown(0.5);
  row('Sous-total', money(invoice.subtotalCents));
  row('Total TTC', money(invoice.totalCents), true);
  doc.font('Helvetica').fontSize(9).text('TVA incluse : les prix sont indiqués toutes taxes comprises.', left);
  doc.fontSize(11).moveDown(1.5);

  doc.font('Helvetica-Bold').text('Règlements', left);
  doc.moveDown(0.3);
  for (const payment of invoice.payments) {
    const reference = payment.reference ? ` (${plain(payment.reference)})` : '';
    row(`${date(payment.at)} : ${METHOD_LABELS[payment.method]}${reference}`, money(payment.amountCents));
  }
  if (invoice.status === 'REFUNDED' && invoice.refundedAt) {
    doc.moveDown().font('Helvetica-Oblique').text(`Commande remboursée le ${date(invoice.refundedAt)} (rétractation).`, left);
  }
  doc.end();
  return done;
}

const INVOICE_PATH = /^\/invoices\/([^/?]+)\.pdf(?:\?(.*))?$/;

/**
 * `GET /invoices/<order global id>.pdf?token=…`: the invoice PDF of a paid order. A wrong or
 * missing token, an unknown or unpaid order: 404, without saying which. Returns false for any
 * other path, so the caller serves it otherwise.
 */
export async function serveInvoice(url: string, res: ServerResponse): Promise<boolean> {
  const match = INVOICE_PATH.exec(url);
  if (!match) return false;
  const notFound = () => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found\n');
    return true;
  };
  let orderId: string;
  try {
    const { typename, id } = decodeGlobalID(decodeURIComponent(match[1]!));
    if (typename !== 'Order' || !/^[0-9a-f-]{36}$/i.test(id)) return notFound();
    orderId = id.toLowerCase();
  } catch {
    return notFound();
  }
  const token = new URLSearchParams(match[2] ?? '').get('token');
  if (!token || !(await verifyInvoiceToken(token, orderId))) return notFound();
  const invoice = await loadInvoice(orderId);
  if (!invoice) return notFound();
  const pdf = await renderInvoicePdf(invoice);
  res.writeHead(200, {
    'content-type': 'application/pdf',
    'content-length': pdf.length,
    'content-disposition': `inline; filename="facture-${invoice.invoiceNumber}.pdf"`,
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(pdf);
  logger.debug({ orderId }, 'invoice served');
  return true;
}
