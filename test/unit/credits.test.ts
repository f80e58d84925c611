import { describe, expect, it } from 'vitest';
import type { BillingPeriod } from '../../src/generated/prisma/enums.js';
import {
  chooseCredits,
  type CreditChoice,
  type CreditLot,
  creditOrder,
  type LotAtBoundary,
  type LotFit,
  lotFit,
  packValidity,
  rollover,
  type RolloverDecision,
  type RolloverPolicy,
  type SessionToBook,
  subscriptionAnchor,
  subscriptionPeriod,
} from '../../src/domain/credits.js';

// Credit rules of SPEC §4, with the examples of 003 §9 and 004.

const HOUR = 3_600_000;
const PARIS = 'Europe/Paris';
const iso = (d: Date) => d.toISOString();

describe('packValidity', () => {
  it.each<[string, string, number, string, string]>([
    // Bought 10 January, 30 days: valid through 9 February 23:59:59 Paris, i.e. until 10 February 00:00 Paris.
    ['003 §9.1: bought 10 January at 15:00 Paris, 30 days', '2027-01-10T14:00:00Z', 30, PARIS, '2027-02-09T23:00:00.000Z'],
    ['003 §9.1: bought 10 January at 00:30 Paris (23:30Z on the 9th) counts from 10 January', '2027-01-09T23:30:00Z', 30, PARIS, '2027-02-09T23:00:00.000Z'],
    ['003 §9.1: bought 10 January at 23:59 Paris, still 10 January', '2027-01-10T22:59:00Z', 30, PARIS, '2027-02-09T23:00:00.000Z'],
    ['003 §9.1: bought 11 January at 00:30 Paris (23:30Z on the 10th) counts from 11 January', '2027-01-10T23:30:00Z', 30, PARIS, '2027-02-10T23:00:00.000Z'],
    ['004: bought 1 March, 30 days, ends at midnight summer time (across the spring change)', '2027-03-01T09:00:00Z', 30, PARIS, '2027-03-31T22:00:00.000Z'],
    ['004: bought 10 October, 30 days, ends at midnight winter time (across the fall change)', '2026-10-10T09:00:00Z', 30, PARIS, '2026-11-09T23:00:00.000Z'],
    ['003 §9.1: a one-year pack bought 10 January 2027', '2027-01-10T14:00:00Z', 365, PARIS, '2028-01-10T23:00:00.000Z'],
    ['003 §9.1: the same purchase in a UTC organisation', '2027-01-10T14:00:00Z', 30, 'UTC', '2027-02-10T00:00:00.000Z'],
  ])('%s', (_name, purchased, days, zone, until) => {
    const purchasedAt = new Date(purchased);
    const { validFrom, validUntil } = packValidity(purchasedAt, days, zone);
    expect(iso(validFrom)).toBe(iso(purchasedAt));
    expect(iso(validUntil)).toBe(until);
  });

  it('003 §9.1: a 30-day pack bought 10 January books a session at 23:30 Paris on 9 February, not one at 00:30 on 10 February', () => {
    const { validFrom, validUntil } = packValidity(new Date('2027-01-10T14:00:00Z'), 30, PARIS);
    const lot = makeLot({ validFrom, validUntil });
    const now = new Date('2027-01-20T10:00:00Z');
    expect(lotFit(lot, session({ startsAt: new Date('2027-02-09T22:30:00Z') }), 'ben-1', now)).toBe('OK');
    expect(lotFit(lot, session({ startsAt: new Date('2027-02-09T23:30:00Z') }), 'ben-1', now)).toBe('NOT_COVERED');
  });
});

describe('subscriptionAnchor', () => {
  it.each<[string, string, string, string]>([
    ['003 §9.1: billing on 15 March at 11:00 Paris is anchored at 15 March 00:00 Paris', '2027-03-15T10:00:00Z', PARIS, '2027-03-14T23:00:00.000Z'],
    ['003 §9.1: 23:30Z on 14 March is already 15 March in Paris', '2027-03-14T23:30:00Z', PARIS, '2027-03-14T23:00:00.000Z'],
    ['003 §9.1: 22:30Z on 14 March is still 14 March in Paris', '2027-03-14T22:30:00Z', PARIS, '2027-03-13T23:00:00.000Z'],
    ['003 §9.1: a summer start is anchored at midnight summer time', '2027-06-15T10:00:00Z', PARIS, '2027-06-14T22:00:00.000Z'],
    ['003 §9.1: a UTC organisation anchors at UTC midnight', '2027-03-15T10:00:00Z', 'UTC', '2027-03-15T00:00:00.000Z'],
  ])('%s', (_name, started, zone, anchor) => {
    expect(iso(subscriptionAnchor(new Date(started), zone))).toBe(anchor);
  });
});

describe('subscriptionPeriod', () => {
  it.each<[string, string, number, BillingPeriod, string, string, number]>([
    [
      '003: monthly period from 1 March 00:00 Paris to 1 April 00:00 Paris is 743 elapsed hours (spring change)',
      '2027-02-28T23:00:00Z', 0, 'MONTH', '2027-02-28T23:00:00.000Z', '2027-03-31T22:00:00.000Z', 743,
    ],
    [
      '003: monthly period across the fall change (October 2026) is 745 elapsed hours',
      '2026-09-30T22:00:00Z', 0, 'MONTH', '2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z', 745,
    ],
    [
      '003: the second period of a March subscription is April (720 h)',
      '2027-02-28T23:00:00Z', 1, 'MONTH', '2027-03-31T22:00:00.000Z', '2027-04-30T22:00:00.000Z', 720,
    ],
    [
      '003: anchored 31 January, period 1 runs from 28 February to 31 March',
      '2027-01-30T23:00:00Z', 1, 'MONTH', '2027-02-27T23:00:00.000Z', '2027-03-30T22:00:00.000Z', 31 * 24 - 1,
    ],
    [
      '003: anchored 31 January 2028 (leap year), period 1 runs from 29 February to 31 March',
      '2028-01-30T23:00:00Z', 1, 'MONTH', '2028-02-28T23:00:00.000Z', '2028-03-30T22:00:00.000Z', 31 * 24 - 1,
    ],
    [
      '003: anchored 31 January, period 2 starts on 31 March (anchored, not chained from 28 February)',
      '2027-01-30T23:00:00Z', 2, 'MONTH', '2027-03-30T22:00:00.000Z', '2027-04-29T22:00:00.000Z', 30 * 24,
    ],
    [
      '003: anchored 31 January, period 3 starts on 30 April and ends on 31 May',
      '2027-01-30T23:00:00Z', 3, 'MONTH', '2027-04-29T22:00:00.000Z', '2027-05-30T22:00:00.000Z', 31 * 24,
    ],
    [
      '004: four-week period across the fall change is 28×24+1 hours',
      '2026-10-04T22:00:00Z', 0, 'FOUR_WEEKS', '2026-10-04T22:00:00.000Z', '2026-11-01T23:00:00.000Z', 28 * 24 + 1,
    ],
    [
      '004: four-week period across the spring change is 28×24−1 hours',
      '2027-03-14T23:00:00Z', 0, 'FOUR_WEEKS', '2027-03-14T23:00:00.000Z', '2027-04-11T22:00:00.000Z', 28 * 24 - 1,
    ],
    [
      '004: the third four-week period starts 56 local days after the anchor',
      '2027-01-03T23:00:00Z', 2, 'FOUR_WEEKS', '2027-02-28T23:00:00.000Z', '2027-03-28T22:00:00.000Z', 28 * 24 - 1,
    ],
    [
      '004: a four-week period without a change is 672 hours',
      '2027-05-02T22:00:00Z', 0, 'FOUR_WEEKS', '2027-05-02T22:00:00.000Z', '2027-05-30T22:00:00.000Z', 28 * 24,
    ],
  ])('%s', (_name, anchor, index, period, start, end, hours) => {
    const bounds = subscriptionPeriod(new Date(anchor), index, period, PARIS);
    expect(iso(bounds.start)).toBe(start);
    expect(iso(bounds.end)).toBe(end);
    expect((bounds.end.getTime() - bounds.start.getTime()) / HOUR).toBe(hours);
  });
});

// --- Which credit pays for a booking -------------------------------------------------------------

function makeLot(patch: Partial<CreditLot> = {}): CreditLot {
  return {
    id: 'lot',
    beneficiaryId: 'ben-1',
    organizationId: 'org-1',
    status: 'ACTIVE',
    validFrom: new Date('2027-01-10T14:00:00Z'),
    validUntil: new Date('2027-02-09T23:00:00Z'),
    creditsRemaining: 5,
    rolloverCount: 0,
    activityIds: ['aquagym'],
    venueIds: [],
    suspended: false,
    ...patch,
  };
}

function session(patch: Partial<SessionToBook> = {}): SessionToBook {
  return {
    organizationId: 'org-1',
    activityId: 'aquagym',
    venueId: 'pool-north',
    startsAt: new Date('2027-02-01T09:00:00Z'),
    ...patch,
  };
}

const now = new Date('2027-01-20T10:00:00Z');

describe('lotFit', () => {
  it.each<[string, Partial<CreditLot>, Partial<SessionToBook>, LotFit]>([
    ['SPEC §4: an active pack with credits, for a covered activity within validity', {}, {}, 'OK'],
    ['SPEC §4: a pack with no activity restriction covers every activity', { activityIds: [] }, { activityId: 'aquabike' }, 'OK'],
    ['SPEC §4: a pack restricted to the booked venue covers it', { venueIds: ['pool-north'] }, {}, 'OK'],
    ['003 §1.1: a nominative pack of another beneficiary', { beneficiaryId: 'ben-2' }, {}, 'OTHER_BENEFICIARY'],
    ['SPEC §1: a pack bought from another organisation', { organizationId: 'org-2' }, {}, 'OTHER_ORGANIZATION'],
    ['SPEC §3: an activity the offer does not cover', { activityIds: ['aquagym'] }, { activityId: 'aquabike' }, 'NOT_COVERED'],
    ['SPEC §3: a venue the offer does not cover', { venueIds: ['pool-south'] }, {}, 'NOT_COVERED'],
    ['003 §9.1: a session after the end of validity', {}, { startsAt: new Date('2027-02-15T09:00:00Z') }, 'NOT_COVERED'],
    ['003 §9.1: a session starting exactly at the end of validity (00:00 Paris on 10 February)', {}, { startsAt: new Date('2027-02-09T23:00:00Z') }, 'NOT_COVERED'],
    ['003 §9.1: a session starting 1 ms before the end of validity', {}, { startsAt: new Date('2027-02-09T22:59:59.999Z') }, 'OK'],
    ['003 §9.1: a session before the purchase date', {}, { startsAt: new Date('2027-01-09T09:00:00Z') }, 'NOT_COVERED'],
    ['003 §9.2: an expired pack', { status: 'EXPIRED' }, {}, 'NOT_VALID'],
    ['SPEC §4: a revoked pack (refunded)', { status: 'REVOKED' }, {}, 'NOT_VALID'],
    ['SPEC §7: a subscription suspended for non-payment', { suspended: true }, {}, 'NOT_VALID'],
    ['SPEC §4: an empty pack', { creditsRemaining: 0 }, {}, 'EMPTY'],
    ['SPEC §4: an empty pack of another beneficiary reports the ownership', { creditsRemaining: 0, beneficiaryId: 'ben-2' }, {}, 'OTHER_BENEFICIARY'],
  ])('%s', (_name, lotPatch, sessionPatch, expected) => {
    expect(lotFit(makeLot(lotPatch), session(sessionPatch), 'ben-1', now)).toBe(expected);
  });

  it('003 §9.2: a pack whose validity has ended at `now` cannot pay, even for a session inside its validity', () => {
    const lot = makeLot();
    expect(lotFit(lot, session(), 'ben-1', new Date('2027-02-09T23:00:00Z'))).toBe('NOT_VALID');
    expect(lotFit(lot, session(), 'ben-1', new Date('2027-02-09T22:59:59Z'))).toBe('OK');
  });
});

describe('chooseCredits', () => {
  const expiresFeb = makeLot({ id: 'feb', validUntil: new Date('2027-02-09T23:00:00Z') });
  const expiresMar = makeLot({ id: 'mar', validUntil: new Date('2027-03-09T23:00:00Z') });
  const expiresApr = makeLot({ id: 'apr', validUntil: new Date('2027-04-09T22:00:00Z') });
  const emptyJan = makeLot({ id: 'empty', validUntil: new Date('2027-02-05T23:00:00Z'), creditsRemaining: 0 });
  const sibling = makeLot({ id: 'sibling', beneficiaryId: 'ben-2', validUntil: new Date('2027-02-05T23:00:00Z') });
  const elsewhere = makeLot({ id: 'elsewhere', organizationId: 'org-2', validUntil: new Date('2027-02-05T23:00:00Z') });
  const aquabikeOnly = makeLot({ id: 'aquabike', activityIds: ['aquabike'], validUntil: new Date('2027-02-05T23:00:00Z') });
  const expired = makeLot({ id: 'expired', status: 'EXPIRED', validUntil: new Date('2027-02-05T23:00:00Z') });
  const suspended = makeLot({ id: 'suspended', suspended: true, validUntil: new Date('2027-02-05T23:00:00Z') });
  const shortPack = makeLot({ id: 'short', validUntil: new Date('2027-01-25T23:00:00Z') }); // ends before the session
  const all = [expiresApr, sibling, expiresMar, emptyJan, elsewhere, expiresFeb, aquabikeOnly, expired, suspended, shortPack];

  it('SPEC §4: among several fitting packs, the one that expires first comes first', () => {
    const choice = chooseCredits(all, session(), 'ben-1', now);
    expect(choice.ok && choice.candidates.map((lot) => lot.id)).toEqual(['feb', 'mar', 'apr']);
  });

  it('SPEC §4: the order does not depend on the order the lots are listed in', () => {
    const choice = chooseCredits([...all].reverse(), session(), 'ben-1', now);
    expect(choice.ok && choice.candidates.map((lot) => lot.id)).toEqual(['feb', 'mar', 'apr']);
  });

  it.each<[string, CreditLot[]]>([
    ['no credits at all', []],
    ['only lots that do not fit', [emptyJan, sibling, elsewhere, aquabikeOnly, expired, suspended, shortPack]],
  ])('SPEC §5: %s → NO_CREDIT', (_name, lots) => {
    expect(chooseCredits(lots, session(), 'ben-1', now)).toEqual({ ok: false, reason: 'NO_CREDIT' });
  });

  it.each<[string, string, CreditChoice]>([
    ['SPEC §4: choosing a fitting pack that does not expire first uses exactly that pack', 'apr', { ok: true, candidates: [expiresApr] }],
    ['SPEC §4: choosing a pack that does not exist', 'missing', { ok: false, reason: 'NO_CREDIT' }],
    ['SPEC §4: choosing an empty pack', 'empty', { ok: false, reason: 'NO_CREDIT' }],
    ['003 §9.2: choosing an expired pack', 'expired', { ok: false, reason: 'NO_CREDIT' }],
    ['SPEC §7: choosing a suspended subscription', 'suspended', { ok: false, reason: 'NO_CREDIT' }],
    ['SPEC §3: choosing a pack that does not cover the activity', 'aquabike', { ok: false, reason: 'NOT_ELIGIBLE' }],
    ['003 §9.1: choosing a pack whose validity ends before the session', 'short', { ok: false, reason: 'NOT_ELIGIBLE' }],
    ['003 §1.1: choosing the nominative pack of a family member', 'sibling', { ok: false, reason: 'OTHER_BENEFICIARY' }],
    ['SPEC §1: choosing a pack of another organisation', 'elsewhere', { ok: false, reason: 'OTHER_ORGANIZATION' }],
  ])('%s', (_name, requestedId, expected) => {
    expect(chooseCredits(all, session(), 'ben-1', now, requestedId)).toEqual(expected);
  });

  it('SPEC §4: choosing a venue the pack does not cover → NOT_ELIGIBLE', () => {
    const lot = makeLot({ id: 'north-only', venueIds: ['pool-north'] });
    expect(chooseCredits([lot], session({ venueId: 'pool-south' }), 'ben-1', now, 'north-only')).toEqual({ ok: false, reason: 'NOT_ELIGIBLE' });
  });

  it.each([null, undefined, ''])('SPEC §4: no explicit choice (%s) falls back to expiring first', (requestedId) => {
    const choice = chooseCredits(all, session(), 'ben-1', now, requestedId);
    expect(choice.ok && choice.candidates[0]?.id).toBe('feb');
  });
});

describe('creditOrder', () => {
  const until = new Date('2027-04-30T22:00:00Z');

  it.each<[string, Partial<CreditLot>, Partial<CreditLot>]>([
    [
      '003 §9.2: the lot that expires first goes first, even if the other was carried over',
      { id: 'b', validUntil: new Date('2027-04-15T22:00:00Z'), rolloverCount: 0 },
      { id: 'a', validUntil: until, rolloverCount: 1 },
    ],
    [
      '003 §9.2: at equal expiry, credits carried from March go before April\'s fresh credits',
      { id: 'z-carried', validUntil: until, rolloverCount: 1, validFrom: new Date('2027-03-31T22:00:00Z') },
      { id: 'a-fresh', validUntil: until, rolloverCount: 0, validFrom: new Date('2027-03-31T22:00:00Z') },
    ],
    [
      'SPEC §4: at equal expiry and age of credits, the older purchase first',
      { id: 'z', validUntil: until, validFrom: new Date('2027-01-01T10:00:00Z') },
      { id: 'a', validUntil: until, validFrom: new Date('2027-02-01T10:00:00Z') },
    ],
    ['SPEC §4: all else equal, a stable order by id', { id: 'a', validUntil: until }, { id: 'b', validUntil: until }],
  ])('%s', (_name, first, second) => {
    const a = makeLot(first);
    const b = makeLot(second);
    expect(creditOrder(a, b)).toBeLessThan(0);
    expect(creditOrder(b, a)).toBeGreaterThan(0);
    expect([b, a].sort(creditOrder).map((lot) => lot.id)).toEqual([a.id, b.id]);
  });
});

// --- Subscription rollover ------------------------------------------------------------------------

describe('rollover', () => {
  const aquababy: RolloverPolicy = { allowance: 8, capMultiplier: 2, carryPeriods: 1 };

  describe('003 §9.2 worked example: Pass Régulier, 8 classes a month, bought in March', () => {
    const anchor = subscriptionAnchor(new Date('2027-03-01T09:00:00Z'), PARIS);
    const march = subscriptionPeriod(anchor, 0, 'MONTH', PARIS);
    const april = subscriptionPeriod(anchor, 1, 'MONTH', PARIS);
    const may = subscriptionPeriod(anchor, 2, 'MONTH', PARIS);
    const total = (lots: { creditsRemaining: number }[]) => lots.reduce((sum, lot) => sum + lot.creditsRemaining, 0);
    const subscriptionLot = (patch: Partial<CreditLot>): CreditLot =>
      makeLot({ activityIds: [], venueIds: [], ...patch });

    // March: 8 granted, 5 used.
    const marchLot = subscriptionLot({ id: 'march', validFrom: march.start, validUntil: march.end, creditsRemaining: 8 - 5 });
    const atAprilBoundary = rollover(aquababy, [{ id: marchLot.id, remaining: marchLot.creditsRemaining, rolloverCount: 0 }]);

    // April: the carried 3 and the fresh 8, both valid through April.
    const carried = (() => {
      const decision = atAprilBoundary[0];
      return subscriptionLot({ id: 'march→april', validFrom: april.start, validUntil: april.end, creditsRemaining: decision?.carry ?? 0, rolloverCount: 1 });
    })();
    const aprilFresh = subscriptionLot({ id: 'april', validFrom: april.start, validUntil: april.end, creditsRemaining: 8 });
    const aprilSession = session({ startsAt: new Date('2027-04-10T08:00:00Z') });
    const inApril = new Date('2027-04-05T10:00:00Z');

    it('003 §9.2: March, 5 of 8 used → at the April boundary 3 are carried, none forfeited or expired', () => {
      expect(atAprilBoundary).toEqual([{ id: 'march', carry: 3, forfeit: 0, expire: 0 }]);
    });

    it('003 §9.2: April has 11 (3 carried + 8 fresh)', () => {
      expect(total([carried, aprilFresh])).toBe(11);
    });

    it('003 §9.2: April\'s first booking uses a carried credit (same expiry, carried first)', () => {
      const choice = chooseCredits([aprilFresh, carried], aprilSession, 'ben-1', inApril);
      expect(choice.ok && choice.candidates.map((lot) => lot.id)).toEqual(['march→april', 'april']);
    });

    it('003 §9.2: 1 class taken in April → 10 left, 2 of them carried; at the May boundary the carried 2 expire and April\'s 8 carry (cap 16) → May 16', () => {
      const choice = chooseCredits([aprilFresh, carried], aprilSession, 'ben-1', inApril);
      if (!choice.ok) throw new Error('April should have credits');
      const [debited] = choice.candidates;
      if (!debited) throw new Error('April should have a candidate');
      const afterDebit = [carried, aprilFresh].map((lot) =>
        lot.id === debited.id ? { ...lot, creditsRemaining: lot.creditsRemaining - 1 } : lot,
      );
      expect(total(afterDebit)).toBe(10);
      expect(afterDebit.map((lot) => [lot.id, lot.creditsRemaining])).toEqual([
        ['march→april', 2],
        ['april', 8],
      ]);

      const atMayBoundary = rollover(
        aquababy,
        afterDebit.map((lot) => ({ id: lot.id, remaining: lot.creditsRemaining, rolloverCount: lot.rolloverCount })),
      );
      // "les séances issues du report au-delà d'1 mois sont annulées automatiquement"; the seed's
      // "En mai, le crédit redevient 8" contradicts its own cap rule (SPEC §4: follow the rule).
      expect(atMayBoundary).toEqual([
        { id: 'march→april', carry: 0, forfeit: 0, expire: 2 },
        { id: 'april', carry: 8, forfeit: 0, expire: 0 },
      ]);
      const mayTotal = aquababy.allowance + atMayBoundary.reduce((sum, d) => sum + d.carry, 0);
      expect(mayTotal).toBe(16);
      expect(mayTotal).toBeLessThanOrEqual(aquababy.capMultiplier * aquababy.allowance);
      expect(iso(may.start)).toBe(iso(april.end));
    });
  });

  it.each<[string, RolloverPolicy, LotAtBoundary[], Omit<RolloverDecision, 'id'>[]]>([
    ['003 §9.2: nothing left, nothing carried', aquababy, [{ id: 'm', remaining: 0, rolloverCount: 0 }], [{ carry: 0, forfeit: 0, expire: 0 }]],
    ['003 §9.2: a whole unused month (8) is carried, reaching the cap of 16', aquababy, [{ id: 'm', remaining: 8, rolloverCount: 0 }], [{ carry: 8, forfeit: 0, expire: 0 }]],
    [
      '003 §9.2: a fresh lot above the allowance (staff adjustment) carries only up to the cap',
      aquababy, [{ id: 'm', remaining: 11, rolloverCount: 0 }], [{ carry: 8, forfeit: 3, expire: 0 }],
    ],
    [
      '003 §9.2: credits already carried once expire ("le mois suivant uniquement")',
      aquababy, [{ id: 'c', remaining: 5, rolloverCount: 1 }], [{ carry: 0, forfeit: 0, expire: 5 }],
    ],
    [
      'SPEC §4: capMultiplier 1 → nothing can be carried, every unused credit is FORFEIT',
      { allowance: 8, capMultiplier: 1, carryPeriods: 1 },
      [{ id: 'm', remaining: 5, rolloverCount: 0 }],
      [{ carry: 0, forfeit: 5, expire: 0 }],
    ],
    [
      'SPEC §4: capMultiplier 1 with two lots → both FORFEIT',
      { allowance: 8, capMultiplier: 1, carryPeriods: 2 },
      [
        { id: 'old', remaining: 2, rolloverCount: 1 },
        { id: 'new', remaining: 4, rolloverCount: 0 },
      ],
      [
        { carry: 0, forfeit: 2, expire: 0 },
        { carry: 0, forfeit: 4, expire: 0 },
      ],
    ],
    [
      'SPEC §4: cap 2 with carryPeriods 2, lots exceeding the room of 8 → youngest carried first, rest of the older lot forfeited',
      { allowance: 8, capMultiplier: 2, carryPeriods: 2 },
      [
        { id: 'carried-once', remaining: 5, rolloverCount: 1 },
        { id: 'fresh', remaining: 6, rolloverCount: 0 },
      ],
      [
        { carry: 2, forfeit: 3, expire: 0 },
        { carry: 6, forfeit: 0, expire: 0 },
      ],
    ],
    [
      'SPEC §4: cap 2 with carryPeriods 2, credits carried twice expire while the others share the room',
      { allowance: 8, capMultiplier: 2, carryPeriods: 2 },
      [
        { id: 'carried-twice', remaining: 3, rolloverCount: 2 },
        { id: 'carried-once', remaining: 4, rolloverCount: 1 },
        { id: 'fresh', remaining: 7, rolloverCount: 0 },
      ],
      [
        { carry: 0, forfeit: 0, expire: 3 },
        { carry: 1, forfeit: 3, expire: 0 },
        { carry: 7, forfeit: 0, expire: 0 },
      ],
    ],
    [
      'SPEC §4: cap 3 leaves room for two allowances',
      { allowance: 4, capMultiplier: 3, carryPeriods: 2 },
      [
        { id: 'fresh', remaining: 4, rolloverCount: 0 },
        { id: 'carried-once', remaining: 4, rolloverCount: 1 },
      ],
      [
        { carry: 4, forfeit: 0, expire: 0 },
        { carry: 4, forfeit: 0, expire: 0 },
      ],
    ],
    [
      'SPEC §4: a negative balance carries nothing and leaves the room to the other lots',
      aquababy,
      [
        { id: 'overdrawn', remaining: -1, rolloverCount: 0 },
        { id: 'fresh', remaining: 8, rolloverCount: 0 },
      ],
      [
        { carry: 0, forfeit: 0, expire: 0 },
        { carry: 8, forfeit: 0, expire: 0 },
      ],
    ],
  ])('%s', (_name, policy, lots, expected) => {
    const decisions = rollover(policy, lots);
    expect(decisions).toEqual(expected.map((decision, i) => ({ id: lots[i]?.id, ...decision })));
    // Every unused credit is accounted for exactly once, and the next period stays within the cap.
    for (const [i, decision] of decisions.entries()) {
      expect(decision.carry + decision.forfeit + decision.expire).toBe(Math.max(0, lots[i]?.remaining ?? Number.NaN));
    }
    const carried = decisions.reduce((sum, d) => sum + d.carry, 0);
    expect(policy.allowance + carried).toBeLessThanOrEqual(Math.max(1, policy.capMultiplier) * policy.allowance);
  });
});
