import { describe, expect, it } from 'vitest';
import { claimDeadline, freedSeatGoesTo, offerExpiresAt, waitlistOpen, type WaitlistSettings } from '../../src/domain/waitlist.js';

const at = (iso: string) => new Date(iso);
const settings = (overrides: Partial<WaitlistSettings> = {}): WaitlistSettings => ({
  waitlistPolicy: 'FIRST_CLICK_WINS',
  waitlistClaimDeadlineHours: 12,
  waitlistOfferWindowMinutes: 60,
  ...overrides,
});

describe('claim deadline (002: claims close 12 hours before the session)', () => {
  it.each([
    ['002: 12 h before a 19:00 class', '2027-03-10T18:00:00Z', 12, '2027-03-10T06:00:00Z'],
    ['a 0 h deadline: until the start', '2027-03-10T18:00:00Z', 0, '2027-03-10T18:00:00Z'],
    // Spring change in Paris (28 March 2027, 01:00Z): 12 elapsed hours, not 12 wall-clock hours.
    ['across the spring change, elapsed hours', '2027-03-28T08:00:00Z', 12, '2027-03-27T20:00:00Z'],
  ])('%s', (_name, startsAt, hours, expected) => {
    expect(claimDeadline({ startsAt: at(startsAt) }, { waitlistClaimDeadlineHours: hours }).toISOString()).toBe(at(expected).toISOString());
  });

  it.each([
    ['a minute before the deadline', 'SCHEDULED', '2027-03-10T05:59:00Z', true],
    ['exactly at the deadline', 'SCHEDULED', '2027-03-10T06:00:00Z', false],
    ['after it', 'SCHEDULED', '2027-03-10T12:00:00Z', false],
    ['a cancelled session', 'CANCELLED', '2027-03-01T00:00:00Z', false],
  ])('the waitlist is open %s: %s → %s', (_name, status, now, open) => {
    expect(waitlistOpen({ status, startsAt: at('2027-03-10T18:00:00Z') }, settings(), at(now))).toBe(open);
  });
});

describe('where a freed seat goes (SPEC §6)', () => {
  it.each([
    ['002 default: everyone waiting is offered the seat', 'FIRST_CLICK_WINS', 3, 0, true, 'OFFER_ALL'],
    ['auto-promote: the first in line is booked', 'AUTO_PROMOTE', 3, 0, true, 'PROMOTE_FIRST'],
    ['one at a time: the first in line gets a window', 'ONE_AT_A_TIME', 3, 0, true, 'OFFER_NEXT'],
    ['nobody waits: anyone may book it', 'FIRST_CLICK_WINS', 0, 0, true, 'PUBLIC'],
    ['as many seats already offered as people waiting', 'FIRST_CLICK_WINS', 2, 2, true, 'PUBLIC'],
    ['more people waiting than seats offered', 'FIRST_CLICK_WINS', 3, 2, true, 'OFFER_ALL'],
    ['claims closed', 'AUTO_PROMOTE', 3, 0, false, 'PUBLIC'],
  ] as const)('%s', (_name, policy, waiting, openRounds, open, expected) => {
    expect(freedSeatGoesTo({ waitlistPolicy: policy }, { waiting, openRounds, open })).toBe(expected);
  });
});

describe('how long an offer stays open', () => {
  const session = { startsAt: at('2027-03-10T18:00:00Z') };
  it.each([
    ['first click wins: until claims close', settings(), '2027-03-09T10:00:00Z', '2027-03-10T06:00:00Z'],
    ['one at a time: the window', settings({ waitlistPolicy: 'ONE_AT_A_TIME', waitlistOfferWindowMinutes: 30 }), '2027-03-09T10:00:00Z', '2027-03-09T10:30:00Z'],
    [
      'one at a time near the deadline: never past it',
      settings({ waitlistPolicy: 'ONE_AT_A_TIME', waitlistOfferWindowMinutes: 60 }),
      '2027-03-10T05:30:00Z',
      '2027-03-10T06:00:00Z',
    ],
  ])('%s', (_name, policy, now, expected) => {
    expect(offerExpiresAt(policy, session, at(now)).toISOString()).toBe(at(expected).toISOString());
  });
});
