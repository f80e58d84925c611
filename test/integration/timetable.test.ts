import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import type { Client } from 'graphql-ws';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import { renderEmail } from '../../src/mail/templates.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, startApp, success } from '../support/app.js';
import { addBeneficiary, book, buyCredits, createCatalogue, createOffer, createMember, memberWithCredits, scheduleSession, type TestMember } from '../support/factories.js';
import { subscribe, wsClient } from '../support/ws.js';

// The back office's timetable (SPEC §11, issue 12 points 1 and 2): weekly series over a term in
// the organisation's local time, and changes of single sessions (or of a series' future ones),
// with the emails, the availability events and the free cancellation that follow.

let app: App;
let url: string;
const clients: Client[] = [];
beforeAll(async () => {
  app = await startApp();
  url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await app.close();
});

const raw = (globalId: string) => decodeGlobalID(globalId).id;
const paris = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Paris' });

const CreateTimetable = graphql(`
  mutation TimetableCreate($input: CreateTimetableInput!) {
    createTimetable(input: $input) {
      __typename
      ... on CreateTimetableSuccess {
        timetable { id rule weekday startTime durationMinutes timeZone from until skipDates capacity sessions { id } }
        sessions { id startsAt endsAt capacity price { amountCents } timetable { id } coach { displayName } }
      }
      ... on ValidationError { field issues { field message } }
      ... on Error { code message }
    }
  }
`);

const UpdateSession = graphql(`
  mutation TimetableUpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionSuccess { session { id startsAt endsAt capacity seatsLeft changedAt venue { id } coach { displayName } } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const UpdateTimetable = graphql(`
  mutation TimetableUpdate($input: UpdateTimetableInput!) {
    updateTimetable(input: $input) {
      __typename
      ... on UpdateTimetableSuccess { timetable { startTime durationMinutes rule } sessions { id startsAt endsAt } }
      ... on ValidationError { field }
      ... on NotFoundError { field }
      ... on Error { code message }
    }
  }
`);

const CreateCoach = graphql(`
  mutation TimetableCreateCoach($input: CreateCoachInput!) {
    createCoach(input: $input) {
      __typename
      ... on CreateCoachSuccess { coach { id } }
      ... on Error { code message }
    }
  }
`);

const CreateVenue = graphql(`
  mutation TimetableCreateVenue($input: CreateVenueInput!) {
    createVenue(input: $input) {
      __typename
      ... on CreateVenueSuccess { venue { id } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation TimetableCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { status } }
      ... on Error { code message }
    }
  }
`);

const Book = graphql(`
  mutation TimetableBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status } }
      ... on BookSessionWaitlisted { waitlistEntry { id } }
      ... on Error { code message }
    }
  }
`);

const RecordPayment = graphql(`
  mutation TimetablePay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const Credits = graphql(`
  query TimetableCredits {
    viewer { entitlements { creditsRemaining } }
  }
`);

const FreeUntil = graphql(`
  query TimetableFreeUntil {
    viewer { bookings(filter: { upcoming: true }) { edges { node { id freeCancellationUntil } } } }
  }
`);

const Availability = graphql(`
  subscription TimetableAvailability($filter: SessionFilter!) {
    sessionAvailability(filter: $filter) { seatsLeft capacity waitlistLength session { id startsAt venue { id } } }
  }
`);

async function balance(member: TestMember): Promise<number> {
  const entitlements = (await execute(app, Credits, {}, { token: member.token })).viewer!.entitlements;
  return entitlements.reduce((sum, lot) => sum + lot.creditsRemaining, 0);
}

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

async function coach(catalogue: Catalogue, displayName = 'Léa'): Promise<string> {
  const data = await execute(app, CreateCoach, { input: { organizationId: catalogue.organization.id, displayName } }, { token: catalogue.admin.token });
  return success(data.createCoach, 'CreateCoachSuccess').coach.id;
}

async function venue(catalogue: Catalogue, name: string): Promise<string> {
  const input = { organizationId: catalogue.organization.id, name, address: '3 quai de la Seine', city: 'Paris', latitude: 48.86, longitude: 2.36 };
  return success((await execute(app, CreateVenue, { input }, { token: catalogue.admin.token })).createVenue, 'CreateVenueSuccess').venue.id;
}

/** Tuesdays 10:00, 45 minutes, autumn term 2027 (summer time ends on Sunday 31 October 2027). */
function autumnTerm(catalogue: Catalogue, extra: Record<string, unknown> = {}) {
  return {
    activityId: catalogue.activity.id,
    venueId: catalogue.venue.id,
    capacity: 8,
    weekday: 'TUESDAY' as const,
    startTime: '10:00',
    durationMinutes: 45,
    from: '2027-09-01',
    until: '2027-12-14',
    // Toussaint holidays.
    skipDates: ['2027-10-26', '2027-11-02'],
    ...extra,
  };
}

describe('createTimetable', () => {
  it('builds a term across the October DST change: every session at 10:00 Paris time, holidays skipped, the series stored with its rule', async () => {
    const catalogue = await createCatalogue(app);
    const coachId = await coach(catalogue);
    const created = success(
      (await execute(app, CreateTimetable, { input: autumnTerm(catalogue, { coachId }) }, { token: catalogue.admin.token })).createTimetable,
      'CreateTimetableSuccess',
    );
    const local = created.sessions.map((session) => paris(session.startsAt));
    // 16 Tuesdays from 7 September to 14 December, less the two holidays.
    expect(local.map((at) => at.toISODate())).toEqual([
      '2027-09-07', '2027-09-14', '2027-09-21', '2027-09-28', '2027-10-05', '2027-10-12', '2027-10-19',
      '2027-11-09', '2027-11-16', '2027-11-23', '2027-11-30', '2027-12-07', '2027-12-14',
    ]);
    expect(new Set(local.map((at) => at.toFormat('HH:mm')))).toEqual(new Set(['10:00']));
    // The wall clock holds; the UTC instants move by the hour the clocks went back.
    expect(created.sessions[6]!.startsAt).toBe('2027-10-19T08:00:00.000Z');
    expect(created.sessions[7]!.startsAt).toBe('2027-11-09T09:00:00.000Z');
    for (const session of created.sessions) {
      expect(new Date(session.endsAt).getTime() - new Date(session.startsAt).getTime()).toBe(45 * 60_000);
      expect(session).toMatchObject({ capacity: 8, price: null, timetable: { id: created.timetable.id }, coach: { displayName: 'Léa' } });
    }
    expect(created.timetable).toMatchObject({
      weekday: 'TUESDAY',
      startTime: '10:00',
      durationMinutes: 45,
      timeZone: 'Europe/Paris',
      from: '2027-09-01',
      until: '2027-12-14',
      skipDates: ['2027-10-26', '2027-11-02'],
      rule: 'DTSTART;TZID=Europe/Paris:20270907T100000\nRRULE:FREQ=WEEKLY;BYDAY=TU;WKST=MO;UNTIL=20271214T235959',
    });
    expect(created.timetable.sessions.map((s) => s.id)).toEqual(created.sessions.map((s) => s.id));
    // The public schedule lists them like any other session.
    expect(await prisma.session.count({ where: { timetableId: raw(created.timetable.id) } })).toBe(13);
  });

  it('refuses a bad series with typed, translated errors and creates nothing', async () => {
    const catalogue = await createCatalogue(app);
    const asAdmin = { token: catalogue.admin.token };
    const attempt = async (extra: Record<string, unknown>, locale?: string) =>
      (await execute(app, CreateTimetable, { input: autumnTerm(catalogue, extra) }, { ...asAdmin, locale })).createTimetable;

    expect(await attempt({ startTime: '25:00' })).toMatchObject({ code: 'VALIDATION', field: ['startTime'] });
    expect(await attempt({ startTime: '9h' }, 'en')).toMatchObject({ code: 'VALIDATION', message: 'Give a time as HH:mm (00:00 to 23:59).' });
    expect(await attempt({ until: '2028-12-14' })).toMatchObject({ code: 'VALIDATION', field: ['until'], message: 'Une série couvre au plus 366 jours.' });
    expect(await attempt({ until: '2027-08-01' })).toMatchObject({ code: 'VALIDATION', field: ['until'] });
    expect(await attempt({ durationMinutes: 0, capacity: -1 })).toMatchObject({
      code: 'VALIDATION',
      issues: [{ field: ['durationMinutes'] }, { field: ['capacity'] }],
    });
    // A series whose only Tuesday is a holiday creates nothing.
    expect(await attempt({ from: '2027-10-25', until: '2027-10-31' }, 'en')).toMatchObject({
      code: 'VALIDATION',
      field: ['skipDates'],
      message: 'This series creates no session: no day of the period fits (skipped dates aside).',
    });
    // A term that started already.
    expect(await attempt({ from: '2026-01-05', until: '2026-12-31' })).toMatchObject({ code: 'VALIDATION', field: ['from'] });
    // Too many holidays listed, before anything is read.
    const days = Array.from({ length: 367 }, (_, i) => DateTime.fromISO('2027-09-01').plus({ days: i }).toISODate()!);
    expect(await attempt({ skipDates: days })).toMatchObject({ code: 'VALIDATION', field: ['skipDates'] });
    // A venue of another organisation.
    const other = await createCatalogue(app);
    expect(await attempt({ venueId: other.venue.id })).toMatchObject({ code: 'VALIDATION', field: ['venueId'] });

    expect(await prisma.session.count({ where: { activityId: raw(catalogue.activity.id) } })).toBe(0);
    expect(await prisma.timetable.count({ where: { activityId: raw(catalogue.activity.id) } })).toBe(0);
  });

  it('prices each session when asked, and a series of a long term is one transaction of at most 53 sessions', async () => {
    const catalogue = await createCatalogue(app);
    const created = success(
      (
        await execute(
          app,
          CreateTimetable,
          { input: autumnTerm(catalogue, { weekday: 'SATURDAY', from: '2027-01-01', until: '2027-12-31', skipDates: [], priceCents: 1_500 }) },
          { token: catalogue.admin.token },
        )
      ).createTimetable,
      'CreateTimetableSuccess',
    );
    expect(created.sessions).toHaveLength(52);
    expect(created.sessions.every((session) => session.price?.amountCents === 1_500)).toBe(true);
    // Spring and autumn changes both kept at 10:00.
    expect(new Set(created.sessions.map((session) => paris(session.startsAt).toFormat('ccc HH:mm')))).toEqual(new Set(['Sat 10:00']));
  });
});

describe('updateSession', () => {
  it('moves a session: booked and waiting members are emailed and see it live, booked ones may then cancel for free until the start, later bookings follow the usual notice', async () => {
    const catalogue = await createCatalogue(app);
    const asAdmin = { token: catalogue.admin.token };
    const session = await scheduleSession(app, catalogue, { startsInHours: 48, capacity: 2 });
    const [ann, bob, cat] = await Promise.all([memberWithCredits(app, catalogue, 3), memberWithCredits(app, catalogue, 3), memberWithCredits(app, catalogue, 3)]);
    const annBooking = await book(app, ann, session.id, ann.beneficiaryId);
    const bobBooking = await book(app, bob, session.id, bob.beneficiaryId);
    success(
      (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: cat.beneficiaryId, joinWaitlistIfFull: true } }, { token: cat.token }))
        .bookSession,
      'BookSessionWaitlisted',
    );
    const pool = await venue(catalogue, 'Piscine Pailleron');
    const coachId = await coach(catalogue, 'Marc');

    const ws = () => {
      const client = wsClient(url.replace('http://', 'ws://'));
      clients.push(client);
      return client;
    };
    const byId = subscribe(ws(), Availability, { filter: { ids: [session.id] } });
    const byOldVenue = subscribe(ws(), Availability, { filter: { venueId: catalogue.venue.id } });
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Moved to two hours from now: well inside the activity's 4 h notice.
    const newStart = new Date(Date.now() + 2 * 3_600_000);
    newStart.setUTCSeconds(0, 0);
    const moved = success(
      (await execute(app, UpdateSession, { input: { sessionId: session.id, startsAt: newStart.toISOString(), venueId: pool, coachId } }, asAdmin))
        .updateSession,
      'UpdateSessionSuccess',
    ).session;
    expect(moved).toMatchObject({ startsAt: newStart.toISOString(), venue: { id: pool }, coach: { displayName: 'Marc' }, capacity: 2, seatsLeft: 0 });
    // A new start alone keeps the duration.
    expect(new Date(moved.endsAt).getTime() - newStart.getTime()).toBe(3_600_000);
    expect(moved.changedAt).not.toBeNull();

    // Everyone concerned gets a session-changed email, in the same transaction as the change.
    const emails = await prisma.outboxEmail.findMany({
      where: { template: 'session-changed', toAddress: { in: [ann.email, bob.email, cat.email] } },
      orderBy: { toAddress: 'asc' },
    });
    expect(emails.map((email) => [email.toAddress, (email.payload as { waiting: boolean }).waiting]).sort()).toEqual(
      [
        [ann.email, false],
        [bob.email, false],
        [cat.email, true],
      ].sort(),
    );
    const annEmail = emails.find((email) => email.toAddress === ann.email)!;
    expect(annEmail.payload).toMatchObject({ startsAt: newStart.toISOString(), previousStartsAt: session.startsAt, coach: 'Marc', venue: { name: 'Piscine Pailleron' } });
    const rendered = renderEmail('session-changed', annEmail.locale, annEmail.payload as Record<string, unknown>, { publicUrl: 'https://example.org' });
    expect(rendered.subject).toContain('Séance modifiée');
    expect(rendered.text).toContain('Piscine Pailleron');
    expect(rendered.text).toContain(`${paris(newStart.toISOString()).toFormat('HH:mm')}`);
    expect(rendered.text).toContain("vous pouvez annuler sans perdre votre crédit");

    // Subscribers by id and of the old venue both see the change (the session left that venue).
    const [pushed] = await byId.waitFor(1);
    expect(pushed!.data!.sessionAvailability).toMatchObject({ capacity: 2, session: { id: session.id, startsAt: newStart.toISOString(), venue: { id: pool } } });
    expect((await byOldVenue.waitFor(1))[0]!.data!.sessionAvailability.session.id).toBe(session.id);
    byId.dispose();
    byOldVenue.dispose();

    // Her booking now says so: free cancellation until the new start.
    const annView = (await execute(app, FreeUntil, {}, { token: ann.token })).viewer!.bookings.edges.map((edge) => edge.node);
    expect(annView).toEqual([{ id: annBooking, freeCancellationUntil: newStart.toISOString() }]);

    // Ann cancels 2 h before the start: usually late (4 h notice), free after the change.
    const annCancel = success((await execute(app, Cancel, { input: { bookingId: annBooking } }, { token: ann.token })).cancelBooking, 'CancelBookingSuccess');
    expect(annCancel).toMatchObject({ creditReturned: true, booking: { status: 'CANCELLED' } });
    expect(await balance(ann)).toBe(3);

    // Claims closed 12 h before the new start (a job at the new deadline closes the list): Ann's
    // seat is anyone's, and Cat books it. A booking made after the change knows the new time.
    const deadline = await prisma.dueJob.findFirstOrThrow({ where: { kind: 'WAITLIST_DEADLINE', payload: { equals: { sessionId: raw(session.id) } } }, orderBy: { runAt: 'asc' } });
    expect(deadline.runAt.getTime()).toBe(newStart.getTime() - 12 * 3_600_000);
    const catBooking = await book(app, cat, session.id, cat.beneficiaryId);
    const catCancel = success((await execute(app, Cancel, { input: { bookingId: catBooking } }, { token: cat.token })).cancelBooking, 'CancelBookingSuccess');
    expect(catCancel).toMatchObject({ creditReturned: false, booking: { status: 'LATE_CANCELLED' } });
    expect(await balance(cat)).toBe(2);

    // Bob, booked before the change, still cancels for free.
    expect((await execute(app, Cancel, { input: { bookingId: bobBooking } }, { token: bob.token })).cancelBooking).toMatchObject({ creditReturned: true });
    expect(await balance(bob)).toBe(3);
  });

  it('refunds a paid session cancelled after it moved, whatever the notice', async () => {
    const catalogue = await createCatalogue(app);
    await prisma.organization.update({ where: { id: raw(catalogue.organization.id) }, data: { inPersonPaymentAllowed: true } });
    const inTwoDays = DateTime.now().setZone('Europe/Paris').plus({ days: 2 });
    const series = success(
      (
        await execute(
          app,
          CreateTimetable,
          {
            input: autumnTerm(catalogue, {
              weekday: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'][inTwoDays.weekday - 1],
              from: inTwoDays.toISODate(),
              until: inTwoDays.plus({ days: 6 }).toISODate(),
              skipDates: [],
              priceCents: 2_000,
            }),
          },
          { token: catalogue.admin.token },
        )
      ).createTimetable,
      'CreateTimetableSuccess',
    );
    const [session] = series.sessions;
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    const booked = success(
      (await execute(app, Book, { input: { sessionId: session!.id, beneficiaryId, payWith: 'IN_PERSON' } }, { token: member.token })).bookSession,
      'BookSessionSuccess',
    ).booking;
    const { orderId } = await prisma.booking.findUniqueOrThrow({ where: { id: raw(booked.id) } });
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId! } });
    success(
      (await execute(app, RecordPayment, { input: { orderId: encodeGlobalID('Order', order.id), method: 'CASH', amountCents: 2_000 } }, { token: catalogue.admin.token }))
        .recordPayment,
      'RecordPaymentSuccess',
    );
    // Moved to one hour from now (the notice is 4 h).
    const soon = new Date(Date.now() + 3_600_000);
    success(
      (await execute(app, UpdateSession, { input: { sessionId: session!.id, startsAt: soon.toISOString() } }, { token: catalogue.admin.token })).updateSession,
      'UpdateSessionSuccess',
    );
    expect((await execute(app, Cancel, { input: { bookingId: booked.id } }, { token: member.token })).cancelBooking).toMatchObject({
      creditReturned: true,
      booking: { status: 'CANCELLED' },
    });
    expect(await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({ status: 'REFUNDED', paidCents: 0 });
  });

  it('refuses a capacity below the seats taken, and gives added seats to the waitlist first', async () => {
    const catalogue = await createCatalogue(app);
    const asAdmin = { token: catalogue.admin.token };
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const [ann, bob] = await Promise.all([memberWithCredits(app, catalogue, 2), memberWithCredits(app, catalogue, 2)]);
    await book(app, ann, session.id, ann.beneficiaryId);
    success(
      (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: bob.beneficiaryId, joinWaitlistIfFull: true } }, { token: bob.token }))
        .bookSession,
      'BookSessionWaitlisted',
    );
    const cut = (await execute(app, UpdateSession, { input: { sessionId: session.id, capacity: 0 } }, { ...asAdmin, locale: 'en' })).updateSession;
    expect(cut).toMatchObject({ code: 'VALIDATION', field: ['capacity'], message: 'The capacity cannot go below the seats already taken (1).' });
    expect((await execute(app, UpdateSession, { input: { sessionId: session.id } }, asAdmin)).updateSession).toMatchObject({
      code: 'VALIDATION',
      field: ['sessionId'],
    });
    expect((await execute(app, UpdateSession, { input: { sessionId: session.id, endsAt: session.startsAt } }, asAdmin)).updateSession).toMatchObject({
      code: 'VALIDATION',
      field: ['endsAt'],
    });

    const grown = success(
      (await execute(app, UpdateSession, { input: { sessionId: session.id, capacity: 2 } }, asAdmin)).updateSession,
      'UpdateSessionSuccess',
    ).session;
    // The new seat is held for Bob, who waited (FIRST_CLICK_WINS: an offer to claim).
    expect(grown).toMatchObject({ capacity: 2, seatsLeft: 0, changedAt: null });
    const offers = await prisma.outboxEmail.findMany({ where: { template: 'waitlist-offer', toAddress: bob.email } });
    expect(offers).toHaveLength(1);
    // A capacity change alone tells booked members nothing new: no session-changed email.
    expect(await prisma.outboxEmail.count({ where: { template: 'session-changed', toAddress: { in: [ann.email, bob.email] } } })).toBe(0);
  });

  it('never ends with more bookings than seats when the capacity is cut while members book in parallel', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 6 });
    const members = await Promise.all(Array.from({ length: 6 }, () => memberWithCredits(app, catalogue, 1)));
    const results = await Promise.all([
      ...members.map((m) =>
        httpRequest(url, Book, { input: { sessionId: session.id, beneficiaryId: m.beneficiaryId } }, { token: m.token }).then((d) => d.bookSession),
      ),
      httpRequest(url, UpdateSession, { input: { sessionId: session.id, capacity: 3 } }, { token: catalogue.admin.token }).then((d) => d.updateSession),
    ]);
    const cut = results.at(-1)!;
    const booked = await prisma.booking.count({ where: { sessionId: raw(session.id), status: 'CONFIRMED' } });
    const row = await prisma.session.findUniqueOrThrow({ where: { id: raw(session.id) } });
    expect(row.seatsTaken).toBe(booked);
    expect(booked).toBeLessThanOrEqual(row.capacity);
    if (cut.__typename === 'UpdateSessionSuccess') {
      expect(row.capacity).toBe(3);
      expect(booked).toBeLessThanOrEqual(3);
    } else {
      // The cut came after more than 3 bookings: refused, capacity kept.
      expect(cut).toMatchObject({ code: 'VALIDATION', field: ['capacity'] });
      expect(row.capacity).toBe(6);
      expect(booked).toBeGreaterThan(3);
    }
  });
});

describe('updateTimetable', () => {
  it("moves the series' future sessions to a new local time at once, on each one's own day, and emails who booked", async () => {
    const catalogue = await createCatalogue(app);
    const created = success(
      (await execute(app, CreateTimetable, { input: autumnTerm(catalogue) }, { token: catalogue.admin.token })).createTimetable,
      'CreateTimetableSuccess',
    );
    // A pack valid long enough for the term.
    const ann = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, ann);
    await buyCredits(app, catalogue, ann, await createOffer(app, catalogue, { credits: 2, validityDays: 1_000 }), beneficiaryId);
    await book(app, ann, created.sessions[7]!.id, beneficiaryId);
    const changed = success(
      (
        await execute(
          app,
          UpdateTimetable,
          { input: { timetableId: created.timetable.id, startTime: '18:30', durationMinutes: 60 } },
          { token: catalogue.admin.token },
        )
      ).updateTimetable,
      'UpdateTimetableSuccess',
    );
    expect(changed.timetable).toMatchObject({ startTime: '18:30', durationMinutes: 60 });
    expect(changed.timetable.rule).toContain('DTSTART;TZID=Europe/Paris:20270907T183000');
    expect(changed.sessions.map((s) => paris(s.startsAt).toISODate())).toEqual(created.sessions.map((s) => paris(s.startsAt).toISODate()));
    expect(new Set(changed.sessions.map((s) => paris(s.startsAt).toFormat('HH:mm')))).toEqual(new Set(['18:30']));
    expect(changed.sessions[6]!.startsAt).toBe('2027-10-19T16:30:00.000Z');
    expect(changed.sessions[7]!.startsAt).toBe('2027-11-09T17:30:00.000Z');
    const emails = await prisma.outboxEmail.findMany({ where: { template: 'session-changed', toAddress: ann.email } });
    expect(emails).toHaveLength(1);
    expect(emails[0]!.payload).toMatchObject({ startsAt: '2027-11-09T17:30:00.000Z', previousStartsAt: '2027-11-09T09:00:00.000Z', changes: ['time'] });
  });
});

describe('staff of another organisation', () => {
  it('get nothing: they cannot build a series with, change or move what is not theirs', async () => {
    const catalogue = await createCatalogue(app);
    const created = success(
      (await execute(app, CreateTimetable, { input: autumnTerm(catalogue) }, { token: catalogue.admin.token })).createTimetable,
      'CreateTimetableSuccess',
    );
    const session = await scheduleSession(app, catalogue, { capacity: 4 });
    const rogue = await createCatalogue(app);
    const asRogue = { token: rogue.admin.token };

    expect((await execute(app, CreateTimetable, { input: autumnTerm(catalogue) }, asRogue)).createTimetable).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      (await execute(app, UpdateSession, { input: { sessionId: session.id, capacity: 40, venueId: rogue.venue.id } }, asRogue)).updateSession,
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect((await execute(app, UpdateTimetable, { input: { timetableId: created.timetable.id, capacity: 1 } }, asRogue)).updateTimetable).toMatchObject({
      code: 'FORBIDDEN',
    });
    // A member of the club who is not staff neither.
    const member = await memberWithCredits(app, catalogue, 1);
    expect((await execute(app, UpdateSession, { input: { sessionId: session.id, capacity: 40 } }, { token: member.token })).updateSession).toMatchObject({
      code: 'FORBIDDEN',
    });
    // The club's own staff cannot bring in the other club's venue or coach.
    const rogueCoach = await coach(rogue);
    expect(
      (await execute(app, UpdateSession, { input: { sessionId: session.id, coachId: rogueCoach } }, { token: catalogue.admin.token })).updateSession,
    ).toMatchObject({ code: 'VALIDATION', field: ['coachId'] });
    expect(
      (await execute(app, UpdateTimetable, { input: { timetableId: created.timetable.id, venueId: rogue.venue.id } }, { token: catalogue.admin.token }))
        .updateTimetable,
    ).toMatchObject({ code: 'VALIDATION', field: ['venueId'] });
    // An ID of another type cannot name a timetable: VALIDATION on its field, not an error.
    expect(
      (await execute(app, UpdateTimetable, { input: { timetableId: session.id, capacity: 1 } }, { token: catalogue.admin.token })).updateTimetable,
    ).toMatchObject({ code: 'VALIDATION', field: ['timetableId'] });

    const row = await prisma.session.findUniqueOrThrow({ where: { id: raw(session.id) } });
    expect(row).toMatchObject({ capacity: 4, venueId: raw(catalogue.venue.id), changedAt: null });
    expect(await prisma.session.count({ where: { timetableId: raw(created.timetable.id), capacity: 8, changedAt: null } })).toBe(13);
  });
});
