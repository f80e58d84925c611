import { decodeGlobalID } from '@pothos/plugin-relay';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { EARTH_RADIUS_KM } from '../../src/domain/geo.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, success } from '../support/app.js';
import { clockApp, ms, testClock } from '../support/clock.js';
import { addBeneficiary, buyCredits, createCatalogue, createMember, createOffer, scheduleSession, type TestMember } from '../support/factories.js';

// Closures and the 15 km rules (SPEC §11, issue 12 point 3; 004), through the real server on a
// test clock of its own: a two-week closure cancels its sessions as cancelSession does and extends
// the affected packs; a definitive closure issues credit notes, refundable after the year only
// when no venue is open within 15 km; a subscription ends early on a move only when no venue lies
// within 15 km of the new address. Staff of another organisation get nothing.

const server = clockApp('closures');
let app: App;
beforeAll(() => {
  app = server();
});
const { advanceTo, nextMorning } = testClock(() => app);

const CloseVenue = graphql(`
  mutation ClosuresCloseVenue($input: CloseVenueInput!) {
    closeVenue(input: $input) {
      __typename
      ... on CloseVenueSuccess {
        sessionsCancelled entitlementsExtended
        closure { id from until startsAt endsAt definitive extensionDays sessionsCancelled reason extensions { reason newValidUntil } }
        creditNotes { id amount { amountCents } remaining { amountCents } expiresAt }
      }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const RefundCreditNote = graphql(`
  mutation ClosuresRefundCreditNote($input: RefundCreditNoteInput!) {
    refundCreditNote(input: $input) {
      __typename
      ... on RefundCreditNoteSuccess { refundedCents creditNote { id remaining { amountCents } refundedAt venueClosure { id definitive } } }
      ... on Error { code message }
    }
  }
`);

const TerminateForMove = graphql(`
  mutation ClosuresTerminateForMove($input: TerminateSubscriptionForMoveInput!) {
    terminateSubscriptionForMove(input: $input) {
      __typename
      ... on TerminateSubscriptionForMoveSuccess { nearestVenueKm subscription { id status endsAt } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const Terminate = graphql(`
  mutation ClosuresTerminate($input: TerminateSubscriptionInput!) {
    terminateSubscription(input: $input) {
      __typename
      ... on TerminateSubscriptionSuccess { subscription { id endsAt } }
      ... on Error { code message }
    }
  }
`);

const CreateVenue = graphql(`
  mutation ClosuresCreateVenue($input: CreateVenueInput!) {
    createVenue(input: $input) { __typename ... on CreateVenueSuccess { venue { id } } ... on Error { code message } }
  }
`);

const Book = graphql(`
  mutation ClosuresBook($input: BookSessionInput!) {
    bookSession(input: $input) { __typename ... on BookSessionSuccess { booking { id } } ... on Error { code message } }
  }
`);

const JoinWaitlist = graphql(`
  mutation ClosuresJoinWaitlist($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) { __typename ... on JoinWaitlistSuccess { waitlistEntry { id status } } ... on Error { code message } }
  }
`);

const Mine = graphql(`
  query ClosuresMine {
    viewer {
      entitlements { id status creditsRemaining validUntil extensions { reason previousValidUntil newValidUntil } }
      creditNotes { id amount { amountCents } remaining { amountCents } expiresAt venueClosure { definitive } }
      subscriptions { id status endsAt currentPeriodEnd }
      orders { edges { node { id periodIndex } } }
    }
  }
`);

const VenueClosures = graphql(`
  query ClosuresOfVenue($id: ID!) {
    node(id: $id) { ... on Venue { closedForGoodFrom closures { id definitive from until } } }
  }
`);

const VenueStatus = graphql(`
  query ClosuresVenueStatus($id: ID!) {
    node(id: $id) { ... on Venue { closedForGoodFrom } }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;
type Buyer = TestMember & { beneficiaryId: string };

const uuid = (globalId: string) => decodeGlobalID(globalId).id;
const mine = async (m: TestMember) => (await execute(app, Mine, {}, { token: m.token })).viewer!;
const close = async (token: string, input: Parameters<typeof closeInput>[0], locale = 'en') =>
  (await execute(app, CloseVenue, { input: closeInput(input) }, { token, locale })).closeVenue;
const closeInput = (input: { venueId: string; from: string; until?: string | null; reason?: string; extendValidity?: boolean; definitive?: boolean }) => ({
  reason: 'Vidange annuelle',
  ...input,
});

async function buyer(catalogue: Catalogue, credits = 10, priceCents = 10_000): Promise<Buyer & { offerId: string }> {
  const m = await createMember(app);
  const beneficiaryId = await addBeneficiary(app, m);
  const offerId = await createOffer(app, catalogue, { credits, priceCents, validityDays: 60 });
  await buyCredits(app, catalogue, m, offerId, beneficiaryId);
  return { ...m, beneficiaryId, offerId };
}

async function bookAt(m: Buyer, sessionId: string) {
  return success((await execute(app, Book, { input: { sessionId, beneficiaryId: m.beneficiaryId } }, { token: m.token })).bookSession, 'BookSessionSuccess')
    .booking.id;
}

/** Coordinates `km` north of a point (exact along a meridian). */
const north = (from: { latitude: number; longitude: number }, km: number) => ({
  latitude: from.latitude + (km / EARTH_RADIUS_KM) * (180 / Math.PI),
  longitude: from.longitude,
});
const POOL = { latitude: 48.85, longitude: 2.35 }; // createCatalogue's venue
const LYON = { latitude: 45.7578, longitude: 4.832 };

async function addVenue(catalogue: Catalogue, name: string, point: { latitude: number; longitude: number }) {
  const data = await execute(
    app,
    CreateVenue,
    { input: { organizationId: catalogue.organization.id, name, address: '2 quai', city: 'Paris', ...point } },
    { token: catalogue.admin.token },
  );
  return success(data.createVenue, 'CreateVenueSuccess').venue.id;
}

async function otherOrganisationStaff(): Promise<TestMember> {
  return (await createCatalogue(app)).admin;
}

describe('closeVenue: a two-week closure with extensions', () => {
  it('cancels every session of the range as cancelSession does, extends the affected packs by 14 days, and records the closure', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const from = day.plus({ days: 3 }).startOf('day');
    const until = from.plus({ days: 13 }); // two weeks: 14 local days
    const at = (d: DateTime, hour: number) => ({ startsAt: d.set({ hour }).toJSDate() });
    const before = await scheduleSession(app, catalogue, at(day.plus({ days: 2 }), 18));
    const first = await scheduleSession(app, catalogue, { ...at(from, 0), capacity: 1 }); // midnight: inside
    const middle = await scheduleSession(app, catalogue, at(from.plus({ days: 6 }), 10));
    const last = await scheduleSession(app, catalogue, at(until, 23));
    const after = await scheduleSession(app, catalogue, at(until.plus({ days: 1 }), 0));

    const booked = await buyer(catalogue);
    const waiting = await buyer(catalogue);
    const bystander = await buyer(catalogue);
    await bookAt(booked, first.id);
    await bookAt(booked, middle.id);
    await bookAt(booked, before.id);
    // The first session is full: the second member waits, holding a credit.
    const entry = success(
      (await execute(app, JoinWaitlist, { input: { sessionId: first.id, beneficiaryId: waiting.beneficiaryId } }, { token: waiting.token })).joinWaitlist,
      'JoinWaitlistSuccess',
    ).waitlistEntry;
    // A third member is booked in the last session of the range.
    const late = await buyer(catalogue);
    await bookAt(late, last.id);

    const lotsBefore = new Map((await prisma.entitlement.findMany({ where: { organizationId: uuid(catalogue.organization.id) } })).map((e) => [e.memberId, e]));
    const result = success(
      await close(catalogue.admin.token, { venueId: catalogue.venue.id, from: from.toISODate()!, until: until.toISODate()!, extendValidity: true }),
      'CloseVenueSuccess',
    );
    expect(result.sessionsCancelled).toBe(3);
    expect(result.closure).toMatchObject({
      from: from.toISODate(),
      until: until.toISODate(),
      definitive: false,
      extensionDays: 14,
      sessionsCancelled: 3,
      reason: 'Vidange annuelle',
    });
    expect(ms(result.closure.startsAt)).toBe(from.toMillis());
    expect(ms(result.closure.endsAt!)).toBe(until.plus({ days: 1 }).startOf('day').toMillis());

    // The range's sessions are cancelled with the closure's reason; those around it are not.
    const sessions = await prisma.session.findMany({ where: { venueId: uuid(catalogue.venue.id) }, orderBy: { startsAt: 'asc' } });
    expect(sessions.map((s) => [s.id, s.status])).toEqual([
      [uuid(before.id), 'SCHEDULED'],
      [uuid(first.id), 'CANCELLED'],
      [uuid(middle.id), 'CANCELLED'],
      [uuid(last.id), 'CANCELLED'],
      [uuid(after.id), 'SCHEDULED'],
    ]);
    expect(sessions[1]).toMatchObject({ cancellationReason: 'Vidange annuelle', seatsTaken: 0, waitlistLength: 0 });

    // Credits back, the hold released, everyone emailed.
    const booker = await mine(booked);
    expect(booker.entitlements).toMatchObject([{ creditsRemaining: 9, status: 'ACTIVE' }]); // the session before still holds one
    expect((await mine(late)).entitlements).toMatchObject([{ creditsRemaining: 10 }]);
    expect((await mine(waiting)).entitlements).toMatchObject([{ creditsRemaining: 10 }]);
    expect(await prisma.waitlistEntry.findUniqueOrThrow({ where: { id: uuid(entry.id) } })).toMatchObject({ status: 'CANCELLED' });
    const emails = await prisma.outboxEmail.findMany({ where: { organizationId: uuid(catalogue.organization.id) }, orderBy: { createdAt: 'asc' } });
    const to = (m: TestMember, template: string) => emails.filter((e) => e.toAddress === m.email && e.template === template).length;
    expect(to(booked, 'session-cancelled')).toBe(2);
    expect(to(late, 'session-cancelled')).toBe(1);
    expect(to(waiting, 'waitlist-closed')).toBe(1);
    expect(to(bystander, 'session-cancelled')).toBe(0);

    // The affected packs (booked, waiting, the last session's) are extended by 14 local days, each with its reason; the bystander's is not.
    expect(result.entitlementsExtended).toBe(3);
    for (const m of [booked, waiting, late]) {
      const [lot] = (await mine(m)).entitlements;
      const previous = lotsBefore.get(uuid(m.id))!.validUntil;
      expect(ms(lot!.validUntil)).toBe(DateTime.fromJSDate(previous, { zone: 'Europe/Paris' }).plus({ days: 14 }).toMillis());
      expect(lot!.extensions).toEqual([
        {
          reason: `Venue closure (Pool, ${from.toISODate()} to ${until.toISODate()}): Vidange annuelle`,
          previousValidUntil: previous.toISOString(),
          newValidUntil: lot!.validUntil,
        },
      ]);
    }
    expect((await mine(bystander)).entitlements[0]!.extensions).toEqual([]);
    expect(result.closure.extensions).toHaveLength(3);

    // Staff see the closure on the venue.
    const venue = (await execute(app, VenueClosures, { id: catalogue.venue.id }, { token: catalogue.admin.token })).node;
    expect(venue).toMatchObject({ closedForGoodFrom: null, closures: [{ definitive: false, from: from.toISODate(), until: until.toISODate() }] });

    // An overlapping closure is refused, typed and translated; nothing more is cancelled.
    const again = await close(catalogue.admin.token, { venueId: catalogue.venue.id, from: until.toISODate()!, until: until.plus({ days: 2 }).toISODate()! }, 'fr');
    expect(again).toMatchObject({ code: 'VENUE_ALREADY_CLOSED', message: expect.stringContaining('déjà fermé') });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: uuid(after.id) } })).toMatchObject({ status: 'SCHEDULED' });
  });

  it('two staff closing the same venue at once: exactly one closure, each session cancelled once', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await buyer(catalogue);
    for (const d of [1, 2, 3]) await bookAt(m, (await scheduleSession(app, catalogue, { startsAt: day.plus({ days: d }).toJSDate() })).id);
    const input = { venueId: catalogue.venue.id, from: day.plus({ days: 1 }).toISODate()!, until: day.plus({ days: 5 }).toISODate()!, extendValidity: true };
    const results = await Promise.all(Array.from({ length: 4 }, () => close(catalogue.admin.token, input)));
    expect(results.filter((r) => r.__typename === 'CloseVenueSuccess')).toHaveLength(1);
    expect(results.filter((r) => r.__typename !== 'CloseVenueSuccess')).toEqual(Array(3).fill(expect.objectContaining({ code: 'VENUE_ALREADY_CLOSED' })));
    expect(await prisma.venueClosure.count({ where: { venueId: uuid(catalogue.venue.id) } })).toBe(1);
    const [lot] = (await mine(m)).entitlements;
    expect(lot).toMatchObject({ creditsRemaining: 10 });
    expect(lot!.extensions).toHaveLength(1);
  });

  it('refuses bad ranges with typed errors, and gives nothing to a member or to staff of another organisation', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { startsAt: day.plus({ days: 2 }).toJSDate() });
    const venueId = catalogue.venue.id;
    const d = (n: number) => day.plus({ days: n }).toISODate()!;
    expect(await close(catalogue.admin.token, { venueId, from: d(3), until: d(2) })).toMatchObject({ code: 'VALIDATION', field: ['until'] });
    expect(await close(catalogue.admin.token, { venueId, from: d(-1), until: d(2) })).toMatchObject({ code: 'VALIDATION', field: ['from'] });
    expect(await close(catalogue.admin.token, { venueId, from: d(1), until: d(400) })).toMatchObject({ code: 'VALIDATION', field: ['until'] });
    expect(await close(catalogue.admin.token, { venueId, from: d(1) })).toMatchObject({ code: 'VALIDATION', field: ['until'] });
    expect(await close(catalogue.admin.token, { venueId, from: d(1), definitive: true, extendValidity: true })).toMatchObject({
      code: 'VALIDATION',
      field: ['extendValidity'],
    });
    expect(await close(catalogue.admin.token, { venueId, from: d(1), until: d(2), reason: ' ' })).toMatchObject({ code: 'VALIDATION', field: ['reason'] });
    expect(await close(catalogue.admin.token, { venueId: 'bm9wZQ==', from: d(1), until: d(2) })).toMatchObject({ code: 'VALIDATION', field: ['venueId'] });

    const member = await buyer(catalogue);
    expect(await close(member.token, { venueId, from: d(1), until: d(2) })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await close((await otherOrganisationStaff()).token, { venueId, from: d(1), until: d(2) })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: uuid(session.id) } })).toMatchObject({ status: 'SCHEDULED' });
    expect(await prisma.venueClosure.count({ where: { venueId: uuid(venueId) } })).toBe(0);
  });
});

describe('the 15 km cases', () => {
  it('a definitive closure issues credit notes for the unused credits; the refund after the year waits until no venue is open within 15 km', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const nearbyId = await addVenue(catalogue, 'Piscine du Nord', north(POOL, 8));
    const m = await buyer(catalogue, 10, 10_000);
    const other = await buyer(catalogue, 10, 10_000);
    // One credit spent at the other venue; one session booked at the pool that closes.
    const elsewhere = await execute(
      app,
      graphql(`mutation ClosuresSchedule($input: ScheduleSessionInput!) { scheduleSession(input: $input) { __typename ... on ScheduleSessionSuccess { session { id } } } }`),
      {
        input: {
          activityId: catalogue.activity.id,
          venueId: nearbyId,
          startsAt: day.plus({ days: 1 }).toJSDate().toISOString(),
          endsAt: day.plus({ days: 1, hours: 1 }).toJSDate().toISOString(),
          capacity: 5,
        },
      },
      { token: catalogue.admin.token },
    );
    await bookAt(m, success(elsewhere.scheduleSession, 'ScheduleSessionSuccess').session.id);
    await bookAt(m, (await scheduleSession(app, catalogue, { startsAt: day.plus({ days: 5 }).toJSDate() })).id);

    const closed = success(
      await close(catalogue.admin.token, { venueId: catalogue.venue.id, from: day.plus({ days: 2 }).toISODate()!, definitive: true, reason: 'Fermeture de la piscine' }),
      'CloseVenueSuccess',
    );
    expect(closed).toMatchObject({ sessionsCancelled: 1, entitlementsExtended: 0, closure: { definitive: true, until: null, endsAt: null } });
    // Only the member who had booked there is affected: 9 unused credits of 10 bought 100 € = 90 €.
    expect(closed.creditNotes).toMatchObject([{ amount: { amountCents: 9_000 }, remaining: { amountCents: 9_000 } }]);
    expect(ms(closed.creditNotes[0]!.expiresAt)).toBe(day.plus({ days: 365 }).toMillis());
    const viewer = await mine(m);
    expect(viewer.entitlements).toMatchObject([{ status: 'REVOKED', creditsRemaining: 0 }]);
    expect(viewer.creditNotes).toMatchObject([{ amount: { amountCents: 9_000 }, venueClosure: { definitive: true } }]);
    expect((await mine(other)).creditNotes).toEqual([]);
    expect(await prisma.outboxEmail.count({ where: { toAddress: m.email, template: 'closure-credit-note' } })).toBe(1);
    expect(await close(catalogue.admin.token, { venueId: catalogue.venue.id, from: day.plus({ days: 30 }).toISODate()!, until: day.plus({ days: 31 }).toISODate()! })).toMatchObject({
      code: 'VENUE_ALREADY_CLOSED',
    });
    // Members see that the venue closed for good, not the closure's record (staff only).
    const venue = (await execute(app, VenueStatus, { id: catalogue.venue.id }, { token: m.token })).node;
    expect(ms((venue as { closedForGoodFrom: string }).closedForGoodFrom)).toBe(day.plus({ days: 2 }).startOf('day').toMillis());
    expect((await request(app, VenueClosures, { id: catalogue.venue.id }, { token: m.token })).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });

    const creditNoteId = closed.creditNotes[0]!.id;
    const refund = async (token = catalogue.admin.token, locale = 'en') =>
      (await execute(app, RefundCreditNote, { input: { creditNoteId, reference: 'VIR-2027-001' } }, { token, locale })).refundCreditNote;
    // Within the year: still valid.
    expect(await refund()).toMatchObject({ code: 'CREDIT_NOTE_NOT_REFUNDABLE', message: expect.stringContaining('still valid') });

    await advanceTo(day.plus({ days: 366 }));
    // The northern pool, 8 km away, is open: refused, and said so in French with its distance.
    expect(await refund(catalogue.admin.token, 'fr')).toMatchObject({
      code: 'CREDIT_NOTE_NOT_REFUNDABLE',
      message: expect.stringContaining('« Piscine du Nord » est ouvert à 8,0 km'),
    });
    success(await close(catalogue.admin.token, { venueId: nearbyId, from: day.plus({ days: 366 }).toISODate()!, definitive: true }), 'CloseVenueSuccess');
    // A pool reopened 14.5 km away still refuses it; one 16 km away does not count.
    const reopened = await addVenue(catalogue, 'Piscine rouverte', north(POOL, 14.5));
    await addVenue(catalogue, 'Piscine lointaine', north(POOL, -16));
    expect(await refund()).toMatchObject({ code: 'CREDIT_NOTE_NOT_REFUNDABLE', message: expect.stringContaining('Piscine rouverte') });
    // Staff of another organisation, and the member, get nothing.
    expect(await refund((await otherOrganisationStaff()).token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await refund(m.token)).toMatchObject({ code: 'FORBIDDEN' });

    await advanceTo(day.plus({ days: 367 }));
    success(await close(catalogue.admin.token, { venueId: reopened, from: day.plus({ days: 367 }).toISODate()!, definitive: true }), 'CloseVenueSuccess');
    const refunded = success(await refund(), 'RefundCreditNoteSuccess');
    expect(refunded).toMatchObject({ refundedCents: 9_000, creditNote: { remaining: { amountCents: 0 }, venueClosure: { definitive: true } } });
    expect(ms(refunded.creditNote.refundedAt!)).toBe(day.plus({ days: 367 }).toMillis());
    expect(await refund()).toMatchObject({ code: 'CREDIT_NOTE_NOT_REFUNDABLE', message: expect.stringContaining('already been refunded') });
    expect(await prisma.creditNoteRefund.findMany({ where: { creditNoteId: uuid(creditNoteId) } })).toMatchObject([
      { amountCents: 9_000, reference: 'VIR-2027-001' },
    ]);
  });

  it('a subscription ends early on a move only when no venue lies within 15 km of the new address', async () => {
    const day = await nextMorning();
    await advanceTo(day);
    const catalogue = await createCatalogue(app);
    const m = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, m);
    const offerId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', period: 'MONTH', credits: 8, priceCents: 6_000 });
    await buyCredits(app, catalogue, m, offerId, beneficiaryId);
    const subscription = (await mine(m)).subscriptions[0]!;
    await advanceTo(day.plus({ days: 10 }));
    // The usual notice (one month before the anniversary) would end it a period later.
    const noticed = success(
      (await execute(app, Terminate, { input: { subscriptionId: subscription.id } }, { token: m.token })).terminateSubscription,
      'TerminateSubscriptionSuccess',
    ).subscription;
    expect(ms(noticed.endsAt!)).toBeGreaterThan(ms(subscription.currentPeriodEnd));

    const move = async (point: { latitude: number; longitude: number }, token = catalogue.admin.token, locale = 'en') =>
      (await execute(app, TerminateForMove, { input: { subscriptionId: subscription.id, proof: 'Bail signé le 1er mars', ...point } }, { token, locale }))
        .terminateSubscriptionForMove;
    // 12 km from the pool: refused, naming it.
    expect(await move(north(POOL, 12), catalogue.admin.token, 'fr')).toMatchObject({
      code: 'EARLY_TERMINATION_NOT_ALLOWED',
      message: expect.stringContaining('« Pool » est à 12,0 km'),
    });
    expect(await move({ latitude: 91, longitude: 2 })).toMatchObject({ code: 'VALIDATION', field: ['latitude'] });
    expect(await move(LYON, m.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await move(LYON, (await otherOrganisationStaff()).token)).toMatchObject({ code: 'FORBIDDEN' });
    expect((await mine(m)).subscriptions[0]!.endsAt).toBe(noticed.endsAt);

    // Lyon is 390 km away: it ends at the next billing date, notice waived.
    const moved = success(await move(LYON), 'TerminateSubscriptionForMoveSuccess');
    expect(moved.subscription.endsAt).toBe(subscription.currentPeriodEnd);
    expect(moved.nearestVenueKm).toBeGreaterThan(380);
    expect(await prisma.subscriptionMove.findUniqueOrThrow({ where: { subscriptionId: uuid(subscription.id) } })).toMatchObject({
      proof: 'Bail signé le 1er mars',
      previousEndsAt: new Date(noticed.endsAt!),
    });
    expect(await move(LYON)).toMatchObject({ code: 'EARLY_TERMINATION_NOT_ALLOWED' });

    // At the billing date it ends: no further period is ordered.
    await advanceTo(DateTime.fromISO(subscription.currentPeriodEnd).plus({ hours: 1 }));
    const after = await mine(m);
    expect(after.subscriptions[0]).toMatchObject({ status: 'TERMINATED' });
    expect(after.orders.edges).toHaveLength(1);
  });
});
