import { hashPassword } from '../auth/passwords.js';
import type { Clock } from '../clock.js';
import { prisma } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { logger } from '../logger.js';
import type { Context } from '../context.js';
import { calendarDate, DEFAULT_TIME_ZONE } from '../domain/time.js';
import { purchaseOffer, recordPayment } from '../services/orders.js';

/**
 * Demo data for `npm start`: one organisation per seed document, each with its real rules as
 * configuration, a venue, its activities and offers, and a week of sessions. Idempotent: an
 * organisation whose slug exists is left alone.
 */
export const DEMO_ACCOUNT = { email: 'demo@example.com', password: 'demo-password' };
/** A member with an adult and a child beneficiary and a paid pack in every demo organisation. */
export const DEMO_MEMBER = { email: 'member@example.com', password: 'demo-password' };

interface DemoActivity {
  name: string;
  audience: 'ADULT' | 'CHILD';
  minAgeMonths?: number;
  maxAgeMonths?: number;
  kind?: 'GROUP' | 'PRIVATE';
  cancellationNoticeHours: number;
  lateCancellation?: 'FORFEIT' | 'RECREDIT';
  /** Local hour of its daily session, capacity. */
  hour: number;
  capacity: number;
}

interface DemoOrganization {
  slug: string;
  name: string;
  policies: Omit<Prisma.OrganizationCreateInput, 'slug' | 'name'>;
  venue: { name: string; address: string; city: string; latitude: number; longitude: number };
  activities: DemoActivity[];
  offers: Omit<Prisma.OfferCreateManyInput, 'organizationId'>[];
}

const ORGANIZATIONS: DemoOrganization[] = [
  {
    // 000: sport-health association; 6 h notice; annual aquabike members are re-credited anyway.
    slug: 'sport-sante',
    name: 'Association Sport Santé',
    policies: {},
    venue: { name: 'Piscine municipale', address: '1 rue du Stade', city: 'Lyon', latitude: 45.75, longitude: 4.85 },
    activities: [
      { name: 'Aquabike', audience: 'ADULT', cancellationNoticeHours: 6, hour: 18, capacity: 12 },
      { name: 'Aquabike (adhérents annuels)', audience: 'ADULT', cancellationNoticeHours: 6, lateCancellation: 'RECREDIT', hour: 19, capacity: 12 },
    ],
    offers: [{ kind: 'PACK', name: 'Carte 10 séances', priceCents: 12000, credits: 10, validityDays: 365 }],
  },
  {
    // 001: club platform; staff verify the registration before payment; hybrid payment.
    slug: 'club-kalisport',
    name: 'Club de natation (Kalisport)',
    policies: { requiresRegistrationReview: true },
    venue: { name: 'Centre aquatique', address: '10 avenue des Sports', city: 'Nantes', latitude: 47.22, longitude: -1.55 },
    activities: [{ name: 'Natation loisir', audience: 'ADULT', cancellationNoticeHours: 24, hour: 20, capacity: 20 }],
    offers: [{ kind: 'PACK', name: 'Cotisation saison', priceCents: 17000, credits: 36, validityDays: 365 }],
  },
  {
    // 002: credits-and-waitlist platform; first click wins, claims close 12 h before.
    slug: 'studio-waitlist',
    name: 'Studio Crédits',
    policies: { waitlistPolicy: 'FIRST_CLICK_WINS', waitlistClaimDeadlineHours: 12 },
    venue: { name: 'Studio', address: '5 place Bellecour', city: 'Lyon', latitude: 45.757, longitude: 4.832 },
    activities: [{ name: 'Pilates', audience: 'ADULT', cancellationNoticeHours: 12, hour: 12, capacity: 3 }],
    offers: [{ kind: 'PACK', name: '5 crédits', priceCents: 6000, credits: 5, validityDays: 90 }],
  },
  {
    // 003: Aquababyclub; adult 4 h, child 24 h, private 24 h; monthly pass with 2× rollover.
    slug: 'aquababyclub',
    name: 'Aquababyclub',
    policies: { terminationNoticeRule: 'MONTH_BEFORE_ANNIVERSARY', maxPauseMonthsPerYear: 2 },
    venue: { name: 'Bassin Aquababy', address: '12 quai de Seine', city: 'Paris', latitude: 48.85, longitude: 2.35 },
    activities: [
      { name: 'Bébés nageurs', audience: 'CHILD', minAgeMonths: 4, maxAgeMonths: 36, cancellationNoticeHours: 24, hour: 10, capacity: 8 },
      { name: 'Aquagym', audience: 'ADULT', cancellationNoticeHours: 4, hour: 19, capacity: 15 },
      { name: 'Cours particulier', audience: 'ADULT', kind: 'PRIVATE', cancellationNoticeHours: 24, hour: 17, capacity: 1 },
    ],
    offers: [
      { kind: 'SUBSCRIPTION', name: 'Pass 8 séances / mois', priceCents: 9900, credits: 8, period: 'MONTH', rolloverCapMultiplier: 2, commitmentPeriods: 3 },
      { kind: 'PACK', name: 'Carnet 10 séances', priceCents: 15000, credits: 10, validityDays: 180 },
      { kind: 'DISCOVERY', name: 'Séance découverte', priceCents: 1500, credits: 1, validityDays: 30 },
    ],
  },
  {
    // 004: Swim Stars; four-week subscription, notice 15 days before the next billing date.
    slug: 'swim-stars',
    name: 'Swim Stars',
    policies: { terminationNoticeRule: 'DAYS_BEFORE_BILLING', terminationNoticeDays: 15 },
    venue: { name: 'Piscine Swim Stars', address: '3 rue de la Piscine', city: 'Marseille', latitude: 43.3, longitude: 5.37 },
    activities: [
      { name: 'Cours enfants', audience: 'CHILD', minAgeMonths: 48, maxAgeMonths: 144, cancellationNoticeHours: 24, hour: 17, capacity: 6 },
      { name: 'Cours adultes', audience: 'ADULT', cancellationNoticeHours: 24, hour: 20, capacity: 8 },
    ],
    offers: [
      { kind: 'SUBSCRIPTION', name: 'Abonnement 4 semaines', priceCents: 7900, credits: 4, period: 'FOUR_WEEKS', rolloverCapMultiplier: 2 },
      { kind: 'PACK', name: 'Pack 10 cours', priceCents: 19000, credits: 10, validityDays: 365 },
    ],
  },
];

const DAYS_OF_SESSIONS = 7;

/** The UTC instant of a local wall-clock hour, `dayOffset` days after `now`'s date, in `timeZone`. */
function localHour(now: Date, dayOffset: number, hour: number, timeZone: string): Date {
  const guess = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + dayOffset, hour));
  const local = new Date(guess.toLocaleString('en-US', { timeZone }));
  const utc = new Date(guess.toLocaleString('en-US', { timeZone: 'UTC' }));
  return new Date(guess.getTime() - (local.getTime() - utc.getTime()));
}

export async function seedDemoData(clock: Clock): Promise<void> {
  const now = clock.now();
  const admin = await prisma.member.upsert({
    where: { email: DEMO_ACCOUNT.email },
    update: {},
    create: {
      email: DEMO_ACCOUNT.email,
      passwordHash: await hashPassword(DEMO_ACCOUNT.password),
      firstName: 'Demo',
      lastName: 'Admin',
    },
  });
  let created = 0;
  for (const demo of ORGANIZATIONS) {
    const exists = await prisma.organization.findUnique({ where: { slug: demo.slug }, select: { id: true } });
    if (exists) continue;
    await prisma.$transaction(async (tx) => {
      const organization = await tx.organization.create({
        data: { slug: demo.slug, name: demo.name, ...demo.policies, memberships: { create: { memberId: admin.id, role: 'ADMIN' } } },
      });
      const venue = await tx.venue.create({ data: { organizationId: organization.id, ...demo.venue } });
      const coach = await tx.coach.create({ data: { organizationId: organization.id, displayName: 'Camille' } });
      for (const { hour, capacity, ...activityData } of demo.activities) {
        const activity = await tx.activity.create({ data: { organizationId: organization.id, ...activityData } });
        await tx.session.createMany({
          data: Array.from({ length: DAYS_OF_SESSIONS }, (_, day) => {
            const startsAt = localHour(now, day + 1, hour, organization.timeZone);
            return {
              organizationId: organization.id,
              activityId: activity.id,
              venueId: venue.id,
              coachId: coach.id,
              startsAt,
              endsAt: new Date(startsAt.getTime() + 45 * 60_000),
              capacity,
            };
          }),
        });
      }
      await tx.offer.createMany({ data: demo.offers.map((offer) => ({ ...offer, organizationId: organization.id })) });
    });
    created += 1;
  }
  if (created > 0) {
    await seedDemoMember(clock, admin.id);
    logger.info({ organizations: created, login: DEMO_ACCOUNT, member: DEMO_MEMBER }, 'demo data loaded (log in as the demo admin or member)');
  }
}

/**
 * The demo member buys each organisation's cheapest pack for both beneficiaries, through the same
 * services as the API (the admin records a cash payment), so they can book at once.
 */
async function seedDemoMember(clock: Clock, adminId: string): Promise<void> {
  if (await prisma.member.findUnique({ where: { email: DEMO_MEMBER.email }, select: { id: true } })) return;
  const member = await prisma.member.create({
    data: {
      email: DEMO_MEMBER.email,
      passwordHash: await hashPassword(DEMO_MEMBER.password),
      firstName: 'Camille',
      lastName: 'Martin',
    },
  });
  const today = calendarDate(clock.now(), DEFAULT_TIME_ZONE);
  const childBirth = new Date(today);
  childBirth.setUTCFullYear(childBirth.getUTCFullYear() - 2);
  const beneficiaries = await Promise.all([
    prisma.beneficiary.create({ data: { memberId: member.id, firstName: 'Camille', lastName: 'Martin', birthDate: new Date('1988-04-12'), isSelf: true } }),
    prisma.beneficiary.create({ data: { memberId: member.id, firstName: 'Léo', lastName: 'Martin', birthDate: childBirth } }),
  ]);
  const asAdmin: Context = { viewer: { memberId: adminId }, locale: 'fr', clock, clientAddress: 'seed' };
  const packs = await prisma.offer.findMany({
    where: { kind: 'PACK', organization: { slug: { in: ORGANIZATIONS.map((demo) => demo.slug) } } },
    orderBy: { priceCents: 'asc' },
  });
  // A member of each organisation, so that its staff may buy on the member's behalf; where an
  // organisation reviews registrations (001), the demo family's are already verified.
  const organizationIds = [...new Set(packs.map((pack) => pack.organizationId))];
  await prisma.membership.createMany({
    data: organizationIds.map((organizationId) => ({ organizationId, memberId: member.id })),
    skipDuplicates: true,
  });
  const reviewing = await prisma.organization.findMany({
    where: { id: { in: organizationIds }, requiresRegistrationReview: true },
    select: { id: true },
  });
  await prisma.registration.createMany({
    data: reviewing.flatMap((organization) =>
      beneficiaries.map((beneficiary) => ({
        organizationId: organization.id,
        memberId: member.id,
        beneficiaryId: beneficiary.id,
        status: 'VERIFIED' as const,
        details: { demo: true },
        reviewedById: adminId,
        reviewedAt: clock.now(),
      })),
    ),
    skipDuplicates: true,
  });
  const seen = new Set<string>();
  for (const pack of packs) {
    if (seen.has(pack.organizationId)) continue;
    seen.add(pack.organizationId);
    for (const beneficiary of beneficiaries) {
      const order = await purchaseOffer(asAdmin, { offerId: pack.id, beneficiaryId: beneficiary.id });
      if (order.status !== 'PAID') {
        await recordPayment(asAdmin, { orderId: order.id, method: 'CASH', amountCents: order.totalCents, reference: 'demo' });
      }
    }
  }
}
