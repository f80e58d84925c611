import { decodeGlobalID } from '@pothos/plugin-relay';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, success } from '../support/app.js';
import { clockApp, testClock } from '../support/clock.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  memberWithCredits,
  scheduleSession,
  type TestMember,
} from '../support/factories.js';

// Calendar feeds (issue 14, point 6), read as a calendar app reads them: over HTTP without a login,
// parsed by an independent iCalendar parser (Mozilla's ical.js, which Thunderbird uses), with only
// the VTIMEZONEs the feed itself carries. The server runs the test clock (a database of its own) so
// that the feeds' time windows can be crossed.

const server = clockApp('calendars');
const { clockNow, advanceTo } = testClock(server);
let app: App;
let base: string;
beforeAll(async () => {
  app = server();
  base = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
});

const ViewerCalendar = graphql(`
  query CalViewer { viewer { id calendarUrl } }
`);

const MemberCalendar = graphql(`
  query CalMember($id: ID!) { node(id: $id) { ... on Member { id calendarUrl } } }
`);

const VenueCalendar = graphql(`
  query CalVenue($id: ID!) { node(id: $id) { ... on Venue { id calendarUrl } } }
`);

const ResetCalendarUrl = graphql(`
  mutation CalReset {
    resetCalendarUrl {
      __typename
      ... on ResetCalendarUrlSuccess { viewer { id calendarUrl } }
      ... on Error { code message }
    }
  }
`);

const CancelBooking = graphql(`
  mutation CalCancelBooking($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { booking { id status } }
      ... on Error { code message }
    }
  }
`);

const CancelSession = graphql(`
  mutation CalCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on CancelSessionSuccess { session { id status } }
      ... on Error { code message }
    }
  }
`);

const UpdateSession = graphql(`
  mutation CalUpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionSuccess { session { id startsAt } }
      ... on Error { code message }
    }
  }
`);

const ChangeCapacity = graphql(`
  mutation CalCapacity($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) {
      __typename
      ... on ChangeSessionCapacitySuccess { session { id capacity } }
      ... on Error { code message }
    }
  }
`);

interface FeedEvent {
  uid: string;
  summary: string;
  status: string;
  sequence: number;
  /** DTSTART's TZID parameter, as written. */
  tzid: string | null;
  /** Wall-clock start in that zone, `YYYY-MM-DDTHH:MM:SS`. */
  localStart: string;
  /** The instant, computed by ical.js from the feed's own VTIMEZONE. */
  start: string;
  end: string;
  lastModified: string | null;
}

interface Feed {
  zones: string[];
  events: FeedEvent[];
}

/** Parses a feed the way a calendar app does: only the time zones the feed defines are known. */
function parseFeed(text: string): Feed {
  ICAL.TimezoneService.reset();
  const calendar = new ICAL.Component(ICAL.parse(text));
  const zones = calendar.getAllSubcomponents('vtimezone');
  for (const zone of zones) ICAL.TimezoneService.register(zone);
  const events = calendar.getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    const dtstart = component.getFirstProperty('dtstart')!;
    const lastModified = component.getFirstPropertyValue('last-modified') as ICAL.Time | null;
    return {
      uid: event.uid,
      summary: event.summary,
      status: String(component.getFirstPropertyValue('status')),
      sequence: event.sequence,
      tzid: (dtstart.getParameter('tzid') as string | undefined) ?? null,
      localStart: event.startDate.toString(),
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      lastModified: lastModified ? lastModified.toJSDate().toISOString() : null,
    };
  });
  return { zones: zones.map((zone) => String(zone.getFirstPropertyValue('tzid'))), events };
}

async function fetchFeed(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { response, text: await response.text() };
}

async function feedOf(url: string): Promise<Feed> {
  const { response, text } = await fetchFeed(url);
  expect(response.status).toBe(200);
  return parseFeed(text);
}

async function calendarUrlOf(member: TestMember): Promise<string> {
  const url = (await execute(app, ViewerCalendar, {}, { token: member.token })).viewer!.calendarUrl;
  expect(url).toMatch(/^http:\/\/localhost:4000\/calendars\/members\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\.ics$/);
  return onTestServer(url!);
}

/** The same URL on this file's server (links are made with PUBLIC_URL, http://localhost:4000 here). */
function onTestServer(url: string): string {
  const { pathname, search } = new URL(url);
  return `${base}${pathname}${search}`;
}

const uuidOf = (globalId: string) => decodeGlobalID(globalId).id;
const bookingUid = (bookingId: string) => `booking-${uuidOf(bookingId)}@class-booking-api`;
const sessionUid = (sessionId: string) => `session-${uuidOf(sessionId)}@class-booking-api`;

/** 10:00 on a local day in the zone, as a Date. */
function localTen(day: string, zone = 'Europe/Paris'): Date {
  return DateTime.fromISO(`${day}T10:00:00`, { zone }).toJSDate();
}

describe("a member's calendar feed", () => {
  it('lists the classes of all their beneficiaries at the local hour, with TZID and VTIMEZONE, on both sides of a DST change', async () => {
    const club = await createCatalogue(app);
    // A pack valid long enough for March.
    const account = await createMember(app);
    const member = { ...account, beneficiaryId: await addBeneficiary(app, account) };
    const second = await addBeneficiary(app, member, '1988-02-03', 'Camille');
    const offerId = await createOffer(app, club, { validityDays: 365 });
    await buyCredits(app, club, member, offerId, member.beneficiaryId);
    await buyCredits(app, club, member, offerId, second);
    // Europe/Paris moves to summer time on Sunday 28 March 2027: 10:00 is 09:00Z before, 08:00Z after.
    const before = await scheduleSession(app, club, { startsAt: localTen('2027-03-26') });
    const after = await scheduleSession(app, club, { startsAt: localTen('2027-03-29') });
    const first = await book(app, member, before.id, member.beneficiaryId);
    const other = await book(app, member, after.id, second);
    // Someone else's booking in the same session is not in this member's feed.
    const stranger = await createMember(app);
    const strangerBeneficiary = await addBeneficiary(app, stranger);
    await buyCredits(app, club, stranger, offerId, strangerBeneficiary);
    const theirs = await book(app, stranger, before.id, strangerBeneficiary);

    const url = await calendarUrlOf(member);
    const { response, text } = await fetchFeed(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(response.headers.get('last-modified')).toBeTruthy();

    const feed = parseFeed(text);
    expect(feed.zones).toEqual(['Europe/Paris']);
    expect(feed.events.map((event) => event.uid).sort()).toEqual([bookingUid(first), bookingUid(other)].sort());
    expect(feed.events.map((event) => event.uid)).not.toContain(bookingUid(theirs));
    const [march26, march29] = feed.events;
    expect(march26).toMatchObject({
      summary: 'Aquagym · Ada',
      status: 'CONFIRMED',
      tzid: 'Europe/Paris',
      localStart: '2027-03-26T10:00:00',
      start: '2027-03-26T09:00:00.000Z',
      end: '2027-03-26T10:00:00.000Z',
    });
    expect(march29).toMatchObject({
      summary: 'Aquagym · Camille',
      status: 'CONFIRMED',
      tzid: 'Europe/Paris',
      localStart: '2027-03-29T10:00:00',
      start: '2027-03-29T08:00:00.000Z',
    });
  });

  it('writes the times of an organization in another zone in that zone', async () => {
    const club = await createCatalogue(app, 'Indian/Reunion');
    const member = await memberWithCredits(app, club);
    const session = await scheduleSession(app, club, { startsAt: localTen('2027-01-15', 'Indian/Reunion') });
    await book(app, member, session.id, member.beneficiaryId);
    const feed = await feedOf(await calendarUrlOf(member));
    expect(feed.zones).toEqual(['Indian/Reunion']);
    expect(feed.events).toMatchObject([{ tzid: 'Indian/Reunion', localStart: '2027-01-15T10:00:00', start: '2027-01-15T06:00:00.000Z' }]);
  });

  it('marks a cancelled booking and a cancelled session CANCELLED with a higher SEQUENCE, and its ETag follows', async () => {
    const club = await createCatalogue(app);
    const member = await memberWithCredits(app, club);
    const one = await scheduleSession(app, club, { startsInHours: 72 });
    const two = await scheduleSession(app, club, { startsInHours: 96 });
    const bookingOne = await book(app, member, one.id, member.beneficiaryId);
    const bookingTwo = await book(app, member, two.id, member.beneficiaryId);
    const url = await calendarUrlOf(member);

    const first = await fetchFeed(url);
    const etag = first.response.headers.get('etag')!;
    const initial = parseFeed(first.text).events;
    expect(initial.map((event) => [event.uid, event.status, event.sequence])).toEqual([
      [bookingUid(bookingOne), 'CONFIRMED', 1],
      [bookingUid(bookingTwo), 'CONFIRMED', 1],
    ]);
    // Nothing changed: the calendar app's copy is still good.
    const unchanged = await fetchFeed(url, { 'if-none-match': etag });
    expect(unchanged.response.status).toBe(304);
    expect(unchanged.text).toBe('');

    success((await execute(app, CancelBooking, { input: { bookingId: bookingOne } }, { token: member.token })).cancelBooking, 'CancelBookingSuccess');
    const afterCancel = await fetchFeed(url, { 'if-none-match': etag });
    expect(afterCancel.response.status).toBe(200);
    expect(afterCancel.response.headers.get('etag')).not.toBe(etag);
    const cancelledBooking = parseFeed(afterCancel.text).events.find((event) => event.uid === bookingUid(bookingOne))!;
    expect(cancelledBooking).toMatchObject({ status: 'CANCELLED', sequence: 2, summary: 'Annulé : Aquagym · Ada' });

    // Booked again: the calendar shows the new booking, not the cancelled one beside it.
    const again = await book(app, member, one.id, member.beneficiaryId);
    const rebooked = await feedOf(url);
    expect(rebooked.events.filter((event) => event.start === initial[0]!.start).map((event) => [event.uid, event.status])).toEqual([
      [bookingUid(again), 'CONFIRMED'],
    ]);

    // Staff move the class a couple of hours later (to a whole hour: iCalendar counts in seconds):
    // same UID, new time, a higher SEQUENCE.
    const moved = new Date((Math.floor(new Date(one.startsAt).getTime() / 3_600_000) + 2) * 3_600_000);
    success(
      (
        await execute(
          app,
          UpdateSession,
          { input: { sessionId: one.id, startsAt: moved.toISOString(), endsAt: new Date(moved.getTime() + 3_600_000).toISOString() } },
          { token: club.admin.token },
        )
      ).updateSession,
      'UpdateSessionSuccess',
    );
    expect((await feedOf(url)).events.find((event) => event.uid === bookingUid(again))).toMatchObject({
      status: 'CONFIRMED',
      start: moved.toISOString(),
      sequence: 2,
    });

    // The organization cancels the other session: its booking is cancelled with it.
    success(
      (await execute(app, CancelSession, { input: { sessionId: two.id, reason: 'Bassin fermé' } }, { token: club.admin.token })).cancelSession,
      'CancelSessionSuccess',
    );
    const afterSession = (await feedOf(url)).events.find((event) => event.uid === bookingUid(bookingTwo))!;
    expect(afterSession.status).toBe('CANCELLED');
    // The session's own revision (1) plus the booking's cancellation (2).
    expect(afterSession.sequence).toBe(3);
    expect(afterSession.lastModified).not.toBeNull();
  });

  it('is the member’s alone: FORBIDDEN to staff, nothing without a login', async () => {
    const club = await createCatalogue(app);
    const member = await memberWithCredits(app, club);
    const session = await scheduleSession(app, club);
    await book(app, member, session.id, member.beneficiaryId);
    const asStaff = await request(app, MemberCalendar, { id: member.id }, { token: club.admin.token });
    expect(asStaff.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(asStaff.data)).not.toContain('/calendars/');
    expect(await request(app, ViewerCalendar, {})).toEqual({ data: { viewer: null } });
    expect((await request(app, MemberCalendar, { id: member.id })).data).toEqual({ node: null });
  });

  it('stops working once reset, and the new URL works', async () => {
    const club = await createCatalogue(app);
    const member = await memberWithCredits(app, club);
    const session = await scheduleSession(app, club);
    const booking = await book(app, member, session.id, member.beneficiaryId);
    const old = await calendarUrlOf(member);
    expect((await fetchFeed(old)).response.status).toBe(200);

    const reset = success((await execute(app, ResetCalendarUrl, {}, { token: member.token })).resetCalendarUrl, 'ResetCalendarUrlSuccess');
    const fresh = onTestServer(reset.viewer!.calendarUrl!);
    expect(fresh).not.toBe(old);
    expect(await calendarUrlOf(member)).toBe(fresh);

    const revoked = await fetchFeed(old);
    expect(revoked.response.status).toBe(404);
    expect(revoked.response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(revoked.text).toBe('Not found\n');
    expect((await feedOf(fresh)).events.map((event) => event.uid)).toEqual([bookingUid(booking)]);
  });

  it("cannot be guessed: another member's feed id with one's own signature, or a made-up signature, answers 404", async () => {
    const club = await createCatalogue(app);
    const alice = await memberWithCredits(app, club);
    const bob = await memberWithCredits(app, club);
    const session = await scheduleSession(app, club);
    await book(app, bob, session.id, bob.beneficiaryId);
    const aliceUrl = new URL(await calendarUrlOf(alice));
    const bobUrl = new URL(await calendarUrlOf(bob));
    const [, aliceSignature] = /\/([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})\.ics$/.exec(aliceUrl.pathname)!.slice(1);
    const [bobFeed, bobSignature] = /\/([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})\.ics$/.exec(bobUrl.pathname)!.slice(1);
    expect(aliceSignature).not.toBe(bobSignature);

    const tries = [
      `/calendars/members/${bobFeed}.${aliceSignature}.ics`,
      `/calendars/members/${bobFeed}.${'A'.repeat(43)}.ics`,
      `/calendars/members/${bobFeed}.${bobSignature!.slice(0, 42)}.ics`,
      `/calendars/members/${bobFeed}.ics`,
      `/calendars/members/${decodeGlobalID(bob.id).id}.${bobSignature}.ics`,
      `/calendars/members/%E0%A4%A.ics`,
      '/calendars/whatever.ics',
    ];
    for (const path of tries) {
      const { response, text } = await fetchFeed(`${base}${path}`);
      expect([path, response.status, text]).toEqual([path, 404, 'Not found\n']);
    }
    // Bob's own URL still works, and Alice's shows nothing of Bob's.
    expect((await feedOf(`${base}${bobUrl.pathname}`)).events).toHaveLength(1);
    expect((await feedOf(`${base}${aliceUrl.pathname}`)).events).toEqual([]);
  });
});

describe("a venue's public timetable", () => {
  it('lists the sessions of the next 90 days in the venue’s zone, marks a cancelled one, and ignores seat counts', async () => {
    const club = await createCatalogue(app);
    const elsewhere = await createCatalogue(app);
    const now = await clockNow();
    const tomorrow = now.plus({ days: 1 }).toISODate()!;
    const soon = await scheduleSession(app, club, { startsAt: localTen(tomorrow) });
    const later = await scheduleSession(app, club, { startsAt: localTen(now.plus({ days: 30 }).toISODate()!) });
    await scheduleSession(app, club, { startsAt: localTen(now.plus({ days: 120 }).toISODate()!) });
    await scheduleSession(app, elsewhere, { startsAt: localTen(tomorrow) });

    const venueUrl = (await execute(app, VenueCalendar, { id: club.venue.id })).node as { calendarUrl: string };
    expect(venueUrl.calendarUrl).toMatch(/\/calendars\/venues\/[^/]+\.ics$/);
    const url = `${base}${new URL(venueUrl.calendarUrl).pathname}`;
    const first = await fetchFeed(url);
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(first.response.headers.get('cache-control')).toBe('public, max-age=300');
    const feed = parseFeed(first.text);
    expect(feed.zones).toEqual(['Europe/Paris']);
    expect(feed.events.map((event) => [event.uid, event.summary, event.status, event.sequence, event.tzid, event.localStart.slice(11)])).toEqual([
      [sessionUid(soon.id), 'Aquagym', 'CONFIRMED', 0, 'Europe/Paris', '10:00:00'],
      [sessionUid(later.id), 'Aquagym', 'CONFIRMED', 0, 'Europe/Paris', '10:00:00'],
    ]);
    expect(feed.events[0]!.start).toBe(localTen(tomorrow).toISOString());

    // A booking and a new capacity change seats, which the feed does not show: same bytes.
    const member = await memberWithCredits(app, club);
    await book(app, member, soon.id, member.beneficiaryId);
    success(
      (await execute(app, ChangeCapacity, { input: { sessionId: soon.id, capacity: 12 } }, { token: club.admin.token })).changeSessionCapacity,
      'ChangeSessionCapacitySuccess',
    );
    const etag = first.response.headers.get('etag')!;
    expect((await fetchFeed(url, { 'if-none-match': etag })).response.status).toBe(304);

    success(
      (await execute(app, CancelSession, { input: { sessionId: later.id, reason: 'Vidange' } }, { token: club.admin.token })).cancelSession,
      'CancelSessionSuccess',
    );
    const afterCancel = await fetchFeed(url, { 'if-none-match': etag });
    expect(afterCancel.response.status).toBe(200);
    expect(parseFeed(afterCancel.text).events.map((event) => [event.uid, event.status, event.sequence, event.summary])).toEqual([
      [sessionUid(soon.id), 'CONFIRMED', 0, 'Aquagym'],
      [sessionUid(later.id), 'CANCELLED', 1, 'Annulé : Aquagym'],
    ]);
  });

  it('answers 404 without a stack trace for an unknown, malformed or foreign id', async () => {
    const club = await createCatalogue(app);
    const unknownVenue = Buffer.from('Venue:00000000-0000-7000-8000-000000000000').toString('base64');
    const tries = [
      `/calendars/venues/${encodeURIComponent(unknownVenue)}.ics`,
      `/calendars/venues/${encodeURIComponent(club.organization.id)}.ics`,
      `/calendars/venues/${encodeURIComponent(Buffer.from('Venue:not-a-uuid').toString('base64'))}.ics`,
      '/calendars/venues/bm9ib2R5.ics',
      '/calendars/venues/%E0%A4%A.ics',
      `/calendars/venues/${'x'.repeat(300)}.ics`,
    ];
    for (const path of tries) {
      const { response, text } = await fetchFeed(`${base}${path}`);
      expect([path, response.status, response.headers.get('content-type'), text]).toEqual([path, 404, 'text/plain; charset=utf-8', 'Not found\n']);
    }
  });
});

describe('the time windows', () => {
  // Last: it moves this file's clock forward.
  it("keeps a member's class for 30 days after it ended, and a venue's session until it ends", async () => {
    const club = await createCatalogue(app);
    const member = await memberWithCredits(app, club);
    const now = await clockNow();
    const session = await scheduleSession(app, club, { startsAt: now.plus({ days: 2 }).toJSDate() });
    const booking = await book(app, member, session.id, member.beneficiaryId);
    const memberUrl = await calendarUrlOf(member);
    const venueUrl = `${base}${new URL(((await execute(app, VenueCalendar, { id: club.venue.id })).node as { calendarUrl: string }).calendarUrl).pathname}`;
    const venueUids = async () => (await feedOf(venueUrl)).events.map((event) => event.uid);

    await advanceTo(now.plus({ days: 2, minutes: 30 }));
    expect(await venueUids()).toEqual([sessionUid(session.id)]);
    await advanceTo(now.plus({ days: 3 }));
    expect(await venueUids()).toEqual([]);
    expect((await feedOf(memberUrl)).events.map((event) => event.uid)).toEqual([bookingUid(booking)]);
    await advanceTo(now.plus({ days: 2 + 31 }));
    expect((await feedOf(memberUrl)).events).toEqual([]);
  });
});
