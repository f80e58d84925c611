// Links sent to members point at the frontend, under PUBLIC_URL (set once at start).

let base = 'http://localhost:4000';

export function configureLinks(publicUrl: string): void {
  base = publicUrl.replace(/\/+$/, '');
}

/** Where a member claims a freed seat (the frontend calls `claimWaitlistOffer` with the id). */
export function claimLink(offerId: string): string {
  return `${base}/waitlist-offers/${encodeURIComponent(offerId)}`;
}
