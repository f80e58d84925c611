import { venueCalendarLink } from '../../links.js';
import { calendarUrlOf, resetCalendarUrl } from '../../services/integration/calendars.js';
import { builder } from '../builder.js';
import { defineMutation } from '../common/mutation.js';
import { MemberRef, ownerOnly } from '../member/types.js';

// Calendar feeds (issue 14, point 6): the URLs calendar apps subscribe to. The feeds themselves
// are served by src/services/integration/calendars.ts.

builder.prismaObjectField('Member', 'calendarUrl', (t) =>
  t.string({
    nullable: true,
    authScopes: ownerOnly,
    select: { calendarFeedId: true, erasedAt: true },
    description:
      "A secret URL of an iCalendar feed (`.ics`) of the member's classes, for all their beneficiaries: those of the last 30 days and the next 180 (at most 1,000), a cancelled one marked `STATUS:CANCELLED`, times in each organization's time zone. Subscribe to it in a calendar app (`webcal://` works too); it needs no login, so whoever has it sees these classes: `resetCalendarUrl` replaces it. Only the member sees it (others get FORBIDDEN); null once the account is erased.",
    resolve: (member) => calendarUrlOf(member),
  }),
);

builder.prismaObjectField('Venue', 'calendarUrl', (t) =>
  t.string({
    description:
      "The venue's public timetable as an iCalendar feed (`GET /calendars/venues/<venue id>.ics`): sessions not yet ended and starting within 90 days (at most 1,000), a cancelled one marked `STATUS:CANCELLED`, in the organization's time zone.",
    resolve: (venue) => venueCalendarLink(venue.id),
  }),
);

defineMutation('resetCalendarUrl', {
  description:
    "Replaces the viewer's calendar URL (`Member.calendarUrl`) with a new secret one: the old URL answers 404 from now on, so calendars subscribed to it stop updating. Use it when the URL was shared by mistake.",
  authScopes: { loggedIn: true },
  resolve: async (_input, context) => ({ viewer: await resetCalendarUrl(context) }),
  success: {
    description: 'The calendar URL was replaced.',
    fields: (t) => ({
      viewer: t.field({ type: MemberRef, description: 'The viewer, with the new `calendarUrl`.', resolve: (result) => result.viewer }),
    }),
  },
});
