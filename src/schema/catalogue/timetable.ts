import { SessionNotBookableError } from '../../domain/errors.js';
import { MAX_SKIP_DATES, MAX_TERM_DAYS, WEEKDAYS, weekdayOfRule, type Weekday } from '../../domain/timetable.js';
import { createTimetable, updateSession, updateTimetable } from '../../services/catalogue/timetable.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { bounds } from '../common/input-bounds.js';
import { defineMutation } from '../common/mutation.js';
import { SessionRef } from './types.js';

// The back office's timetable (API.md "The back office"): weekly series and session changes.

export const WeekdayEnum = builder.enumType('Weekday', {
  description: 'A day of the week.',
  values: Object.fromEntries(WEEKDAYS.map((day) => [day, { description: day.charAt(0) + day.slice(1).toLowerCase() + '.' }])) as Record<
    Weekday,
    { description: string }
  >,
});

export const TimetableRef = builder.prismaNode('Timetable', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description:
    "A weekly series of sessions over a term (createTimetable), kept so that staff can change its future sessions at once (updateTimetable). Times are wall-clock times in the organization's zone. Public, like its sessions.",
  fields: (t) => ({
    rule: t.exposeString('rule', {
      description: 'The recurrence as iCalendar text (RFC 5545): a DTSTART;TZID line and an RRULE line. Skipped dates are in `skipDates`.',
    }),
    weekday: t.field({ type: WeekdayEnum, description: 'The day of the week of its sessions.', select: { rule: true }, resolve: (row) => weekdayOfRule(row.rule) }),
    startTime: t.exposeString('startTime', { description: 'Local start time, HH:mm.' }),
    durationMinutes: t.exposeInt('durationMinutes', { description: 'Length of each session in minutes.' }),
    timeZone: t.exposeString('timeZone', { description: 'The IANA zone its times are read in (the organization’s).' }),
    from: t.expose('startsOn', { type: 'Date', description: 'First day of the term.' }),
    until: t.expose('endsOn', { type: 'Date', description: 'Last day of the term.' }),
    skipDates: t.field({ type: ['Date'], description: 'Holidays: days of the term without a session.', select: { skipDates: true }, resolve: (row) => row.skipDates }),
    capacity: t.exposeInt('capacity', { description: 'Seats of each session (as last set for the series).' }),
    activity: t.relation('activity', { description: 'What is taught.' }),
    venue: t.relation('venue', { description: 'Where (as last set for the series).' }),
    coach: t.relation('coach', { nullable: true, description: 'Who teaches (as last set for the series).' }),
    sessions: t.relation('sessions', {
      description: 'Its sessions, in time order (at most 53: a term is at most a year).',
      query: { orderBy: [{ startsAt: 'asc' }, { id: 'asc' }] },
    }),
  }),
});

builder.prismaObjectField('Session', 'timetable', (t) =>
  t.relation('timetable', { nullable: true, description: 'The weekly series it belongs to, when it was created by one.' }),
);
builder.prismaObjectField('Session', 'changedAt', (t) =>
  t.expose('changedAt', {
    type: 'DateTime',
    nullable: true,
    description:
      'When staff last moved it or changed its venue or coach. Bookings made before then can be cancelled without loss until the start, whatever the notice.',
  }),
);

const staffOnly = 'Staff of the organization only.';

defineMutation('createTimetable', {
  description: `Creates a weekly series of sessions over a term, all in one transaction. Times are local to the organization: 10:00 stays 10:00 across a daylight-saving change. ${staffOnly}`,
  authScopes: { loggedIn: true },
  // Up to 53 sessions written at once.
  complexity: 50,
  input: (t) => ({
    activityId: t.id({ required: true, description: 'The activity taught.' }),
    venueId: t.id({ required: true, description: 'Where (same organization).' }),
    coachId: t.id({ required: false, description: 'Who teaches (same organization).' }),
    capacity: t.int({ required: true, description: 'Seats of each session (0 or more).' }),
    weekday: t.field({ type: WeekdayEnum, required: true, description: 'The day of the week.' }),
    startTime: t.string({ required: true, description: "Local start time in the organization's zone, HH:mm (24 h)." }),
    durationMinutes: t.int({ required: true, description: 'Length of each session in minutes (at most 24 h).' }),
    from: t.field({ type: 'Date', required: true, description: 'First day of the term (its first session must be in the future).' }),
    until: t.field({ type: 'Date', required: true, description: `Last day of the term, included (a term spans at most ${MAX_TERM_DAYS} days).` }),
    skipDates: t.field({
      type: ['Date'],
      required: false,
      description: `Holidays: days without a session (at most ${MAX_SKIP_DATES}; days that are not on the weekday are ignored).`,
      ...bounds({ maxItems: MAX_SKIP_DATES }),
    }),
    priceCents: t.int({ required: false, description: 'Price to book each session without a credit, in cents.' }),
  }),
  resolve: async (input, context) =>
    createTimetable(context, {
      ...input,
      activityId: decodeId(input.activityId, 'Activity', 'activityId'),
      venueId: decodeId(input.venueId, 'Venue', 'venueId'),
      coachId: input.coachId ? decodeId(input.coachId, 'Coach', 'coachId') : null,
    }),
  success: {
    description: 'The series and its sessions were created.',
    fields: (t) => ({
      timetable: t.field({ type: TimetableRef, description: 'The series.', resolve: (r) => r.timetable }),
      sessions: t.field({ type: [SessionRef], description: 'Its sessions, in time order.', resolve: (r) => r.sessions }),
    }),
  },
});

defineMutation('updateSession', {
  description: `Changes a future session: its time, venue, coach or capacity (fields left out stay as they are; a new start alone keeps the duration). Booked and waiting members are emailed (\`session-changed\`) when its time, venue or coach changes, and booked members may then cancel without loss until the start, whatever the notice. A capacity below the seats taken is refused; added seats go to the waitlist first. ${staffOnly}`,
  authScopes: { loggedIn: true },
  input: (t) => ({
    sessionId: t.id({ required: true, description: 'The session (scheduled, not started).' }),
    startsAt: t.field({ type: 'DateTime', required: false, description: 'New start instant (in the future).' }),
    endsAt: t.field({ type: 'DateTime', required: false, description: 'New end instant (after the start, at most 24 h later).' }),
    venueId: t.id({ required: false, description: 'New venue (same organization).' }),
    coachId: t.id({ required: false, description: 'New coach (same organization).' }),
    capacity: t.int({ required: false, description: 'New number of seats (not below the seats taken).' }),
  }),
  errors: [SessionNotBookableError],
  resolve: async (input, context) => ({
    session: await updateSession(context, {
      sessionId: decodeId(input.sessionId, 'Session', 'sessionId'),
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      venueId: input.venueId ? decodeId(input.venueId, 'Venue', 'venueId') : null,
      coachId: input.coachId ? decodeId(input.coachId, 'Coach', 'coachId') : null,
      capacity: input.capacity,
    }),
  }),
  success: {
    description: 'The session was changed.',
    fields: (t) => ({ session: t.field({ type: SessionRef, description: 'The session as changed.', resolve: (r) => r.session }) }),
  },
});

defineMutation('updateTimetable', {
  description: `Changes every future scheduled session of a series at once (as \`updateSession\` does each, members emailed), in one transaction: all of them or none. A new start time or duration applies on each session's own day, in local time. ${staffOnly}`,
  authScopes: { loggedIn: true },
  complexity: 50,
  input: (t) => ({
    timetableId: t.id({ required: true, description: 'The series.' }),
    startTime: t.string({ required: false, description: 'New local start time, HH:mm.' }),
    durationMinutes: t.int({ required: false, description: 'New length in minutes.' }),
    venueId: t.id({ required: false, description: 'New venue (same organization).' }),
    coachId: t.id({ required: false, description: 'New coach (same organization).' }),
    capacity: t.int({ required: false, description: 'New number of seats (not below the seats taken of any of its future sessions).' }),
  }),
  errors: [SessionNotBookableError],
  resolve: async (input, context) =>
    updateTimetable(context, {
      timetableId: decodeId(input.timetableId, 'Timetable', 'timetableId'),
      startTime: input.startTime,
      durationMinutes: input.durationMinutes,
      venueId: input.venueId ? decodeId(input.venueId, 'Venue', 'venueId') : null,
      coachId: input.coachId ? decodeId(input.coachId, 'Coach', 'coachId') : null,
      capacity: input.capacity,
    }),
  success: {
    description: 'The series and its future sessions were changed.',
    fields: (t) => ({
      timetable: t.field({ type: TimetableRef, description: 'The series.', resolve: (r) => r.timetable }),
      sessions: t.field({ type: [SessionRef], description: 'The future sessions changed, in time order.', resolve: (r) => r.sessions }),
    }),
  },
});
