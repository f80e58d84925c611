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
