import { invoiceUrl } from '../../services/order/invoices.js';
import { builder } from '../builder.js';

// Invoices (003 §3.4, SPEC §7): a PDF per paid order, downloadable without logging in.

builder.prismaObjectField('Order', 'invoiceUrl', (t) =>
  t.string({
    nullable: true,
    description:
      'Where to download the invoice PDF (prices tax included), null until the order is paid. The link carries a signed token, so it also works from an email without logging in.',
    select: { id: true, invoiceNumber: true, paidAt: true },
    resolve: (order) => invoiceUrl(order),
  }),
);
