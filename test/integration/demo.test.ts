import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { parse } from 'graphql';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { DEMO_TIMETABLE_DAYS, topUpDemoTimetable } from '../../src/demo/seed.js';
import type { App } from '../../src/server.js';
import { execute, startApp } from '../support/app.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';

// The demo data (README "Demo organisations"): each organisation carries its document's rules, and
// its timetable covers today and the next 14 days at every start, without duplicates. A database
// of its own, since the demo data owns fixed slugs and emails.

const SLUGS = ['sport-sante', 'club-kalisport', 'studio-waitlist', 'aquababyclub', 'swim-stars'];

let name: string;
let app: App | undefined;

beforeAll(async () => {
  name = await createDatabase('booking_demo');
  app = await startApp({ demoData: true, databaseUrl: databaseUrl(name) });
}, 60_000);

afterAll(async () => {
  await app?.close();
  if (name) await dropDatabase(name);
});

/** Per demo organisation: sessions from `now` to the end of its local day `days` later. */
async function sessionsAhead(now: Date, days = DEMO_TIMETABLE_DAYS) {
  const organizations = await prisma.organization.findMany({ where: { slug: { in: SLUGS } }, select: { id: true, slug: true, timeZone: true } });
  return Promise.all(
    organizations.map(async (organization) => {
      const local = DateTime.fromJSDate(now, { zone: organization.timeZone });
      const endOfToday = local.endOf('day').toJSDate();
      const lastDay = local.plus({ days }).startOf('day').toJSDate();
      const end = local.plus({ days }).endOf('day').toJSDate();
      const where = { organizationId: organization.id };
      const [total, laterToday, onLastDay] = await Promise.all([
        prisma.session.count({ where: { ...where, startsAt: { gte: now, lte: end } } }),
        prisma.session.count({ where: { ...where, startsAt: { gte: now, lte: endOfToday } } }),
        prisma.session.count({ where: { ...where, startsAt: { gte: lastDay, lte: end } } }),
      ]);
      return { slug: organization.slug, localHour: local.hour, total, laterToday, onLastDay };
    }),
  );
}

describe('the demo timetable', () => {
  it('covers today and the next 14 days in every organisation, and a second start adds nothing', async () => {
    const now = new Date();
    const first = await sessionsAhead(now);
    expect(first.map((row) => row.slug).sort()).toEqual([...SLUGS].sort());
    for (const row of first) {
      expect(row.total, row.slug).toBeGreaterThan(0);
      expect(row.onLastDay, row.slug).toBeGreaterThan(0);
      // Every organisation has sessions until 20:00 local at least.
      if (row.localHour < 19) expect(row.laterToday, row.slug).toBeGreaterThan(0);
    }
    const before = await prisma.session.count();

    await app!.close();
    app = await startApp({ demoData: true, databaseUrl: databaseUrl(name) });
    expect(await prisma.session.count()).toBe(before);
    expect(await prisma.organization.count({ where: { slug: { in: SLUGS } } })).toBe(SLUGS.length);
  }, 60_000);

  it('is topped up from any later day, at any hour, once', async () => {
    // Three weeks and five hours later: past the first start's horizon, at another hour of the day.
    const later = new Date(Date.now() + (21 * 24 + 5) * 3_600_000);
    expect(await topUpDemoTimetable(later)).toBeGreaterThan(0);
    expect(await topUpDemoTimetable(later)).toBe(0);
    for (const row of await sessionsAhead(later)) {
      expect(row.onLastDay, row.slug).toBeGreaterThan(0);
      if (row.localHour < 19) expect(row.laterToday, row.slug).toBeGreaterThan(0);
    }
    // No two sessions of one activity at one venue start at the same instant.
    const duplicates = await prisma.session.groupBy({
      by: ['activityId', 'venueId', 'startsAt'],
      _count: { _all: true },
      having: { id: { _count: { gt: 1 } } },
    });
    expect(duplicates).toEqual([]);
  }, 60_000);
});

describe('the demo organisations carry their documents’ rules', () => {
  const load = (slug: string) =>
    prisma.organization.findUniqueOrThrow({
      where: { slug },
      include: { activities: true, offers: { include: { activities: { include: { activity: true } } } } },
    });

  it('000: 6 h notice, priced sessions payable in person, an annual aquabike membership that re-credits late cancels', async () => {
    const organization = await load('sport-sante');
    expect(organization.inPersonPaymentAllowed).toBe(true);
    expect(organization.activities.map((activity) => activity.cancellationNoticeHours)).toEqual(organization.activities.map(() => 6));
    expect(organization.activities.every((activity) => activity.lateCancellation === 'FORFEIT')).toBe(true);
    const unpriced = await prisma.session.count({ where: { organizationId: organization.id, priceCents: null } });
    expect(unpriced).toBe(0);
    const annual = organization.offers.find((offer) => offer.name === 'Adhésion annuelle Aquabike')!;
    expect(annual.lateCancellation).toBe('RECREDIT');
    expect(annual.activities.map((link) => link.activity.name)).toEqual(['Aquabike']);
    expect(organization.offers.find((offer) => offer.name === 'Carte 10 séances')!.lateCancellation).toBeNull();
  });

  it('001: registration review; 002: first click wins until 12 h before', async () => {
    expect((await load('club-kalisport')).requiresRegistrationReview).toBe(true);
    expect(await load('studio-waitlist')).toMatchObject({ waitlistPolicy: 'FIRST_CLICK_WINS', waitlistClaimDeadlineHours: 12 });
  });

  it('003: adult 4 h, child 24 h, private 24 h, monthly pass with 2× one-month rollover, its termination, pause and withdrawal', async () => {
    const organization = await load('aquababyclub');
    expect(organization).toMatchObject({
      timeZone: 'Indian/Reunion',
      terminationNoticeRule: 'MONTH_BEFORE_ANNIVERSARY',
      maxPauseMonthsPerYear: 2,
      withdrawalDays: 14,
      creditNoteValidityDays: 365,
    });
    const notice = Object.fromEntries(organization.activities.map((activity) => [`${activity.audience}/${activity.kind}`, activity.cancellationNoticeHours]));
    expect(notice).toEqual({ 'ADULT/GROUP': 4, 'CHILD/GROUP': 24, 'ADULT/PRIVATE': 24 });
    const passes = organization.offers.filter((offer) => offer.kind === 'SUBSCRIPTION');
    expect(passes.length).toBeGreaterThan(0);
    for (const pass of passes) expect(pass).toMatchObject({ period: 'MONTH', credits: 8, rolloverCapMultiplier: 2, rolloverPeriods: 1 });
    expect(organization.offers.map((offer) => offer.kind)).toEqual(expect.arrayContaining(['PACK', 'DISCOVERY', 'PRIVATE']));
  });

  it('004: 4 h notice, four-week subscriptions with 15 days’ notice, no rollover or pause, packs and a discovery class', async () => {
    const organization = await load('swim-stars');
    expect(organization).toMatchObject({ terminationNoticeRule: 'DAYS_BEFORE_BILLING', terminationNoticeDays: 15, maxPauseMonthsPerYear: 0, withdrawalDays: 14 });
    expect(organization.activities.find((activity) => activity.audience === 'ADULT')!.cancellationNoticeHours).toBe(4);
    expect(organization.activities.every((activity) => activity.cancellationNoticeHours === 4)).toBe(true);
    const subscriptions = organization.offers.filter((offer) => offer.kind === 'SUBSCRIPTION');
    expect(subscriptions.length).toBeGreaterThan(0);
    for (const subscription of subscriptions) expect(subscription).toMatchObject({ period: 'FOUR_WEEKS', rolloverCapMultiplier: 1, rolloverPeriods: 0 });
    expect(organization.offers.map((offer) => offer.kind)).toEqual(expect.arrayContaining(['PACK', 'DISCOVERY']));
  });
});

describe('the demo member', () => {
  const logIn = parse('mutation { logIn(input: { email: "member@example.com", password: "demo-password" }) { ... on LogInSuccess { token } } }') as TypedDocumentNode<{ logIn: { token: string } }, Record<string, never>>;
  const book = parse(
    'mutation Book($sessionId: ID!, $beneficiaryId: ID!) { bookSession(input: { sessionId: $sessionId, beneficiaryId: $beneficiaryId }) { __typename ... on BookSessionSuccess { booking { entitlement { offer { name } } } } } }',
  ) as TypedDocumentNode<{ bookSession: { __typename: string; booking?: { entitlement: { offer: { name: string } } } } }, { sessionId: string; beneficiaryId: string }>;
  const viewer = parse('{ viewer { beneficiaries { id firstName } } }') as TypedDocumentNode<{ viewer: { beneficiaries: { id: string; firstName: string }[] } }, Record<string, never>>;

  /** The next session of an activity starting in over an hour, as a GraphQL ID. */
  async function nextSession(slug: string, activity: string): Promise<string> {
    const session = await prisma.session.findFirstOrThrow({
      where: { organization: { slug }, activity: { name: activity }, startsAt: { gt: new Date(Date.now() + 3_600_000) } },
      orderBy: { startsAt: 'asc' },
    });
    return encodeGlobalID('Session', session.id);
  }

  it('books with what they hold: an Aquabike session in 000, Léo in 003 and 004', async () => {
    const { token } = (await execute(app!, logIn, {})).logIn;
    const { beneficiaries } = (await execute(app!, viewer, {}, { token })).viewer;
    const camille = beneficiaries.find((b) => b.firstName === 'Camille')!.id;
    const leo = beneficiaries.find((b) => b.firstName === 'Léo')!.id;
    const cases: [string, string, string, string][] = [
      ['sport-sante', 'Aquabike', camille, 'Adhésion annuelle Aquabike'],
      ['aquababyclub', 'Cours enfants (bébés nageurs)', leo, 'Carnet 10 séances'],
      ['swim-stars', 'Cours enfants', leo, 'Carte 10 cours'],
      ['studio-waitlist', 'Plongée', camille, '5 crédits'],
    ];
    for (const [slug, activity, beneficiaryId, offer] of cases) {
      const result = await execute(app!, book, { sessionId: await nextSession(slug, activity), beneficiaryId }, { token });
      expect(result.bookSession, slug).toEqual({ __typename: 'BookSessionSuccess', booking: { entitlement: { offer: { name: offer } } } });
    }
  }, 30_000);
});
