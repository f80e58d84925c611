import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import {
  defaultCredits,
  validateActivity,
  validateCoach,
  validateOffer,
  validateSession,
  validateVenue,
  type ActivityInput,
  type OfferInput,
  type SessionInput,
  type VenueInput,
} from '../../domain/catalogue.js';
import { NotFoundError, SessionNotBookableError, ValidationError } from '../../domain/errors.js';
import { MAX_CAPACITY } from '../../domain/catalogue.js';
import { transactionThen } from '../../db/transaction.js';
import { loadSession, lockSessions } from '../booking/seating.js';
import { offerFreedSeats } from '../booking/waitlist.js';
import { Issues } from '../../domain/validation.js';
import type { Activity, Coach, Offer, Session, Venue } from '../../generated/prisma/client.js';
import { publishSessionChanged, sessionChanged } from '../../events/pubsub.js';
import { requireStaff } from '../access.js';
import { emitEvent, sessionChangedEvent } from '../integration/webhook-events.js';

// Staff-only writes to an organisation's catalogue. Every id was decoded by the schema layer;
// here we check that each one exists and belongs to the organisation being changed.

async function requireOrganization(organizationId: string): Promise<void> {
  const found = await prisma.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
  if (!found) throw new NotFoundError('entity.organization', ['organizationId']);
}

export async function createVenue(
  context: Context,
  input: VenueInput & { organizationId: string; postalCode?: string | null },
): Promise<Venue> {
  await requireOrganization(input.organizationId);
  await requireStaff(context, input.organizationId);
  validateVenue(input);
  return prisma.venue.create({
    data: {
      organizationId: input.organizationId,
      name: input.name.trim(),
      address: input.address.trim(),
      city: input.city.trim(),
      postalCode: input.postalCode?.trim() || null,
      latitude: input.latitude,
      longitude: input.longitude,
    },
  });
}

export async function createCoach(
  context: Context,
  input: { organizationId: string; displayName: string },
): Promise<Coach> {
  await requireOrganization(input.organizationId);
  await requireStaff(context, input.organizationId);
  validateCoach(input);
  return prisma.coach.create({
    data: { organizationId: input.organizationId, displayName: input.displayName.trim() },
  });
}

export async function createActivity(
  context: Context,
  input: ActivityInput & { organizationId: string; description?: string | null; kind?: 'GROUP' | 'PRIVATE' | null },
): Promise<Activity> {
  await requireOrganization(input.organizationId);
  await requireStaff(context, input.organizationId);
  validateActivity(input);
  return prisma.activity.create({
    data: {
      organizationId: input.organizationId,
      name: input.name.trim(),
      description: input.description?.trim() || null,
      audience: input.audience,
      minAgeMonths: input.minAgeMonths ?? null,
      maxAgeMonths: input.maxAgeMonths ?? null,
      kind: input.kind ?? 'GROUP',
      cancellationNoticeHours: input.cancellationNoticeHours,
      lateCancellation: input.lateCancellation ?? 'FORFEIT',
    },
  });
}

export async function scheduleSession(
  context: Context,
  input: SessionInput & { activityId: string; venueId: string; coachId?: string | null },
): Promise<Session> {
  const activity = await prisma.activity.findUnique({ where: { id: input.activityId } });
  if (!activity) throw new NotFoundError('entity.activity', ['activityId']);
  await requireStaff(context, activity.organizationId);
  const [venue, coach] = await Promise.all([
    prisma.venue.findUnique({ where: { id: input.venueId }, select: { organizationId: true } }),
    input.coachId ? prisma.coach.findUnique({ where: { id: input.coachId }, select: { organizationId: true } }) : null,
  ]);
  if (!venue) throw new NotFoundError('entity.venue', ['venueId']);
  if (input.coachId && !coach) throw new NotFoundError('entity.coach', ['coachId']);
  new Issues()
    .when(venue.organizationId !== activity.organizationId, 'venueId', 'validation.otherOrganization')
    .when(coach !== null && coach.organizationId !== activity.organizationId, 'coachId', 'validation.otherOrganization')
    .throwIfAny();
  validateSession(input, context.clock.now());

  const session = await prisma.session.create({
    data: {
      organizationId: activity.organizationId,
      activityId: activity.id,
      venueId: input.venueId,
      coachId: input.coachId ?? null,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      capacity: input.capacity,
      priceCents: input.priceCents ?? null,
    },
  });
  publishSessionChanged(sessionChanged(session));
  return session;
}

export async function createOffer(
  context: Context,
  input: OfferInput & {
    organizationId: string;
    description?: string | null;
    activityIds?: string[] | null;
    venueIds?: string[] | null;
    commitmentPeriods?: number | null;
  },
): Promise<Offer> {
  await requireOrganization(input.organizationId);
  await requireStaff(context, input.organizationId);
  validateOffer(input);
  const activityIds = [...new Set(input.activityIds ?? [])];
  const venueIds = [...new Set(input.venueIds ?? [])];
  const [activities, venues] = await Promise.all([
    prisma.activity.findMany({ where: { id: { in: activityIds } }, select: { id: true, organizationId: true } }),
    prisma.venue.findMany({ where: { id: { in: venueIds } }, select: { id: true, organizationId: true } }),
  ]);
  if (activities.length !== activityIds.length) throw new NotFoundError('entity.activity', ['activityIds']);
  if (venues.length !== venueIds.length) throw new NotFoundError('entity.venue', ['venueIds']);
  const foreign = [...activities, ...venues].some((row) => row.organizationId !== input.organizationId);
  if (foreign) {
    const field = activities.some((a) => a.organizationId !== input.organizationId) ? 'activityIds' : 'venueIds';
    throw new ValidationError([{ field: [field], messageKey: 'validation.otherOrganization' }]);
  }
  const organization = await prisma.organization.findUniqueOrThrow({
    where: { id: input.organizationId },
    select: { currency: true },
  });
  const subscription = input.kind === 'SUBSCRIPTION';
  return prisma.offer.create({
    data: {
      organizationId: input.organizationId,
      kind: input.kind,
      name: input.name.trim(),
      description: input.description?.trim() || null,
      priceCents: input.priceCents,
      currency: organization.currency,
      credits: input.credits ?? defaultCredits(input.kind) ?? 0,
      validityDays: input.validityDays ?? null,
      period: subscription ? input.period : null,
      rolloverCapMultiplier: subscription ? (input.rolloverCapMultiplier ?? 2) : null,
      commitmentPeriods: input.commitmentPeriods ?? 0,
      lateCancellation: input.lateCancellation ?? null,
      activities: { create: activityIds.map((activityId) => ({ activityId })) },
      venues: { create: venueIds.map((venueId) => ({ venueId })) },
    },
  });
}

/**
 * Staff change a session's capacity. Seats added go to the waitlist first (per the organisation's
 * policy); it cannot go below the seats already taken (bookings and seats held for the waitlist).
 */
export async function changeSessionCapacity(context: Context, input: { sessionId: string; capacity: number }): Promise<Session> {
  const found = await loadSession(input.sessionId, 'sessionId');
  await requireStaff(context, found.organizationId);
  new Issues()
    .when(input.capacity < 0, 'capacity', 'validation.nonNegative')
    .when(input.capacity > MAX_CAPACITY, 'capacity', 'validation.tooLarge', { max: MAX_CAPACITY })
    .throwIfAny();
  const now = context.clock.now();
  const session = await transactionThen(async (tx, effects) => {
    await lockSessions(tx, [found.id]);
    const current = await tx.session.findUniqueOrThrow({ where: { id: found.id } });
    if (current.status !== 'SCHEDULED') throw new SessionNotBookableError('cancelled');
    if (input.capacity < current.seatsTaken) {
      throw new ValidationError([{ field: ['capacity'], messageKey: 'validation.capacityBelowBooked', params: { taken: current.seatsTaken } }]);
    }
    await tx.session.update({ where: { id: found.id }, data: { capacity: input.capacity } });
    const added = input.capacity - current.capacity;
    if (added > 0) effects.push(...(await offerFreedSeats(tx, found, added, now)));
    const changed = await tx.session.findUniqueOrThrow({ where: { id: found.id } });
    if (added !== 0) await emitEvent(tx, sessionChangedEvent(changed, now, ['capacity']));
    return changed;
  });
  publishSessionChanged(sessionChanged(session));
  return session;
}
