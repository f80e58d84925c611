import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import { ICalCalendar, ICalEventStatus, type ICalEventData } from 'ical-generator';
import { DateTime } from 'luxon';
import type { BookingStatus, SessionStatus } from '../generated/prisma/enums.js';
import type { Locale } from '../i18n/messages.js';
import { translate } from '../i18n/translate.js';

// Calendar feeds (issue 14): what a member's calendar and a venue's public timetable hold, as
// iCalendar (RFC 5545) built by ical-generator. Pure: rows and `now` in, text out.
//
// Times are written in the organisation's zone (`DTSTART;TZID=Europe/Paris:…`) with its VTIMEZONE,
// so a calendar app shows 10:00 on both sides of a DST change. Each event has a stable UID (one per
// session in a venue feed, one per booking in a member's), a SEQUENCE that grows with every change
// a calendar shows, and DTSTAMP = LAST-MODIFIED (RFC 5545 3.8.7.2: without METHOD they mean the
// same), so the same data always gives the same bytes and the ETag holds until something changes.

/** A member's feed: classes of the last 30 days (so a calendar keeps what was just attended) and of the next 180. */
export const MEMBER_FEED_PAST_DAYS = 30;
export const MEMBER_FEED_FUTURE_DAYS = 180;
/** A venue's feed: sessions not yet ended and starting within 90 days. */
export const VENUE_FEED_FUTURE_DAYS = 90;
/** At most this many events in one feed (the soonest); a feed stays a few hundred kilobytes. */
export const MAX_FEED_EVENTS = 1000;

const PRODUCT_ID = { company: 'class-booking-api', product: 'calendar-feeds', language: 'EN' };
const UID_DOMAIN = 'class-booking-api';

export interface FeedSession {
  id: string;
  startsAt: Date;
  endsAt: Date;
  status: SessionStatus;
  cancellationReason: string | null;
  calendarSequence: number;
  calendarChangedAt: Date;
  activity: { name: string; description: string | null };
  venue: { name: string; address: string; city: string; postalCode: string | null; latitude: number; longitude: number };
  coach: { displayName: string } | null;
  organization: { name: string; timeZone: string };
}

export interface FeedBooking {
  id: string;
  status: BookingStatus;
  createdAt: Date;
  cancelledAt: Date | null;
  beneficiary: { id: string; firstName: string; lastName: string };
  session: FeedSession;
}

const CANCELLED_BOOKINGS: readonly BookingStatus[] = ['CANCELLED', 'LATE_CANCELLED', 'EXPIRED'];

/**
 * How far a booking has gone, as a step of its SEQUENCE: a seat held while paying (0), booked (1),
 * cancelled or expired (2). A booking only moves forward, so its sequence never decreases.
 */
function bookingStage(status: BookingStatus): number {
  if (status === 'PENDING_PAYMENT') return 0;
  return CANCELLED_BOOKINGS.includes(status) ? 2 : 1;
}

function latest(...instants: (Date | null)[]): Date {
  return new Date(Math.max(...instants.filter((at): at is Date => at !== null).map((at) => at.getTime())));
}

/** A VTIMEZONE for the zone, or null when the library has none: then the feed writes UTC. */
function vtimezone(zone: string): string | null {
  try {
    return getVtimezoneComponent(zone);
  } catch {
    return null;
  }
}

function newCalendar(name: string, description: string, refreshSeconds: number, zone: string | null): ICalCalendar {
  const calendar = new ICalCalendar({ prodId: PRODUCT_ID, name, description, ttl: refreshSeconds });
  // The generator writes one VTIMEZONE per zone the events use. No calendar-wide zone name: with
  // one, ical-generator would write DTSTAMP and LAST-MODIFIED as local times without their TZID.
  calendar.timezone({ name: null, generator: (tz) => vtimezone(tz) });
  if (zone) calendar.x([['X-WR-TIMEZONE', zone]]);
  return calendar;
}

function place(venue: FeedSession['venue']): ICalEventData['location'] {
  const address = [venue.address, [venue.postalCode, venue.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return { title: venue.name, address, geo: { lat: venue.latitude, lon: venue.longitude } };
}

/** Start and end in the organisation's zone (Luxon, so that ical-generator writes local times). */
function times(session: FeedSession): Pick<ICalEventData, 'start' | 'end' | 'timezone'> {
  const zone = session.organization.timeZone;
  if (!vtimezone(zone)) return { start: session.startsAt, end: session.endsAt, timezone: null };
  return {
    start: DateTime.fromJSDate(session.startsAt, { zone }),
    end: DateTime.fromJSDate(session.endsAt, { zone }),
    timezone: zone,
  };
}

function lines(...parts: (string | null | false)[]): string {
  return parts.filter((part): part is string => typeof part === 'string' && part.length > 0).join('\n');
}

/** The public timetable of one venue: its sessions, a cancelled one marked CANCELLED. */
export function venueCalendar(
  venue: { name: string; organization: { name: string; timeZone: string; locale: string } },
  sessions: readonly FeedSession[],
): string {
  const locale: Locale = venue.organization.locale.toLowerCase().startsWith('en') ? 'en' : 'fr';
  const calendar = newCalendar(
    `${venue.name} · ${venue.organization.name}`,
    translate(locale, 'calendar.venue.description', { venue: venue.name, organization: venue.organization.name }),
    60 * 60,
    venue.organization.timeZone,
  );
  for (const session of sessions) {
    const cancelled = session.status === 'CANCELLED';
    calendar.createEvent({
      id: `session-${session.id}@${UID_DOMAIN}`,
      sequence: session.calendarSequence,
      stamp: session.calendarChangedAt,
      lastModified: session.calendarChangedAt,
      ...times(session),
      summary: cancelled ? translate(locale, 'calendar.cancelled', { summary: session.activity.name }) : session.activity.name,
      description: lines(
        session.coach && translate(locale, 'calendar.coach', { name: session.coach.displayName }),
        cancelled && session.cancellationReason && translate(locale, 'calendar.reason', { reason: session.cancellationReason }),
        session.activity.description,
      ),
      location: place(session.venue),
      status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}

/**
 * A member's classes, for all their beneficiaries: cancelled ones stay, marked CANCELLED (and so
 * does every booking of a cancelled session), unless the same person booked that session again.
 */
export function memberCalendar(member: { locale: string }, bookings: readonly FeedBooking[]): string {
  const locale: Locale = member.locale.toLowerCase().startsWith('en') ? 'en' : 'fr';
  const zones = new Set(bookings.map((booking) => booking.session.organization.timeZone));
  const calendar = newCalendar(
    translate(locale, 'calendar.member.name'),
    translate(locale, 'calendar.member.description'),
    15 * 60,
    zones.size === 1 ? [...zones][0]! : null,
  );
  const rebooked = new Set(
    bookings.filter((booking) => !CANCELLED_BOOKINGS.includes(booking.status)).map((booking) => `${booking.session.id}/${booking.beneficiary.id}`),
  );
  for (const booking of bookings) {
    const { session } = booking;
    const bookingCancelled = CANCELLED_BOOKINGS.includes(booking.status);
    if (bookingCancelled && rebooked.has(`${session.id}/${booking.beneficiary.id}`)) continue;
    const cancelled = bookingCancelled || session.status === 'CANCELLED';
    const who = `${booking.beneficiary.firstName} ${booking.beneficiary.lastName}`.trim();
    const title = who ? `${session.activity.name} · ${booking.beneficiary.firstName}` : session.activity.name;
    const changedAt = latest(session.calendarChangedAt, booking.createdAt, booking.cancelledAt);
    calendar.createEvent({
      id: `booking-${booking.id}@${UID_DOMAIN}`,
      sequence: session.calendarSequence + bookingStage(booking.status),
      stamp: changedAt,
      lastModified: changedAt,
      ...times(session),
      summary: cancelled ? translate(locale, 'calendar.cancelled', { summary: title }) : title,
      description: lines(
        who && translate(locale, 'calendar.for', { name: who }),
        translate(locale, 'calendar.organization', { name: session.organization.name }),
        session.coach && translate(locale, 'calendar.coach', { name: session.coach.displayName }),
        session.status === 'CANCELLED' && session.cancellationReason && translate(locale, 'calendar.reason', { reason: session.cancellationReason }),
        booking.status === 'PENDING_PAYMENT' && translate(locale, 'calendar.pendingPayment'),
      ),
      location: place(session.venue),
      status: cancelled ? ICalEventStatus.CANCELLED : booking.status === 'PENDING_PAYMENT' ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}
