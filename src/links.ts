import { encodeGlobalID } from '@pothos/plugin-relay';

// Links sent to members point at the frontend, under PUBLIC_URL (set once at start).

let base = 'http://localhost:4000';

export function configureLinks(publicUrl: string): void {
  base = publicUrl.replace(/\/+$/, '');
}

/**
 * Where a member claims a freed seat: the frontend page takes the offer's global ID (the one
 * `claimWaitlistOffer` expects) from the path.
 */
export function claimLink(offerId: string): string {
  return `${base}/waitlist-offers/${encodeURIComponent(encodeGlobalID('WaitlistOffer', offerId))}`;
}

/** Where a member pays an order once staff unlocked it (001: "le lien de paiement par mail"). */
export function paymentLink(orderId: string): string {
  return `${base}/orders/${encodeURIComponent(encodeGlobalID('Order', orderId))}/pay`;
}

/** A PAID order's invoice PDF, served by this server (`GET /invoices/<id>.pdf`); the token signs it. */
export function invoiceLink(orderId: string, token: string): string {
  return `${base}/invoices/${encodeURIComponent(encodeGlobalID('Order', orderId))}.pdf?token=${encodeURIComponent(token)}`;
}

/** Where a member sets a new password (reset, or the first one of an account made by staff). */
export function passwordLink(token: string): string {
  return `${base}/reset-password?token=${encodeURIComponent(token)}`;
}

/** The member's personal-data export (`GET /exports/me.json`), served by this server; the token names the member. */
export function personalDataExportLink(token: string): string {
  return `${base}/exports/me.json?token=${encodeURIComponent(token)}`;
}

/** A staff CSV export (`GET /exports/<organization id>/<kind>.csv`), served by this server; the token signs it. */
export function csvExportLink(organizationId: string, kind: string, token: string): string {
  return `${base}/exports/${encodeURIComponent(encodeGlobalID('Organization', organizationId))}/${kind}.csv?token=${encodeURIComponent(token)}`;
}

/** A member's calendar feed (`GET /calendars/members/<feed id>.<signature>.ics`); the signature makes it secret. */
export function memberCalendarLink(feedId: string, signature: string): string {
  return `${base}/calendars/members/${feedId}.${signature}.ics`;
}

/** A venue's public timetable (`GET /calendars/venues/<venue id>.ics`). */
export function venueCalendarLink(venueId: string): string {
  return `${base}/calendars/venues/${encodeURIComponent(encodeGlobalID('Venue', venueId))}.ics`;
}
