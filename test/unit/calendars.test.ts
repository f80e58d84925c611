import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { type FeedBooking, type FeedSession, memberCalendar, venueCalendar } from '../../src/domain/calendars.js';

// The iCalendar of the feeds, from rows (src/domain/calendars.ts), read back with ical.js.

function session(overrides: Partial<FeedSession> = {}): FeedSession {
  return {
    id: '01900000-0000-7000-8000-000000000001',
    startsAt: new Date('2027-11-02T09:00:00Z'),
    endsAt: new Date('2027-11-02T10:00:00Z'),
    status: 'SCHEDULED',
    cancellationReason: null,
    calendarSequence: 0,
    calendarChangedAt: new Date('2027-10-01T08:00:00Z'),
    activity: { name: 'Bébés nageurs', description: 'Dès 6 mois; bonnet obligatoire, merci.' },
    venue: { name: 'Piscine', address: '1 rue de l’Eau', city: 'Paris', postalCode: '75011', latitude: 48.85, longitude: 2.37 },
    coach: { displayName: 'Léa' },
    organization: { name: 'Aquaclub', timeZone: 'Europe/Paris' },
    ...overrides,
  };
}

function booking(status: FeedBooking['status'], overrides: Partial<FeedBooking> = {}): FeedBooking {
  return {
    id: '01900000-0000-7000-8000-00000000000b',
    status,
    createdAt: new Date('2027-10-02T08:00:00Z'),
    cancelledAt: status === 'CANCELLED' ? new Date('2027-10-03T08:00:00Z') : null,
    beneficiary: { id: 'b1', firstName: 'Léo', lastName: 'Martin' },
    session: session(),
    ...overrides,
  };
}

function events(text: string) {
  ICAL.TimezoneService.reset();
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
  return calendar.getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    return {
      sequence: event.sequence,
      status: String(component.getFirstPropertyValue('status')),
      tzid: component.getFirstProperty('dtstart')!.getParameter('tzid') ?? null,
      local: event.startDate.toString(),
      start: event.startDate.toJSDate().toISOString(),
      description: event.description,
      stamp: (component.getFirstPropertyValue('dtstamp') as ICAL.Time).toString(),
    };
  });
}

describe('memberCalendar', () => {
  it('gives the same bytes for the same rows (so the ETag holds), whenever it runs', () => {
    const rows = [booking('CONFIRMED')];
    expect(memberCalendar({ locale: 'fr' }, rows)).toBe(memberCalendar({ locale: 'fr' }, rows));
  });

  it('grows SEQUENCE as a booking goes from a held seat to booked to cancelled, on top of the session’s revisions', () => {
    const sequence = (b: FeedBooking) => events(memberCalendar({ locale: 'fr' }, [b]))[0]!.sequence;
    expect([booking('PENDING_PAYMENT'), booking('CONFIRMED'), booking('ATTENDED'), booking('CANCELLED')].map(sequence)).toEqual([0, 1, 1, 2]);
    expect(sequence(booking('CONFIRMED', { session: session({ calendarSequence: 3 }) }))).toBe(4);
    expect(events(memberCalendar({ locale: 'fr' }, [booking('PENDING_PAYMENT')]))[0]!.status).toBe('TENTATIVE');
  });

  it('writes DTSTAMP in UTC (the latest change), a 09:00Z class on 2 November 2027 at 10:00 Paris (winter time)', () => {
    const [event] = events(memberCalendar({ locale: 'en' }, [booking('CANCELLED')]));
    expect(event).toMatchObject({ status: 'CANCELLED', tzid: 'Europe/Paris', local: '2027-11-02T10:00:00', start: '2027-11-02T09:00:00.000Z' });
    expect(event!.stamp).toBe('2027-10-03T08:00:00Z');
    expect(event!.description).toBe('For: Léo Martin\nOrganization: Aquaclub\nCoach: Léa');
  });

  it('falls back to UTC times for a zone the VTIMEZONE library does not know, never a TZID without its VTIMEZONE', () => {
    const text = memberCalendar({ locale: 'fr' }, [booking('CONFIRMED', { session: session({ organization: { name: 'Club', timeZone: 'America/Ciudad_Juarez' } }) })]);
    expect(text).not.toContain('BEGIN:VTIMEZONE');
    expect(events(text)[0]).toMatchObject({ tzid: null, start: '2027-11-02T09:00:00.000Z' });
  });
});

describe('venueCalendar', () => {
  it('marks a cancelled session with its reason, in the organization’s language', () => {
    const venue = { name: 'Piscine', organization: { name: 'Aquaclub', timeZone: 'Europe/Paris', locale: 'fr' } };
    const [event] = events(venueCalendar(venue, [session({ status: 'CANCELLED', cancellationReason: 'Vidange', calendarSequence: 1 })]));
    expect(event).toMatchObject({ status: 'CANCELLED', sequence: 1 });
    expect(event!.description).toBe("Coach : Léa\nMotif de l'annulation : Vidange\nDès 6 mois; bonnet obligatoire, merci.");
  });
});
