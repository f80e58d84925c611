import type { WaitlistPolicy } from '../generated/prisma/enums.js';
import { hoursBefore } from './time.js';

// Waitlist rules (SPEC §6, seed 002, 003 §7): who gets a freed seat, and until when.

export interface WaitlistSettings {
  waitlistPolicy: WaitlistPolicy;
  /** Claims close this many elapsed hours before the start (002: 12). */
  waitlistClaimDeadlineHours: number;
  /** ONE_AT_A_TIME: how long each member in turn has to claim. */
  waitlistOfferWindowMinutes: number;
}

/** When claims close and every remaining entry is released. */
export function claimDeadline(session: { startsAt: Date }, settings: Pick<WaitlistSettings, 'waitlistClaimDeadlineHours'>): Date {
  return hoursBefore(session.startsAt, settings.waitlistClaimDeadlineHours);
}

/** Whether members can still join, and freed seats still go to the waitlist. */
export function waitlistOpen(
  session: { status: string; startsAt: Date },
  settings: Pick<WaitlistSettings, 'waitlistClaimDeadlineHours'>,
  now: Date,
): boolean {
  return session.status === 'SCHEDULED' && now.getTime() < claimDeadline(session, settings).getTime();
}

/**
 * What a freed seat becomes, given how many people wait and how many freed seats are already
 * being offered to them:
 * - PUBLIC: nobody (else) waits, or claims are closed: the seat is bookable by anyone;
 * - OFFER_ALL (FIRST_CLICK_WINS, the default, 002): every waiting member gets an offer at once,
 *   and the first to claim wins;
 * - PROMOTE_FIRST (AUTO_PROMOTE): the first in line is booked at once with the held credit;
 * - OFFER_NEXT (ONE_AT_A_TIME): the first in line gets an offer for a window, then the next.
 */
export function freedSeatGoesTo(
  settings: Pick<WaitlistSettings, 'waitlistPolicy'>,
  state: { waiting: number; openRounds: number; open: boolean },
): 'PUBLIC' | 'OFFER_ALL' | 'PROMOTE_FIRST' | 'OFFER_NEXT' {
  if (!state.open || state.waiting <= state.openRounds) return 'PUBLIC';
  if (settings.waitlistPolicy === 'AUTO_PROMOTE') return 'PROMOTE_FIRST';
  return settings.waitlistPolicy === 'ONE_AT_A_TIME' ? 'OFFER_NEXT' : 'OFFER_ALL';
}

/** Until when an offer can be claimed: the claim deadline, or a member's window in turn. */
export function offerExpiresAt(settings: WaitlistSettings, session: { startsAt: Date }, now: Date): Date {
  const deadline = claimDeadline(session, settings);
  if (settings.waitlistPolicy !== 'ONE_AT_A_TIME') return deadline;
  const window = new Date(now.getTime() + settings.waitlistOfferWindowMinutes * 60_000);
  return window.getTime() < deadline.getTime() ? window : deadline;
}
