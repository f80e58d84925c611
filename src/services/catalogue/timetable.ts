import { randomUUID } from 'node:crypto';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transaction, transactionThen, type Tx } from '../../db/transaction.js';
import { MAX_CAPACITY, MAX_SESSION_HOURS } from '../../domain/catalogue.js';
import { NotFoundError, SessionNotBookableError, ValidationError } from '../../domain/errors.js';
import {
  checkOccurrences,
  retimed,
  validateTimetable,
  weekdayOfRule,
  weeklyOccurrences,
  type TimetableInput,
} from '../../domain/timetable.js';
import { Issues } from '../../domain/validation.js';
import { claimDeadline } from '../../domain/waitlist.js';
import { publishSessionChanged, sessionChanged, type SessionChangedEvent } from '../../events/pubsub.js';
import type { Session, Timetable } from '../../generated/prisma/client.js';
import type { AfterCommit } from '../../jobs/worker.js';
import { requireStaff } from '../access.js';
import { notifyMember } from '../notifications.js';
import { emitEvent, sessionChangedEvent } from '../integration/webhook-events.js';
import { lockSessions, sessionSummary, sessionWithRules } from '../booking/seating.js';
import { offerFreedSeats, scheduleDeadline } from '../booking/waitlist.js';

// The staff's timetable (SPEC §11): weekly series over a term, and changes to sessions (one, or
// the future sessions of a series at once). Booked and waiting members are emailed every change of
// time, venue or coach, and may then cancel without loss until the start (`changedSinceBooked`).

/** Checks that a venue and a coach exist and belong to the organisation (NOT_FOUND, or VALIDATION). */
async function checkPlaceAndCoach(organizationId: string, venueId: string | null | undefined, coachId: string | null | undefined): Promise<void> {
  const [venue, coach] = await Promise.all([
    venueId ? prisma.venue.findUnique({ where: { id: venueId }, select: { organizationId: true } }) : null,
    coachId ? prisma.coach.findUnique({ where: { id: coachId }, select: { organizationId: true } }) : null,
  ]);
  if (venueId && !venue) throw new NotFoundError('entity.venue', ['venueId']);
  if (coachId && !coach) throw new NotFoundError('entity.coach', ['coachId']);
  new Issues()
    .when(venue !== null && venue.organizationId !== organizationId, 'venueId', 'validation.otherOrganization')
    .when(coach !== null && coach.organizationId !== organizationId, 'coachId', 'validation.otherOrganization')
    .throwIfAny();
}

function publishAll(events: SessionChangedEvent[]): void {
  for (const event of events) publishSessionChanged(event);
}

export interface CreatedTimetable {
  timetable: Timetable;
  sessions: Session[];
}

/**
 * Creates a weekly series over a term and all its sessions, in one transaction: all of them or
 * none. The series is kept (with its RRULE) so that its future sessions can be changed at once.
 */
export async function createTimetable(
  context: Context,
  input: TimetableInput & { activityId: string; venueId: string; coachId?: string | null },
): Promise<CreatedTimetable> {
  const activity = await prisma.activity.findUnique({
    where: { id: input.activityId },
    select: { id: true, organizationId: true, organization: { select: { timeZone: true } } },
  });
  if (!activity) throw new NotFoundError('entity.activity', ['activityId']);
  const staffId = await requireStaff(context, activity.organizationId);
  await checkPlaceAndCoach(activity.organizationId, input.venueId, input.coachId);
  validateTimetable(input);
  const timeZone = activity.organization.timeZone;
  const { rule, occurrences } = weeklyOccurrences(input, timeZone);
  checkOccurrences(occurrences, context.clock.now());

  const created = await transaction(async (tx) => {
    const timetable = await tx.timetable.create({
      data: {
        organizationId: activity.organizationId,
        activityId: activity.id,
        venueId: input.venueId,
        coachId: input.coachId ?? null,
        capacity: input.capacity,
        priceCents: input.priceCents ?? null,
        rule,
        startTime: input.startTime,
        durationMinutes: input.durationMinutes,
        timeZone,
        startsOn: input.from,
        endsOn: input.until,
        skipDates: [...new Set((input.skipDates ?? []).map((day) => day.getTime()))].sort().map((ms) => new Date(ms)),
        createdById: staffId,
      },
    });
    const sessions = await tx.session.createManyAndReturn({
      data: occurrences.map((occurrence) => ({
        organizationId: activity.organizationId,
        activityId: activity.id,
        venueId: input.venueId,
        coachId: input.coachId ?? null,
        timetableId: timetable.id,
        startsAt: occurrence.startsAt,
        endsAt: occurrence.endsAt,
        capacity: input.capacity,
        priceCents: input.priceCents ?? null,
      })),
    });
    return { timetable, sessions: sessions.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()) };
  });
  publishAll(created.sessions.map(sessionChanged));
  return created;
}

/** What a session becomes (every field, the unchanged ones as they are). */
interface SessionChange {
  startsAt: Date;
  endsAt: Date;
  venueId: string;
  coachId: string | null;
  capacity: number;
}

function checkTimes(change: { startsAt: Date; endsAt: Date }, now: Date, issues: Issues): Issues {
  const duration = change.endsAt.getTime() - change.startsAt.getTime();
  return issues
    .when(change.startsAt.getTime() < now.getTime(), 'startsAt', 'validation.startInPast')
    .when(duration <= 0, 'endsAt', 'validation.endBeforeStart')
    .when(duration > MAX_SESSION_HOURS * 3_600_000, 'endsAt', 'validation.sessionTooLong', { hours: MAX_SESSION_HOURS });
}

function checkCapacity(capacity: number | null | undefined, issues: Issues): Issues {
  return issues
    .when(capacity != null && capacity < 0, 'capacity', 'validation.nonNegative')
    .when(capacity != null && capacity > MAX_CAPACITY, 'capacity', 'validation.tooLarge', { max: MAX_CAPACITY });
}

/**
 * Applies a change to a session the caller locked (and re-read): refused once the session is
 * cancelled or has started, or when the capacity would go below the seats taken. A change of
 * time, venue or coach is stamped (`changedAt`) and emailed to every booked and waiting member;
 * added seats go to the waitlist first, as `changeSessionCapacity` does. Returns the session as
 * changed; post-commit work goes to `effects`, the availability events to `events`.
 */
async function changeLockedSession(
  tx: Tx,
  current: Session,
  next: SessionChange,
  now: Date,
  effects: AfterCommit[],
  events: SessionChangedEvent[],
): Promise<Session> {
  if (current.status !== 'SCHEDULED') throw new SessionNotBookableError('cancelled');
  if (current.startsAt.getTime() <= now.getTime()) throw new SessionNotBookableError('started');
  if (next.capacity < current.seatsTaken) {
    throw new ValidationError([{ field: ['capacity'], messageKey: 'validation.capacityBelowBooked', params: { taken: current.seatsTaken } }]);
  }
  const moved = next.startsAt.getTime() !== current.startsAt.getTime() || next.endsAt.getTime() !== current.endsAt.getTime();
  const changes = [
    ...(moved ? ['time'] : []),
    ...(next.venueId !== current.venueId ? ['venue'] : []),
    ...(next.coachId !== current.coachId ? ['coach'] : []),
  ];
  await tx.session.update({
    where: { id: current.id },
    data: { ...next, ...(changes.length > 0 ? { changedAt: now } : {}) },
  });
  const session = await tx.session.findUniqueOrThrow({ where: { id: current.id }, include: { ...sessionWithRules, coach: true } });

  if (changes.length > 0) {
    const changeId = randomUUID();
    // One connection per transaction: its queries run one after another.
    const bookings = await tx.booking.findMany({
      where: { sessionId: session.id, status: { in: ['CONFIRMED', 'PENDING_PAYMENT'] } },
      include: { beneficiary: { select: { firstName: true } } },
      orderBy: { id: 'asc' },
    });
    const entries = await tx.waitlistEntry.findMany({
      where: { sessionId: session.id, status: 'WAITING' },
      include: { beneficiary: { select: { firstName: true } } },
      orderBy: { id: 'asc' },
    });
    const common = {
      ...sessionSummary(session),
      previousStartsAt: current.startsAt.toISOString(),
      endsAt: session.endsAt.toISOString(),
      coach: session.coach?.displayName ?? null,
      changes,
    };
    for (const booking of bookings) {
      await notifyMember(tx, booking.memberId, {
        organizationId: session.organizationId,
        template: 'session-changed',
        payload: { ...common, bookingId: booking.id, beneficiary: booking.beneficiary.firstName, waiting: false },
        dedupeKey: `session-changed:${booking.id}:${changeId}`,
        at: now,
      });
    }
    for (const entry of entries) {
      await notifyMember(tx, entry.memberId, {
        organizationId: session.organizationId,
        template: 'session-changed',
        payload: { ...common, waitlistEntryId: entry.id, beneficiary: entry.beneficiary.firstName, waiting: true },
        dedupeKey: `session-changed:${entry.id}:${changeId}`,
        at: now,
      });
    }
    if (moved && entries.length > 0) await retimeWaitlist(tx, current, session);
  }
  const added = next.capacity - current.capacity;
  if (added > 0) effects.push(...(await offerFreedSeats(tx, session, added, now)));
  // Subscribers of the old venue or date range see it leave; those of the new ones see it come.
  events.push(sessionChanged(current), sessionChanged(session));
  const updated = await tx.session.findUniqueOrThrow({ where: { id: session.id } });
  const changed = [...changes, ...(added !== 0 ? ['capacity'] : [])];
  if (changed.length > 0) await emitEvent(tx, sessionChangedEvent(updated, now, changed));
  return updated;
}

/**
 * The session moved while people wait: claims close at the new deadline (a job for it; a job of
 * the old deadline finds nothing to do), and open offers that ran until the old deadline run until
 * the new one (a member's turn under ONE_AT_A_TIME never outlasts it).
 */
async function retimeWaitlist(
  tx: Tx,
  before: Session,
  after: Session & { organization: { waitlistClaimDeadlineHours: number } },
): Promise<void> {
  await scheduleDeadline(tx, after);
  const oldDeadline = claimDeadline(before, after.organization);
  const newDeadline = claimDeadline(after, after.organization);
  const offers = await tx.waitlistOffer.findMany({ where: { sessionId: after.id, status: 'OPEN' } });
  for (const offer of offers) {
    const expiresAt =
      offer.expiresAt.getTime() === oldDeadline.getTime() || offer.expiresAt.getTime() > newDeadline.getTime() ? newDeadline : offer.expiresAt;
    if (expiresAt.getTime() !== offer.expiresAt.getTime()) await tx.waitlistOffer.update({ where: { id: offer.id }, data: { expiresAt } });
  }
}

/**
 * Staff change one future session: its time, venue, coach or capacity (fields left out stay as
 * they are; a new start alone keeps the duration). See `changeLockedSession`.
 */
export async function updateSession(
  context: Context,
  input: {
    sessionId: string;
    startsAt?: Date | null;
    endsAt?: Date | null;
    venueId?: string | null;
    coachId?: string | null;
    capacity?: number | null;
  },
): Promise<Session> {
  const found = await prisma.session.findUnique({ where: { id: input.sessionId } });
  if (!found) throw new NotFoundError('entity.session', ['sessionId']);
  await requireStaff(context, found.organizationId);
  const issues = new Issues().when(
    input.startsAt == null && input.endsAt == null && input.venueId == null && input.coachId == null && input.capacity == null,
    'sessionId',
    'validation.nothingToChange',
  );
  checkCapacity(input.capacity, issues).throwIfAny();
  await checkPlaceAndCoach(found.organizationId, input.venueId, input.coachId);
  const now = context.clock.now();

  const events: SessionChangedEvent[] = [];
  const session = await transactionThen(async (tx, effects) => {
    events.length = 0;
    await lockSessions(tx, [found.id]);
    const current = await tx.session.findUniqueOrThrow({ where: { id: found.id } });
    const startsAt = input.startsAt ?? current.startsAt;
    const endsAt = input.endsAt ?? new Date(startsAt.getTime() + (current.endsAt.getTime() - current.startsAt.getTime()));
    if (input.startsAt != null || input.endsAt != null) checkTimes({ startsAt, endsAt }, now, new Issues()).throwIfAny();
    const next: SessionChange = {
      startsAt,
      endsAt,
      venueId: input.venueId ?? current.venueId,
      coachId: input.coachId ?? current.coachId,
      capacity: input.capacity ?? current.capacity,
    };
    return changeLockedSession(tx, current, next, now, effects, events);
  });
  publishAll(events);
  return session;
}

/**
 * Staff change the future sessions of a series at once (new local start time and duration on each
 * session's own day, venue, coach, capacity), in one transaction: every future scheduled session
 * of the series, or none (a capacity below one session's bookings refuses the whole change).
 * The series itself keeps the new values and its rule, for what it shows and what comes next.
 */
export async function updateTimetable(
  context: Context,
  input: {
    timetableId: string;
    startTime?: string | null;
    durationMinutes?: number | null;
    venueId?: string | null;
    coachId?: string | null;
    capacity?: number | null;
  },
): Promise<CreatedTimetable> {
  const found = await prisma.timetable.findUnique({ where: { id: input.timetableId } });
  if (!found) throw new NotFoundError('entity.timetable', ['timetableId']);
  await requireStaff(context, found.organizationId);
  const issues = new Issues().when(
    input.startTime == null && input.durationMinutes == null && input.venueId == null && input.coachId == null && input.capacity == null,
    'timetableId',
    'validation.nothingToChange',
  );
  const startTime = input.startTime ?? found.startTime;
  const durationMinutes = input.durationMinutes ?? found.durationMinutes;
  const capacity = input.capacity ?? found.capacity;
  const weekday = weekdayOfRule(found.rule);
  try {
    validateTimetable({ weekday, startTime, durationMinutes, from: found.startsOn, until: found.endsOn, capacity });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const issue of error.issues) issues.add(issue.field[0]!, issue.messageKey, issue.params);
  }
  issues.throwIfAny();
  await checkPlaceAndCoach(found.organizationId, input.venueId, input.coachId);
  const now = context.clock.now();
  const { rule } = weeklyOccurrences({ weekday, startTime, durationMinutes, from: found.startsOn, until: found.endsOn, capacity }, found.timeZone);

  const events: SessionChangedEvent[] = [];
  const result = await transactionThen(async (tx, effects) => {
    events.length = 0;
    const future = await tx.session.findMany({
      where: { timetableId: found.id, status: 'SCHEDULED', startsAt: { gt: now } },
      select: { id: true },
    });
    await lockSessions(
      tx,
      future.map((row) => row.id),
    );
    const sessions = await tx.session.findMany({
      where: { id: { in: future.map((row) => row.id) }, status: 'SCHEDULED', startsAt: { gt: now } },
      orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
    });
    const changed: Session[] = [];
    for (const current of sessions) {
      const times = input.startTime != null || input.durationMinutes != null
        ? retimed(current, { startTime, durationMinutes }, found.timeZone)
        : { startsAt: current.startsAt, endsAt: current.endsAt };
      if (times.startsAt.getTime() <= now.getTime()) {
        throw new ValidationError([{ field: ['startTime'], messageKey: 'validation.startInPast' }]);
      }
      const next: SessionChange = {
        ...times,
        venueId: input.venueId ?? current.venueId,
        coachId: input.coachId ?? current.coachId,
        capacity: input.capacity ?? current.capacity,
      };
      changed.push(await changeLockedSession(tx, current, next, now, effects, events));
    }
    const timetable = await tx.timetable.update({
      where: { id: found.id },
      data: {
        startTime,
        durationMinutes,
        capacity,
        rule,
        venueId: input.venueId ?? found.venueId,
        coachId: input.coachId ?? found.coachId,
      },
    });
    return { timetable, sessions: changed };
  });
  publishAll(events);
  return result;
}
