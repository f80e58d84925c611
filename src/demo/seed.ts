import { DateTime } from 'luxon';
import { hashPassword } from '../auth/passwords.js';
import type { Clock } from '../clock.js';
import { prisma } from '../db/client.js';
import type { PaymentMethod, Prisma } from '../generated/prisma/client.js';
import { publishSessionChanged, sessionChanged } from '../events/pubsub.js';
import { logger } from '../logger.js';
import type { Context } from '../context.js';
import { calendarDate, DEFAULT_TIME_ZONE } from '../domain/time.js';
import { purchaseOffer, recordPayment } from '../services/order/orders.js';

/**
 * Demo data for `npm start`: one organisation per seed document (`../shared/seeds/`), each with the
 * rules and offers its document states, as configuration, and nothing the document does not say.
 * Where a document is silent, a comment names the value chosen and why.
 *
 * Idempotent: an organisation whose slug exists is left alone, but at every start each demo
 * organisation's timetable is topped up so that it covers today and the next 14 days in its zone.
 *
 * Silent in every document, so left at the product's defaults: `paymentGraceDays` (7, an unpaid
 * renewal suspends booking after a week), `waitlistOfferWindowMinutes` and `locale` (fr).
 */
export const DEMO_ACCOUNT = { email: 'demo@example.com', password: 'demo-password' };
/** A member with an adult and a child beneficiary who hold paid packs in the demo organisations. */
export const DEMO_MEMBER = { email: 'member@example.com', password: 'demo-password' };

/** Advisory lock of the timetable top-up (any constant distinct from the migrations' key). */
const DEMO_TIMETABLE_LOCK_KEY = 7_263_001;

/** Days after today the timetable always reaches (today included, so 15 calendar days). */
export const DEMO_TIMETABLE_DAYS = 14;

interface DemoActivity {
  name: string;
  audience: 'ADULT' | 'CHILD';
  minAgeMonths?: number;
  maxAgeMonths?: number;
  kind?: 'GROUP' | 'PRIVATE';
  cancellationNoticeHours: number;
  /** Local wall-clock starts ("HH:MM"), every day. */
  times: string[];
  minutes: number;
  capacity: number;
  /** Pay-per-session price (000 "Payer pour cette séance"). */
  priceCents?: number;
}

interface DemoOffer extends Omit<Prisma.OfferCreateManyInput, 'organizationId'> {
  /** Names of the activities its credits are for; none: every activity of the organisation. */
  activityNames?: string[];
}

interface DemoOrganization {
  slug: string;
  name: string;
  policies: Omit<Prisma.OrganizationCreateInput, 'slug' | 'name'>;
  venue: { name: string; address: string; city: string; latitude: number; longitude: number };
  activities: DemoActivity[];
  offers: DemoOffer[];
  /** Offers (by name) the demo member holds, bought at the desk, for each beneficiary. */
  memberHolds: { adult: string[]; child: string[] };
}

/** 003's terms of sale, on the Site they name (www.aquababyclub.com). */
const AQUABABYCLUB_TERMS = 'https://www.aquababyclub.com';

const ORGANIZATIONS: DemoOrganization[] = [
  {
    // 000 (help pages of Paris Sport Santé): book, cancel up to 6 h before (after that the session is
    // lost), reschedule; a session can be paid on its own, online or in person; annual aquabike
    // members get a late-cancelled session back, everyone else loses it.
    slug: 'sport-sante',
    name: 'Paris Sport Santé',
    policies: {
      inPersonPaymentAllowed: true,
      // "Payer en personne" names no method: cash and cheque, what any association's desk takes.
      acceptedDeskPaymentMethods: ['CASH', 'CHEQUE'],
      // Silent on how long a seat waits for an online payment: the product's 15 minutes.
      paymentHoldMinutes: 15,
      // Silent on waitlists, withdrawal and subscriptions (no subscription offer here): defaults.
    },
    // Silent on its venues and hours: one pool in Paris (the association's city).
    venue: { name: 'Piscine municipale', address: '1 rue du Stade', city: 'Paris', latitude: 48.84, longitude: 2.31 },
    activities: [
      // Prices of single sessions are not given: 15 € and 25 € chosen.
      { name: 'Aquabike', audience: 'ADULT', cancellationNoticeHours: 6, times: ['07:00', '09:00', '12:30', '17:00', '18:00', '19:00', '20:00', '21:00'], minutes: 45, capacity: 12, priceCents: 1500 },
      // "stages adultes", the document's example of a booking that can be paid in person.
      { name: 'Stage adulte', audience: 'ADULT', cancellationNoticeHours: 6, times: ['10:30', '14:30'], minutes: 90, capacity: 10, priceCents: 2500 },
    ],
    offers: [
      // "inscrit annuellement à l'Aquabike": a year of aquabike sessions whose late cancellations are
      // re-credited. Its size and price are not given: 36 sessions (one a week over a season), 350 €.
      { kind: 'PACK', name: 'Adhésion annuelle Aquabike', priceCents: 35000, credits: 36, validityDays: 365, lateCancellation: 'RECREDIT', activityNames: ['Aquabike'] },
      // "Dans tout autre cas" a late cancellation is lost: no override, the activities' FORFEIT rule.
      // Price and validity are not given: 140 €, one year.
      { kind: 'PACK', name: 'Carte 10 séances', priceCents: 14000, credits: 10, validityDays: 365 },
    ],
    memberHolds: { adult: ['Adhésion annuelle Aquabike', 'Carte 10 séances'], child: [] },
  },
  {
    // 001 (Kalisport help pages): staff verify the registration file before payment is unlocked;
    // pay online, at the desk, or both (70 € at the desk, 100 € online, of a 170 € membership).
    slug: 'club-kalisport',
    name: 'Club sportif (Kalisport)',
    policies: {
      requiresRegistrationReview: true,
      // Cash, holiday cheques, cheques, Pass'Sport and Carte Sortir; no credit notes mentioned.
      acceptedDeskPaymentMethods: ['CASH', 'CHEQUE', 'ANCV', 'SPORT_PASS'],
      inPersonPaymentAllowed: false,
    },
    // The pages name no sport, venue or city ("votre activité", "secrétariat de votre quartier").
    venue: { name: 'Gymnase du club', address: '10 avenue des Sports', city: 'Nantes', latitude: 47.22, longitude: -1.55 },
    activities: [
      // Silent on cancellation: 24 h chosen.
      { name: 'Entraînement', audience: 'ADULT', cancellationNoticeHours: 24, times: ['07:00', '10:00', '12:30', '15:00', '17:30', '19:00', '20:30'], minutes: 60, capacity: 20 },
    ],
    offers: [
      // The pages' own example: a 170 € membership. Sessions it covers are not given: 36 (a season).
      { kind: 'PACK', name: 'Cotisation saison', priceCents: 17000, credits: 36, validityDays: 365 },
    ],
    memberHolds: { adult: ['Cotisation saison'], child: [] },
  },
  {
    // 002 (credits-and-waitlist platform): credits bought, then spent on sessions; a full session
    // takes a waitlist place holding a credit; the first to click the emailed link wins the seat,
    // until 12 hours before the session, then the credit comes back.
    slug: 'studio-waitlist',
    name: 'Studio Crédits',
    policies: {
      waitlistPolicy: 'FIRST_CLICK_WINS',
      waitlistClaimDeadlineHours: 12,
      // Credits are bought online; the pages name no desk. Cash only, so the demo's staff can record
      // the demo member's purchase.
      acceptedDeskPaymentMethods: ['CASH'],
      inPersonPaymentAllowed: false,
    },
    venue: { name: 'Fosse de plongée', address: '5 place Bellecour', city: 'Lyon', latitude: 45.757, longitude: 4.832 },
    activities: [
      // The pages' example is a dive session on Tuesday at 9 am; the cancellation deadline is "fixed
      // by the organizer" without a value: 12 h chosen, like the claim deadline. Three seats, so
      // that the waitlist is easy to reach.
      { name: 'Plongée', audience: 'ADULT', cancellationNoticeHours: 12, times: ['07:00', '09:00', '11:00', '13:00', '15:00', '17:00', '19:00', '21:00'], minutes: 60, capacity: 3 },
    ],
    offers: [
      // Sizes, prices and validity of credit packs are not given: 5 credits, 60 €, 90 days.
      { kind: 'PACK', name: '5 crédits', priceCents: 6000, credits: 5, validityDays: 90 },
    ],
    memberHolds: { adult: ['5 crédits'], child: [] },
  },
  {
    // 003 (Aquababyclub terms of sale): adults cancel 4 h before, children 24 h, private lessons
    // 24 h (§8, §18); a late cancellation is lost (medical certificate: staff restore it); monthly
    // passes with or without commitment, unused sessions carried one month only, at most 2× the
    // allowance (§9.2); termination one month before the monthly anniversary (§12); pause at most
    // 2 months per calendar year unless medical (§12A); 14-day withdrawal (§11); a credit note valid
    // one year after a definitive closure (§9.2); discovery class once per new client (§17).
    slug: 'aquababyclub',
    name: 'Aquababyclub',
    policies: {
      // Its registered office is in Saint-Pierre, La Réunion.
      timeZone: 'Indian/Reunion',
      terminationNoticeRule: 'MONTH_BEFORE_ANNIVERSARY',
      maxPauseMonthsPerYear: 2,
      withdrawalDays: 14,
      creditNoteValidityDays: 365,
      // §6.1: ANCV and other holiday cheques, leisure passes (Pass loisirs, Pass Bien-Être), cheques,
      // cash, credit notes.
      acceptedDeskPaymentMethods: ['ANCV', 'SPORT_PASS', 'CHEQUE', 'CASH', 'CREDIT_NOTE'],
      inPersonPaymentAllowed: false,
      // §7 offers a waitlist without saying how seats go: the product's first click wins, 12 h.
      waitlistPolicy: 'FIRST_CLICK_WINS',
      waitlistClaimDeadlineHours: 12,
    },
    // A network of partner pools, none named: one in Saint-Pierre.
    venue: { name: 'Piscine partenaire', address: '31 rue Luc Lorion', city: 'Saint-Pierre', latitude: -21.34, longitude: 55.48 },
    activities: [
      // Ages are not given: 4 months to 3 years (baby swimming), chosen.
      { name: 'Cours enfants (bébés nageurs)', audience: 'CHILD', minAgeMonths: 4, maxAgeMonths: 36, cancellationNoticeHours: 24, times: ['09:00', '10:00', '16:00', '17:00'], minutes: 30, capacity: 8 },
      { name: 'Cours adultes', audience: 'ADULT', cancellationNoticeHours: 4, times: ['07:00', '12:00', '18:00', '19:00', '20:00'], minutes: 45, capacity: 15 },
      { name: 'Cours particulier', audience: 'ADULT', kind: 'PRIVATE', cancellationNoticeHours: 24, times: ['11:00', '14:00'], minutes: 30, capacity: 1 },
    ],
    offers: [
      // §1.2, §3.2: the terms are "à retrouver sur le Site avant et après l'achat" and the order summary
      // shows them: every offer links to the Site the document names (no page of its own is given).
      // §9.2's "Pass Régulier = 8 séances/mois". Prices, pack sizes and validity are not given (the
      // validity is "affichée lors de l'achat"): values chosen. The commitment's length is not given:
      // 3 months chosen.
      { kind: 'SUBSCRIPTION', name: 'Pass Régulier 8 séances / mois', termsUrl: AQUABABYCLUB_TERMS, priceCents: 9900, credits: 8, period: 'MONTH', rolloverCapMultiplier: 2, rolloverPeriods: 1, commitmentPeriods: 0, activityNames: ['Cours enfants (bébés nageurs)', 'Cours adultes'] },
      { kind: 'SUBSCRIPTION', name: 'Pass Régulier 8 séances / mois, engagement 3 mois', termsUrl: AQUABABYCLUB_TERMS, priceCents: 8900, credits: 8, period: 'MONTH', rolloverCapMultiplier: 2, rolloverPeriods: 1, commitmentPeriods: 3, activityNames: ['Cours enfants (bébés nageurs)', 'Cours adultes'] },
      { kind: 'PACK', name: 'Carnet 10 séances', termsUrl: AQUABABYCLUB_TERMS, priceCents: 15000, credits: 10, validityDays: 180, activityNames: ['Cours enfants (bébés nageurs)', 'Cours adultes'] },
      { kind: 'DISCOVERY', name: 'Cours découverte', termsUrl: AQUABABYCLUB_TERMS, priceCents: 1500, credits: 1, validityDays: 30, activityNames: ['Cours enfants (bébés nageurs)', 'Cours adultes'] },
      { kind: 'PRIVATE', name: 'Cours particulier', termsUrl: AQUABABYCLUB_TERMS, priceCents: 4500, credits: 1, validityDays: 90, activityNames: ['Cours particulier'] },
    ],
    memberHolds: { adult: ['Carnet 10 séances'], child: ['Carnet 10 séances'] },
  },
  {
    // 004 (Swim Stars terms of sale): every class cancels up to 4 hours before, later it is lost
    // (medical certificate: staff restore it); four-week subscriptions with or without commitment,
    // termination 15 days before the next billing date; packs; a discovery class bought once by a
    // new client; 14-day withdrawal; a credit note valid one year after a definitive closure.
    slug: 'swim-stars',
    name: 'Swim Stars',
    policies: {
      terminationNoticeRule: 'DAYS_BEFORE_BILLING',
      terminationNoticeDays: 15,
      // The terms never mention pausing a subscription: no non-medical pause (staff may still
      // record a medical one).
      maxPauseMonthsPerYear: 0,
      withdrawalDays: 14,
      creditNoteValidityDays: 365,
      // §6.1: ANCV holiday cheques and ACTOBI coupons (no method of their own in the model: staff
      // record them as ANCV), credit notes. No cash or cheque.
      acceptedDeskPaymentMethods: ['ANCV', 'CREDIT_NOTE'],
      inPersonPaymentAllowed: false,
      // Silent on waitlists: the product's first click wins, 12 h.
      waitlistPolicy: 'FIRST_CLICK_WINS',
      waitlistClaimDeadlineHours: 12,
    },
    // A network of partner pools, none named: one in Paris, where the company is registered.
    venue: { name: 'Piscine partenaire Swim Stars', address: '128 rue La Boétie', city: 'Paris', latitude: 48.873, longitude: 2.309 },
    activities: [
      // The 4 h notice applies to every class, children's included. Ages are not given: 2 to 12.
      { name: 'Cours enfants', audience: 'CHILD', minAgeMonths: 24, maxAgeMonths: 144, cancellationNoticeHours: 4, times: ['09:30', '11:00', '14:00', '16:00', '17:00', '18:00'], minutes: 30, capacity: 6 },
      { name: 'Cours adultes', audience: 'ADULT', cancellationNoticeHours: 4, times: ['07:00', '12:30', '19:00', '20:00', '21:00'], minutes: 45, capacity: 8 },
    ],
    offers: [
      // Credits per four weeks, prices, pack sizes and validity are not given: values chosen. The
      // terms never mention carrying unused credits over: they are not (1× cap, no carry).
      { kind: 'SUBSCRIPTION', name: 'Abonnement 4 semaines', priceCents: 7900, credits: 4, period: 'FOUR_WEEKS', rolloverCapMultiplier: 1, rolloverPeriods: 0, commitmentPeriods: 0 },
      // The commitment's length is not given: 6 periods chosen.
      { kind: 'SUBSCRIPTION', name: 'Abonnement 4 semaines, engagement 6 périodes', priceCents: 6900, credits: 4, period: 'FOUR_WEEKS', rolloverCapMultiplier: 1, rolloverPeriods: 0, commitmentPeriods: 6 },
      { kind: 'PACK', name: 'Carte 10 cours', priceCents: 19000, credits: 10, validityDays: 365 },
      { kind: 'PACK', name: 'Carte 20 cours', priceCents: 36000, credits: 20, validityDays: 365 },
      { kind: 'DISCOVERY', name: 'Cours découverte', priceCents: 1500, credits: 1, validityDays: 30 },
    ],
    memberHolds: { adult: ['Carte 10 cours'], child: ['Carte 10 cours'] },
  },
];

export async function seedDemoData(clock: Clock): Promise<void> {
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
      await tx.venue.create({ data: { organizationId: organization.id, ...demo.venue } });
      await tx.coach.create({ data: { organizationId: organization.id, displayName: 'Camille' } });
      const activityIds = new Map<string, string>();
      for (const { times: _times, minutes: _minutes, capacity: _capacity, priceCents: _price, ...activityData } of demo.activities) {
        const activity = await tx.activity.create({ data: { organizationId: organization.id, ...activityData } });
        activityIds.set(activity.name, activity.id);
      }
      for (const { activityNames, ...offer } of demo.offers) {
        await tx.offer.create({
          data: {
            ...offer,
            organizationId: organization.id,
            activities: activityNames ? { create: activityNames.map((name) => ({ activityId: activityIds.get(name)! })) } : undefined,
          },
        });
      }
    }, SEED_TRANSACTION);
    created += 1;
  }
  const sessions = await topUpDemoTimetable(clock.now());
  if (created > 0) {
    await seedDemoMember(clock, admin.id);
    logger.info({ organizations: created, login: DEMO_ACCOUNT, member: DEMO_MEMBER }, 'demo data loaded (log in as the demo admin or member)');
  }
  if (sessions > 0) logger.info({ sessions }, 'demo timetable topped up');
}

/**
 * Each demo organisation's daily timetable from now to the end of today + 14 days in its zone, so
 * that the demo is live at any hour, whenever it was first loaded. A session exists when one of the
 * same activity at the same venue starts at the same instant, whatever its status (a session staff
 * cancelled is not brought back). Activities staff renamed or added get nothing. One read and one
 * insert, whatever the number of days. Returns how many sessions were added.
 */
export async function topUpDemoTimetable(now: Date): Promise<number> {
  const organizations = await prisma.organization.findMany({
    where: { slug: { in: ORGANIZATIONS.map((demo) => demo.slug) } },
    select: {
      id: true,
      slug: true,
      timeZone: true,
      venues: { select: { id: true }, orderBy: { createdAt: 'asc' }, take: 1 },
      coaches: { select: { id: true }, orderBy: { createdAt: 'asc' }, take: 1 },
      activities: { select: { id: true, name: true } },
    },
  });
  const wanted: (Prisma.SessionCreateManyInput & { startsAt: Date })[] = [];
  for (const organization of organizations) {
    const demo = ORGANIZATIONS.find((candidate) => candidate.slug === organization.slug)!;
    const venue = organization.venues[0];
    if (!venue) continue;
    const today = DateTime.fromJSDate(now, { zone: organization.timeZone }).startOf('day');
    for (const activity of demo.activities) {
      const activityId = organization.activities.find((candidate) => candidate.name === activity.name)?.id;
      if (!activityId) continue;
      for (let day = 0; day <= DEMO_TIMETABLE_DAYS; day += 1) {
        for (const time of activity.times) {
          const [hour, minute] = time.split(':').map(Number) as [number, number];
          const startsAt = today.plus({ days: day }).set({ hour, minute }).toJSDate();
          if (startsAt.getTime() <= now.getTime()) continue; // already started today
          wanted.push({
            organizationId: organization.id,
            activityId,
            venueId: venue.id,
            coachId: organization.coaches[0]?.id ?? null,
            startsAt,
            endsAt: new Date(startsAt.getTime() + activity.minutes * 60_000),
            capacity: activity.capacity,
            priceCents: activity.priceCents ?? null,
          });
        }
      }
    }
  }
  if (wanted.length === 0) return 0;
  const key = (session: { activityId: string; venueId: string; startsAt: Date }) =>
    `${session.activityId}/${session.venueId}/${session.startsAt.getTime()}`;
  const created = await prisma.$transaction(async (tx) => {
    // Instances starting together on one PostgreSQL top up one after the other, so none adds what
    // another has just added.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DEMO_TIMETABLE_LOCK_KEY})`;
    const existing = await tx.session.findMany({
      where: {
        organizationId: { in: organizations.map((organization) => organization.id) },
        startsAt: { gte: now, lte: new Date(Math.max(...wanted.map((session) => session.startsAt.getTime()))) },
      },
      select: { activityId: true, venueId: true, startsAt: true },
    });
    const taken = new Set(existing.map(key));
    const missing = wanted.filter((session) => !taken.has(key(session)));
    if (missing.length === 0) return [];
    return tx.session.createManyAndReturn({
      data: missing,
      select: { id: true, organizationId: true, venueId: true, activityId: true, startsAt: true },
    });
  }, SEED_TRANSACTION);
  // Announced like any new session, so that lobby screens and cached schedules on every instance
  // see them at once (an instance may top up while others serve).
  for (const session of created) publishSessionChanged(sessionChanged(session));
  return created.length;
}

/** Once at start, on a machine that may be busy (CI starts several servers at once): Prisma's 5 s default is too tight. */
const SEED_TRANSACTION = { maxWait: 20_000, timeout: 60_000 };

/**
 * The demo member's adult and child buy, at the desk, the offers `memberHolds` names, through the
 * same services as the API (the admin records the payment in the organisation's first desk method),
 * so they can book at once. Where an organisation reviews registrations (001), the adult's is
 * already verified and the child's is not, so that the review can be tried.
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
  const [adult, child] = await Promise.all([
    prisma.beneficiary.create({ data: { memberId: member.id, firstName: 'Camille', lastName: 'Martin', birthDate: new Date('1988-04-12'), isSelf: true } }),
    prisma.beneficiary.create({ data: { memberId: member.id, firstName: 'Léo', lastName: 'Martin', birthDate: childBirth } }),
  ]);
  const asAdmin: Context = { viewer: { memberId: adminId }, locale: 'fr', clock, clientAddress: 'seed' };
  const organizations = await prisma.organization.findMany({
    where: { slug: { in: ORGANIZATIONS.map((demo) => demo.slug) } },
    select: { id: true, slug: true, requiresRegistrationReview: true, acceptedDeskPaymentMethods: true, offers: { select: { id: true, name: true } } },
  });
  // A member of each organisation, so that its staff may buy on the member's behalf.
  await prisma.membership.createMany({
    data: organizations.map((organization) => ({ organizationId: organization.id, memberId: member.id })),
    skipDuplicates: true,
  });
  await prisma.registration.createMany({
    data: organizations
      .filter((organization) => organization.requiresRegistrationReview)
      .map((organization) => ({
        organizationId: organization.id,
        memberId: member.id,
        beneficiaryId: adult.id,
        status: 'VERIFIED' as const,
        details: { demo: true },
        reviewedById: adminId,
        reviewedAt: clock.now(),
      })),
    skipDuplicates: true,
  });
  for (const demo of ORGANIZATIONS) {
    const organization = organizations.find((candidate) => candidate.slug === demo.slug);
    if (!organization) continue;
    const method: PaymentMethod = organization.acceptedDeskPaymentMethods.find((candidate) => candidate !== 'CREDIT_NOTE') ?? 'CASH';
    const purchases = [
      ...demo.memberHolds.adult.map((name) => ({ name, beneficiaryId: adult.id })),
      ...demo.memberHolds.child.map((name) => ({ name, beneficiaryId: child.id })),
    ];
    for (const { name, beneficiaryId } of purchases) {
      const offer = organization.offers.find((candidate) => candidate.name === name);
      if (!offer) continue;
      const order = await purchaseOffer(asAdmin, { offerId: offer.id, beneficiaryId });
      if (order.status !== 'PAID') {
        await recordPayment(asAdmin, { orderId: order.id, method, amountCents: order.totalCents, reference: 'demo' });
      }
    }
  }
}
