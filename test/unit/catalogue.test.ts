import { describe, expect, it } from 'vitest';
import type { OfferKind } from '../../src/generated/prisma/enums.js';
import {
  type ActivityInput,
  defaultCredits,
  MAX_CAPACITY,
  MAX_NOTICE_HOURS,
  MAX_SESSION_HOURS,
  type OfferInput,
  type SessionInput,
  validateActivity,
  validateCoach,
  validateOffer,
  validateSession,
  validateVenue,
  type VenueInput,
} from '../../src/domain/catalogue.js';
import { issuePairs, issuesOf } from './issues-of.js';

const HOUR = 3_600_000;
const now = new Date('2026-06-01T10:00:00.000Z');
const start = new Date('2026-06-02T09:00:00.000Z');
const at = (offsetMs: number) => new Date(start.getTime() + offsetMs);

describe('validateSession', () => {
  const session = (patch: Partial<SessionInput> = {}): SessionInput => ({
    startsAt: start,
    endsAt: at(HOUR),
    capacity: 12,
    priceCents: 1500,
    ...patch,
  });

  it.each<[string, Partial<SessionInput>, [string, string][]]>([
    ['a one-hour session tomorrow', {}, []],
    ['a session starting exactly now', { startsAt: now, endsAt: new Date(now.getTime() + HOUR) }, []],
    ['a free session (price 0)', { priceCents: 0 }, []],
    ['no price', { priceCents: null }, []],
    ['capacity 0', { capacity: 0 }, []],
    ['capacity at the maximum', { capacity: MAX_CAPACITY }, []],
    ['exactly the longest duration', { endsAt: at(MAX_SESSION_HOURS * HOUR) }, []],
    ['end before start', { endsAt: at(-HOUR) }, [['endsAt', 'validation.endBeforeStart']]],
    ['end equal to start', { endsAt: start }, [['endsAt', 'validation.endBeforeStart']]],
    [
      'start one millisecond before now',
      { startsAt: new Date(now.getTime() - 1), endsAt: new Date(now.getTime() + HOUR) },
      [['startsAt', 'validation.startInPast']],
    ],
    ['negative capacity', { capacity: -1 }, [['capacity', 'validation.nonNegative']]],
    ['capacity over the maximum', { capacity: MAX_CAPACITY + 1 }, [['capacity', 'validation.tooLarge']]],
    ['one millisecond over the longest duration', { endsAt: at(MAX_SESSION_HOURS * HOUR + 1) }, [['endsAt', 'validation.sessionTooLong']]],
    ['a week long', { endsAt: at(7 * 24 * HOUR) }, [['endsAt', 'validation.sessionTooLong']]],
    ['negative price', { priceCents: -1 }, [['priceCents', 'validation.nonNegative']]],
  ])('%s gives %j', (_name, patch, expected) => {
    expect(issuePairs(() => validateSession(session(patch), now))).toEqual(expected);
  });

  it('judges "in the past" against the given now, not the clock', () => {
    const longAgo = { startsAt: new Date('2001-01-01T09:00:00Z'), endsAt: new Date('2001-01-01T10:00:00Z'), capacity: 5 };
    expect(issuePairs(() => validateSession(longAgo, new Date('2000-12-31T00:00:00Z')))).toEqual([]);
    expect(issuePairs(() => validateSession(longAgo, now))).toEqual([['startsAt', 'validation.startInPast']]);
  });

  it('reports every problem at once, in field order, with the limits as params', () => {
    const issues = issuesOf(() =>
      validateSession({ startsAt: new Date(now.getTime() - HOUR), endsAt: new Date(now.getTime() - 2 * HOUR), capacity: -3, priceCents: -100 }, now),
    );
    expect(issues.map((i) => i.field[0])).toEqual(['startsAt', 'endsAt', 'capacity', 'priceCents']);
    expect(issuesOf(() => validateSession(session({ capacity: 20_000 }), now))[0]?.params).toEqual({ max: 10_000 });
    expect(issuesOf(() => validateSession(session({ endsAt: at(25 * HOUR) }), now))[0]?.params).toEqual({ hours: 24 });
  });
});

describe('validateActivity', () => {
  const activity = (patch: Partial<ActivityInput> = {}): ActivityInput => ({
    name: 'Bébés nageurs',
    audience: 'CHILD',
    minAgeMonths: 6,
    maxAgeMonths: 36,
    cancellationNoticeHours: 24,
    ...patch,
  });

  it.each<[string, Partial<ActivityInput>, [string, string][]]>([
    ['a valid activity', {}, []],
    ['no age bounds', { minAgeMonths: null, maxAgeMonths: null }, []],
    ['only a minimum age', { maxAgeMonths: null }, []],
    ['equal ages', { minAgeMonths: 12, maxAgeMonths: 12 }, []],
    ['no notice', { cancellationNoticeHours: 0 }, []],
    ['the longest notice', { cancellationNoticeHours: MAX_NOTICE_HOURS }, []],
    ['minimum age above maximum', { minAgeMonths: 48, maxAgeMonths: 36 }, [['maxAgeMonths', 'validation.ageRange']]],
    ['negative minimum age', { minAgeMonths: -1 }, [['minAgeMonths', 'validation.nonNegative']]],
    ['negative maximum age', { minAgeMonths: null, maxAgeMonths: -1 }, [['maxAgeMonths', 'validation.nonNegative']]],
    ['negative notice', { cancellationNoticeHours: -1 }, [['cancellationNoticeHours', 'validation.nonNegative']]],
    ['notice over a month', { cancellationNoticeHours: MAX_NOTICE_HOURS + 1 }, [['cancellationNoticeHours', 'validation.tooLarge']]],
    ['blank name', { name: '  ' }, [['name', 'validation.required']]],
    ['name over 200 characters', { name: 'n'.repeat(201) }, [['name', 'validation.tooLong']]],
  ])('%s gives %j', (_name, patch, expected) => {
    expect(issuePairs(() => validateActivity(activity(patch)))).toEqual(expected);
  });

  it('says the notice limit is a month of hours', () => {
    expect(MAX_NOTICE_HOURS).toBe(744);
    expect(issuesOf(() => validateActivity(activity({ cancellationNoticeHours: 745 })))[0]?.params).toEqual({ max: 744 });
  });
});

describe('defaultCredits', () => {
  it.each<[OfferKind, number | null]>([
    ['SINGLE', 1],
    ['DISCOVERY', 1],
    ['PRIVATE', 1],
    ['PACK', null],
    ['SUBSCRIPTION', null],
  ])('%s grants %j credits by default', (kind, credits) => {
    expect(defaultCredits(kind)).toBe(credits);
  });
});

describe('validateOffer', () => {
  const pack: OfferInput = { kind: 'PACK', name: '10 cours', priceCents: 15_000, credits: 10, validityDays: 180 };
  const subscription: OfferInput = { kind: 'SUBSCRIPTION', name: 'Mensuel', priceCents: 6_000, credits: 8, period: 'MONTH' };

  it.each<[string, OfferInput, [string, string][]]>([
    ['a pack', pack, []],
    ['a subscription', subscription, []],
    ['a subscription with rollover cap and validity', { ...subscription, rolloverCapMultiplier: 2, validityDays: 365 }, []],
    ['a single class without credits (defaults to 1)', { kind: 'SINGLE', name: 'Cours', priceCents: 2_000, validityDays: 30 }, []],
    ['a discovery class without credits', { kind: 'DISCOVERY', name: 'Essai', priceCents: 0, validityDays: 30 }, []],
    ['a private lesson without credits', { kind: 'PRIVATE', name: 'Privé', priceCents: 5_000, validityDays: 30 }, []],
    ['a subscription without period', { ...subscription, period: null }, [['period', 'validation.subscriptionPeriod']]],
    ['a subscription without credits', { ...subscription, credits: null }, [['credits', 'validation.required']]],
    ['a pack without validityDays', { ...pack, validityDays: null }, [['validityDays', 'validation.validityDays']]],
    ['a single class without validityDays', { kind: 'SINGLE', name: 'Cours', priceCents: 2_000 }, [['validityDays', 'validation.validityDays']]],
    ['a pack without credits', { ...pack, credits: undefined }, [['credits', 'validation.required']]],
    ['a period on a pack', { ...pack, period: 'MONTH' }, [['period', 'validation.fieldNotForKind']]],
    ['a rollover cap on a pack', { ...pack, rolloverCapMultiplier: 2 }, [['rolloverCapMultiplier', 'validation.fieldNotForKind']]],
    ['a rollover cap of 0 on a subscription', { ...subscription, rolloverCapMultiplier: 0 }, [['rolloverCapMultiplier', 'validation.positive']]],
    ['a pack of 0 credits', { ...pack, credits: 0 }, [['credits', 'validation.positive']]],
    ['a pack of -5 credits', { ...pack, credits: -5 }, [['credits', 'validation.positive']]],
    ['a single class of 0 credits', { kind: 'SINGLE', name: 'Cours', priceCents: 2_000, credits: 0, validityDays: 30 }, [['credits', 'validation.positive']]],
    ['0 validity days', { ...pack, validityDays: 0 }, [['validityDays', 'validation.positive']]],
    ['a negative price', { ...pack, priceCents: -1 }, [['priceCents', 'validation.nonNegative']]],
    ['a blank name', { ...pack, name: '' }, [['name', 'validation.required']]],
    ['10 years of validity (the most)', { ...pack, validityDays: 3_660 }, []],
    ['more than 10 years of validity', { ...pack, validityDays: 3_661 }, [['validityDays', 'validation.tooLarge']]],
    ['2³¹−1 validity days (would make an invalid date)', { ...pack, validityDays: 2_147_483_647 }, [['validityDays', 'validation.tooLarge']]],
    ['10 000 credits (the most)', { ...pack, credits: 10_000 }, []],
    ['10 001 credits', { ...pack, credits: 10_001 }, [['credits', 'validation.tooLarge']]],
    ['a price over 1 000 000 €', { ...pack, priceCents: 100_000_001 }, [['priceCents', 'validation.tooLarge']]],
    ['a 12-period commitment on a subscription', { ...subscription, commitmentPeriods: 12 }, []],
    ['a 121-period commitment', { ...subscription, commitmentPeriods: 121 }, [['commitmentPeriods', 'validation.tooLarge']]],
    ['a negative commitment', { ...subscription, commitmentPeriods: -1 }, [['commitmentPeriods', 'validation.nonNegative']]],
    ['a commitment on a pack', { ...pack, commitmentPeriods: 3 }, [['commitmentPeriods', 'validation.fieldNotForKind']]],
  ])('%s gives %j', (_name, input, expected) => {
    expect(issuePairs(() => validateOffer(input))).toEqual(expected);
  });
});

describe('validateVenue', () => {
  const venue: VenueInput = { name: 'Piscine Pailleron', address: '32 rue Édouard Pailleron', city: 'Paris', latitude: 48.88, longitude: 2.38 };

  it.each<[string, Partial<VenueInput>, [string, string][]]>([
    ['a venue in Paris', {}, []],
    ['the poles and the antimeridian', { latitude: -90, longitude: 180 }, []],
    ['the other bounds', { latitude: 90, longitude: -180 }, []],
    ['latitude over 90', { latitude: 90.0001 }, [['latitude', 'validation.latitude']]],
    ['latitude under -90', { latitude: -91 }, [['latitude', 'validation.latitude']]],
    ['longitude over 180', { longitude: 180.5 }, [['longitude', 'validation.longitude']]],
    ['longitude under -180', { longitude: -181 }, [['longitude', 'validation.longitude']]],
    ['latitude and longitude swapped out of range', { latitude: 120, longitude: 48 }, [['latitude', 'validation.latitude']]],
    ['NaN coordinates', { latitude: Number.NaN, longitude: Number.NaN }, [['latitude', 'validation.latitude'], ['longitude', 'validation.longitude']]],
    ['a blank name', { name: '   ' }, [['name', 'validation.required']]],
    ['a blank address and city', { address: '', city: ' ' }, [['address', 'validation.required'], ['city', 'validation.required']]],
    ['an address of 500 characters', { address: 'a'.repeat(500) }, []],
    ['an address over 500 characters', { address: 'a'.repeat(501) }, [['address', 'validation.tooLong']]],
  ])('%s gives %j', (_name, patch, expected) => {
    expect(issuePairs(() => validateVenue({ ...venue, ...patch }))).toEqual(expected);
  });
});

describe('validateCoach', () => {
  it.each([
    ['Camille', []],
    ['   ', [['displayName', 'validation.required']]],
    ['x'.repeat(100), []],
    ['x'.repeat(101), [['displayName', 'validation.tooLong']]],
  ])('%j gives %j', (displayName, expected) => {
    expect(issuePairs(() => validateCoach({ displayName }))).toEqual(expected);
  });
});
