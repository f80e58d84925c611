import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { calendarFeedSignature, verifyCalendarFeedSignature } from '../../auth/tokens.js';
import type { Clock } from '../../clock.js';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import {
  type FeedBooking,
  type FeedSession,
  MAX_FEED_EVENTS,
  MEMBER_FEED_FUTURE_DAYS,
  MEMBER_FEED_PAST_DAYS,
  memberCalendar,
  VENUE_FEED_FUTURE_DAYS,
  venueCalendar,
} from '../../domain/calendars.js';
import { memberCalendarLink } from '../../links.js';
import { logger } from '../../logger.js';
import { requireViewer } from '../access.js';

// Calendar feeds (issue 14, point 6), served by this server to calendar apps, which fetch them
// without a login: a member's classes behind a secret URL (`Member.calendarUrl`), and each venue's
// public timetable. Built from the database at every fetch, so they follow bookings and sessions as
// they change; the iCalendar itself is src/domain/calendars.ts.

const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const MEMBER_PATH = new RegExp(`^/calendars/members/(${UUID})\\.([A-Za-z0-9_-]{43})\\.ics(?:\\?.*)?$`, 'i');
const VENUE_PATH = /^\/calendars\/venues\/([^/?]{1,200})\.ics(?:\?.*)?$/;
const CALENDAR_PATH = /^\/calendars\//;

/** The member's calendar URL, or null once the account is erased. */
export function calendarUrlOf(member: { calendarFeedId: string; erasedAt: Date | null }): string | null {
  if (member.erasedAt) return null;
  return memberCalendarLink(member.calendarFeedId, calendarFeedSignature(member.calendarFeedId));
}

/** Gives the viewer's feed a new id: the old calendar URL answers 404 from now on. */
export async function resetCalendarUrl(context: Context) {
  const memberId = requireViewer(context);
  return prisma.member.update({ where: { id: memberId }, data: { calendarFeedId: randomUUID() } });
}

const sessionSelect = {
  id: true,
  startsAt: true,
  endsAt: true,
  status: true,
  cancellationReason: true,
  calendarSequence: true,
  calendarChangedAt: true,
  activity: { select: { name: true, description: true } },
  venue: { select: { name: true, address: true, city: true, postalCode: true, latitude: true, longitude: true } },
  coach: { select: { displayName: true } },
  organization: { select: { name: true, timeZone: true } },
} as const;

async function memberFeed(feedId: string, signature: string, now: Date): Promise<{ body: string; changedAt: Date | null } | null> {
  if (!verifyCalendarFeedSignature(feedId, signature)) return null;
  const member = await prisma.member.findUnique({ where: { calendarFeedId: feedId }, select: { id: true, locale: true, erasedAt: true } });
  if (!member || member.erasedAt) return null;
  const bookings: FeedBooking[] = await prisma.booking.findMany({
    where: {
      memberId: member.id,
      session: {
        endsAt: { gt: new Date(now.getTime() - MEMBER_FEED_PAST_DAYS * DAY_MS) },
        startsAt: { lt: new Date(now.getTime() + MEMBER_FEED_FUTURE_DAYS * DAY_MS) },
      },
    },
    orderBy: [{ session: { startsAt: 'asc' } }, { id: 'asc' }],
    take: MAX_FEED_EVENTS,
    select: {
      id: true,
      status: true,
      createdAt: true,
      cancelledAt: true,
      beneficiary: { select: { id: true, firstName: true, lastName: true } },
      session: { select: sessionSelect },
    },
  });
  const changedAt = bookings.flatMap((b) => [b.session.calendarChangedAt, b.createdAt, b.cancelledAt ?? b.createdAt]);
  return { body: memberCalendar(member, bookings), changedAt: latestOf(changedAt) };
}

async function venueFeed(globalId: string, now: Date): Promise<{ body: string; changedAt: Date | null } | null> {
  let venueId: string;
  try {
    const { typename, id } = decodeGlobalID(decodeURIComponent(globalId));
    if (typename !== 'Venue' || !new RegExp(`^${UUID}$`, 'i').test(id)) return null;
    venueId = id.toLowerCase();
  } catch {
    return null;
  }
  const venue = await prisma.venue.findUnique({
    where: { id: venueId },
    select: { name: true, organization: { select: { name: true, timeZone: true, locale: true } } },
  });
  if (!venue) return null;
  const sessions: FeedSession[] = await prisma.session.findMany({
    where: {
      venueId,
      // Sessions under way stay until they end; the lower bound on the start keeps to the index.
      startsAt: { gte: new Date(now.getTime() - DAY_MS), lt: new Date(now.getTime() + VENUE_FEED_FUTURE_DAYS * DAY_MS) },
      endsAt: { gt: now },
    },
    orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
    take: MAX_FEED_EVENTS,
    select: sessionSelect,
  });
  return { body: venueCalendar(venue, sessions), changedAt: latestOf(sessions.map((s) => s.calendarChangedAt)) };
}

function latestOf(instants: Date[]): Date | null {
  return instants.length === 0 ? null : new Date(Math.max(...instants.map((at) => at.getTime())));
}

/** Whether If-None-Match names this entity tag (or `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}

/**
 * Serves `GET /calendars/members/<feed id>.<signature>.ics` and `GET /calendars/venues/<venue id>.ics`;
 * false for any other URL. An unknown, malformed, revoked or forged URL answers 404, the same for
 * each, and says nothing else.
 */
export async function serveCalendar(req: IncomingMessage, res: ServerResponse, clock: Clock): Promise<boolean> {
  const url = req.url ?? '';
  if (!CALENDAR_PATH.test(url)) return false;
  const now = clock.now();
  const memberMatch = MEMBER_PATH.exec(url);
  const venueMatch = memberMatch ? null : VENUE_PATH.exec(url);
  const feed = memberMatch
    ? await memberFeed(memberMatch[1]!.toLowerCase(), memberMatch[2]!, now)
    : venueMatch
      ? await venueFeed(venueMatch[1]!, now)
      : null;
  if (!feed) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found\n');
    return true;
  }
  const etag = `"${createHash('sha256').update(feed.body).digest('base64url').slice(0, 32)}"`;
  const headers: Record<string, string> = {
    etag,
    // A member's feed is theirs only, and revalidated at every fetch so a reset URL stops at once;
    // a venue's is public and may be cached for a few minutes.
    'cache-control': memberMatch ? 'private, no-cache' : 'public, max-age=300',
    'x-content-type-options': 'nosniff',
  };
  if (feed.changedAt) headers['last-modified'] = feed.changedAt.toUTCString();
  if (memberMatch) {
    headers['referrer-policy'] = 'no-referrer';
    headers['x-robots-tag'] = 'noindex';
  }
  if (matches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end();
    return true;
  }
  const body = Buffer.from(feed.body, 'utf8');
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/calendar; charset=utf-8',
    'content-length': String(body.length),
    'content-disposition': 'inline; filename="calendar.ics"',
  });
  res.end(body);
  logger.debug({ feed: memberMatch ? 'member' : 'venue' }, 'calendar feed served');
  return true;
}
