import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  MAX_CLOSURE_DAYS,
  NEARBY_VENUE_RADIUS_KM,
  closureRange,
  closuresOverlap,
  creditNoteRefundRefusal,
  formatKm,
  moveTermination,
  openVenueWithin,
  openVenues,
  unusedCreditsCents,
  type VenueForDistance,
} from '../../src/domain/closures.js';
import { EARTH_RADIUS_KM, distanceKm, nearest } from '../../src/domain/geo.js';
import { issuePairs } from './issues-of.js';

// Closures and the 15 km rules of SPEC §11 (004 "fermeture définitive", "déménagement"): pure
// functions, with real places and points set at exact distances along a meridian.

const PARIS = 'Europe/Paris';
const at = (local: string) => DateTime.fromSQL(local, { zone: PARIS }).toJSDate();
const date = (iso: string) => new Date(`${iso}T00:00:00.000Z`);

/** A point `km` north of `from` (along a meridian the great-circle distance is R·Δφ exactly). */
const north = (from: { latitude: number; longitude: number }, km: number) => ({
  latitude: from.latitude + (km / EARTH_RADIUS_KM) * (180 / Math.PI),
  longitude: from.longitude,
});

const NOTRE_DAME = { latitude: 48.853, longitude: 2.3499 };
const LYON_BELLECOUR = { latitude: 45.7578, longitude: 4.832 };
const LONDON = { latitude: 51.5074, longitude: -0.1278 };

const venue = (name: string, point: { latitude: number; longitude: number }, closedForGoodFrom: Date | null = null): VenueForDistance => ({
  id: name,
  name,
  ...point,
  closedForGoodFrom,
});

describe('distanceKm (great-circle, haversine)', () => {
  it('measures real distances within 0.5 % of the geodesic', () => {
    // Reference geodesic distances (WGS 84): Paris–London 343.9 km, Paris–Lyon 391.5 km.
    expect(distanceKm(NOTRE_DAME, LONDON)).toBeGreaterThan(342);
    expect(distanceKm(NOTRE_DAME, LONDON)).toBeLessThan(346);
    expect(distanceKm(NOTRE_DAME, LYON_BELLECOUR)).toBeGreaterThan(389);
    expect(distanceKm(NOTRE_DAME, LYON_BELLECOUR)).toBeLessThan(394);
  });

  it('is exact along a meridian, symmetric, and zero at the same point', () => {
    expect(distanceKm(NOTRE_DAME, north(NOTRE_DAME, 15))).toBeCloseTo(15, 9);
    expect(distanceKm(north(NOTRE_DAME, 15), NOTRE_DAME)).toBeCloseTo(15, 9);
    expect(distanceKm(NOTRE_DAME, NOTRE_DAME)).toBe(0);
    // One degree of longitude on the equator, and antipodes (half the circumference).
    expect(distanceKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 1 })).toBeCloseTo(111.195, 3);
    expect(distanceKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
  });

  it('finds the nearest place', () => {
    const places = [venue('far', north(NOTRE_DAME, 30)), venue('near', north(NOTRE_DAME, 4)), venue('mid', north(NOTRE_DAME, 9))];
    expect(nearest(NOTRE_DAME, places)?.place.name).toBe('near');
    expect(nearest(NOTRE_DAME, [])).toBeNull();
  });
});

describe('the 15 km radius', () => {
  const now = at('2027-06-01 10:00');
  it.each([
    [14.99, true],
    [15, true],
    [15.01, false],
    [40, false],
  ])('a venue %s km away is within it: %s', (km, within) => {
    expect(openVenueWithin(NOTRE_DAME, [venue('pool', north(NOTRE_DAME, km))], NEARBY_VENUE_RADIUS_KM, now) !== null).toBe(within);
  });

  it('counts only venues open at the moment: one closed for good does not, one closing later does', () => {
    const closed = venue('closed', north(NOTRE_DAME, 2), at('2027-01-01 00:00'));
    const closingLater = venue('closing later', north(NOTRE_DAME, 3), at('2027-09-01 00:00'));
    expect(openVenues([closed, closingLater], now).map((v) => v.name)).toEqual(['closing later']);
    expect(openVenueWithin(NOTRE_DAME, [closed], 15, now)).toBeNull();
  });
});

describe('creditNoteRefundRefusal (004: refundable after the year if no venue reopened within 15 km)', () => {
  const closedPool = venue('Piscine fermée', NOTRE_DAME, at('2026-06-01 00:00'));
  const note = { fromClosure: true, expiresAt: at('2027-06-01 10:00'), remainingCents: 4500, refunded: false };
  const refusal = (overrides: Partial<typeof note>, venues: VenueForDistance[], now = at('2027-06-02 09:00')) =>
    creditNoteRefundRefusal({ note: { ...note, ...overrides }, closedVenue: closedPool, venues, radiusKm: 15, now });

  it('refunds after the year when no open venue lies within 15 km (the closed one itself does not count)', () => {
    expect(refusal({}, [closedPool, venue('Lyon', LYON_BELLECOUR)])).toBeNull();
    expect(refusal({}, [closedPool, venue('16 km', north(NOTRE_DAME, 16))])).toBeNull();
  });

  it('refuses while a venue is open within 15 km, naming the nearest and its distance', () => {
    const refused = refusal({}, [closedPool, venue('12 km', north(NOTRE_DAME, 12)), venue('Reopened 5 km', north(NOTRE_DAME, 5))]);
    expect(refused).toMatchObject({ reason: 'venueNearby', venue: { name: 'Reopened 5 km' } });
    expect(refused && 'km' in refused && refused.km).toBeCloseTo(5, 6);
  });

  it('refuses before the end of validity (to the millisecond), a used-up note, a refunded one, and any other note', () => {
    expect(refusal({}, [closedPool], at('2027-06-01 09:59:59.999'))).toEqual({ reason: 'stillValid' });
    expect(refusal({}, [closedPool], at('2027-06-01 10:00'))).toBeNull();
    expect(refusal({ remainingCents: 0 }, [closedPool])).toEqual({ reason: 'nothingLeft' });
    expect(refusal({ refunded: true }, [closedPool])).toEqual({ reason: 'alreadyRefunded' });
    expect(refusal({ fromClosure: false }, [closedPool])).toEqual({ reason: 'notClosure' });
    expect(creditNoteRefundRefusal({ note, closedVenue: null, venues: [], radiusKm: 15, now: at('2027-07-01 00:00') })).toEqual({
      reason: 'notClosure',
    });
  });
});

describe('moveTermination (004: early termination on a move when no venue lies within 15 km)', () => {
  const now = at('2027-03-10 10:00');
  const subscription = { status: 'ACTIVE', currentPeriodEnd: at('2027-03-28 00:00'), endsAt: null as Date | null };
  const pools = [venue('Notre-Dame', NOTRE_DAME), venue('Nord', north(NOTRE_DAME, 8))];

  it('ends at the next billing date, notice and commitment waived, when the new address is over 15 km from every open venue', () => {
    const decision = moveTermination({ subscription, newAddress: LYON_BELLECOUR, venues: pools, radiusKm: 15, now });
    expect(decision).toMatchObject({ ok: true, endsAt: subscription.currentPeriodEnd, nearest: { venue: { name: 'Notre-Dame' } } });
    // The notice rule had set a later end: the move brings it forward; an earlier one stays.
    expect(moveTermination({ subscription: { ...subscription, endsAt: at('2027-05-23 00:00') }, newAddress: LYON_BELLECOUR, venues: pools, radiusKm: 15, now })).toMatchObject({
      endsAt: subscription.currentPeriodEnd,
    });
    expect(moveTermination({ subscription: { ...subscription, endsAt: at('2027-03-20 00:00') }, newAddress: LYON_BELLECOUR, venues: pools, radiusKm: 15, now })).toMatchObject({
      endsAt: at('2027-03-20 00:00'),
    });
  });

  it('is refused when a venue is within 15 km of the new address, even one just opened', () => {
    const newAddress = north(NOTRE_DAME, 8 + 14.5);
    expect(moveTermination({ subscription, newAddress, venues: pools, radiusKm: 15, now })).toMatchObject({
      ok: false,
      refusal: { reason: 'venueNearby', venue: { name: 'Nord' } },
    });
    // The same move with that venue closed for good: nothing open within 15 km any more.
    const closedNord = [pools[0]!, { ...pools[1]!, closedForGoodFrom: at('2027-03-01 00:00') }];
    expect(moveTermination({ subscription, newAddress, venues: closedNord, radiusKm: 15, now })).toMatchObject({ ok: true });
    // An organisation with no open venue at all: allowed, no nearest venue.
    expect(moveTermination({ subscription, newAddress, venues: [], radiusKm: 15, now })).toMatchObject({ ok: true, nearest: null });
  });

  it('is refused for a subscription that has ended', () => {
    expect(moveTermination({ subscription: { ...subscription, status: 'TERMINATED' }, newAddress: LYON_BELLECOUR, venues: [], radiusKm: 15, now })).toEqual({
      ok: false,
      refusal: { reason: 'ended' },
    });
    expect(
      moveTermination({ subscription: { ...subscription, endsAt: at('2027-03-01 00:00') }, newAddress: LYON_BELLECOUR, venues: [], radiusKm: 15, now }),
    ).toMatchObject({ ok: false });
  });

  it('formats a distance for people', () => {
    expect(formatKm(12.345, 'fr')).toBe('12,3');
    expect(formatKm(12.345, 'en')).toBe('12.3');
  });
});

describe('closureRange', () => {
  const now = at('2026-10-20 15:00');
  const base = { from: date('2026-10-24'), until: date('2026-11-06'), definitive: false, extendValidity: true, reason: ' Vidange ' };

  it('covers whole local days, across the October DST change, and counts its days', () => {
    const range = closureRange(base, PARIS, now);
    expect(range.startsAt).toEqual(at('2026-10-24 00:00'));
    // 7 November 00:00 Paris is UTC+1 (winter time), 24 October 00:00 was UTC+2.
    expect(range.endsAt).toEqual(at('2026-11-07 00:00'));
    expect(range.endsAt!.toISOString()).toBe('2026-11-06T23:00:00.000Z');
    expect(range.startsAt.toISOString()).toBe('2026-10-23T22:00:00.000Z');
    expect(range.days).toBe(14);
    expect(range.reason).toBe('Vidange');
    expect(closureRange({ ...base, until: base.from }, PARIS, now).days).toBe(1);
  });

  it('has no end for a definitive closure', () => {
    const range = closureRange({ ...base, until: null, definitive: true, extendValidity: false }, PARIS, now);
    expect(range).toMatchObject({ endsAt: null, untilDate: null, days: null });
  });

  it.each([
    ['a start before today', { from: date('2026-10-19') }, [['from', 'validation.closureInPast']]],
    ['an end before the start', { until: date('2026-10-23') }, [['until', 'validation.closureUntilBeforeFrom']]],
    ['no end for a temporary closure', { until: null }, [['until', 'validation.required']]],
    ['an end for a definitive closure', { definitive: true, extendValidity: false }, [['until', 'validation.closureDefinitiveUntil']]],
    ['extensions for a definitive closure', { definitive: true, until: null }, [['extendValidity', 'validation.closureExtendDefinitive']]],
    ['a closure over the limit', { until: new Date(date('2026-10-24').getTime() + MAX_CLOSURE_DAYS * 86_400_000) }, [['until', 'validation.closureTooLong']]],
    ['a start too far ahead', { from: date('2029-01-01'), until: date('2029-01-02') }, [['from', 'validation.closureTooFar']]],
    ['a blank reason', { reason: '  ' }, [['reason', 'validation.required']]],
  ] as const)('refuses %s', (_name, overrides, expected) => {
    expect(issuePairs(() => closureRange({ ...base, ...overrides } as typeof base, PARIS, now))).toEqual(expected);
  });

  it('accepts today as the first day and exactly the longest closure', () => {
    expect(closureRange({ ...base, from: date('2026-10-20'), until: date('2026-10-20') }, PARIS, now).days).toBe(1);
    const longest = new Date(date('2026-10-24').getTime() + (MAX_CLOSURE_DAYS - 1) * 86_400_000);
    expect(closureRange({ ...base, until: longest }, PARIS, now).days).toBe(MAX_CLOSURE_DAYS);
  });

  it('tells overlapping ranges (end exclusive, no end runs for ever)', () => {
    const a = { startsAt: at('2026-11-01 00:00'), endsAt: at('2026-11-15 00:00') };
    expect(closuresOverlap(a, { startsAt: at('2026-11-14 00:00'), endsAt: at('2026-11-20 00:00') })).toBe(true);
    expect(closuresOverlap(a, { startsAt: at('2026-11-15 00:00'), endsAt: at('2026-11-20 00:00') })).toBe(false);
    expect(closuresOverlap(a, { startsAt: at('2026-12-01 00:00'), endsAt: null })).toBe(false);
    expect(closuresOverlap(a, { startsAt: at('2026-10-01 00:00'), endsAt: null })).toBe(true);
  });
});

describe('unusedCreditsCents (what a definitive closure gives back)', () => {
  it.each([
    ['7 of 10 credits bought 100 €', { creditsRemaining: 7, creditsGranted: 10, paidCents: 10_000 }, 7_000],
    ['rounded down to the cent', { creditsRemaining: 1, creditsGranted: 3, paidCents: 10_000 }, 3_333],
    ['nothing left', { creditsRemaining: 0, creditsGranted: 10, paidCents: 10_000 }, 0],
    ['unpaid credits', { creditsRemaining: 8, creditsGranted: 8, paidCents: 0 }, 0],
    ['never more than paid', { creditsRemaining: 12, creditsGranted: 10, paidCents: 10_000 }, 10_000],
    ['no credits granted', { creditsRemaining: 3, creditsGranted: 0, paidCents: 10_000 }, 0],
  ])('%s', (_name, lot, cents) => {
    expect(unusedCreditsCents(lot)).toBe(cents);
  });
});
