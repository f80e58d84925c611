import type {
  ActivityKind,
  Audience,
  BillingPeriod,
  LateCancellation,
  OfferKind,
  SessionStatus,
} from '../../generated/prisma/enums.js';
import { seatsLeft } from '../../domain/seats.js';
import { builder } from '../builder.js';
import { Money } from '../common/scalars.js';

export const AudienceEnum = builder.enumType('Audience', {
  description: 'Who an activity is for.',
  values: {
    ADULT: { description: 'Adults.' },
    CHILD: { description: 'Children: the age range is checked on the session date.' },
  } satisfies Record<Audience, unknown>,
});
export const ActivityKindEnum = builder.enumType('ActivityKind', {
  description: 'Group class or private lesson.',
  values: {
    GROUP: { description: 'A class with several seats.' },
    PRIVATE: { description: 'A private lesson, one seat.' },
  } satisfies Record<ActivityKind, unknown>,
});
export const LateCancellationEnum = builder.enumType('LateCancellation', {
  description: 'What a cancellation after the notice deadline does to the credit.',
  values: {
    FORFEIT: { description: 'The credit is lost (default; 003 §8, 004).' },
    RECREDIT: { description: 'The credit is returned anyway (000: annual aquabike members).' },
  } satisfies Record<LateCancellation, unknown>,
});
export const SessionStatusEnum = builder.enumType('SessionStatus', {
  description: 'Whether a session takes place.',
  values: {
    SCHEDULED: { description: 'Takes place; can be booked while in the future and not full.' },
    CANCELLED: { description: 'Cancelled by the organization; every booking was re-credited.' },
  } satisfies Record<SessionStatus, unknown>,
});
export const OfferKindEnum = builder.enumType('OfferKind', {
  description: 'What kind of thing an offer sells.',
  values: {
    PACK: { description: 'N nominative credits, valid a number of days from purchase.' },
    SUBSCRIPTION: { description: 'K credits per period, renewed automatically.' },
    SINGLE: { description: 'One class.' },
    DISCOVERY: { description: 'One discovery class, once per client ever.' },
    PRIVATE: { description: 'A private lesson.' },
  } satisfies Record<OfferKind, unknown>,
});
export const BillingPeriodEnum = builder.enumType('BillingPeriod', {
  description: 'Length of a subscription period.',
  values: {
    MONTH: { description: 'A calendar month in the organization time zone (003).' },
    FOUR_WEEKS: { description: 'Four weeks (004).' },
  } satisfies Record<BillingPeriod, unknown>,
});

export const VenueRef = builder.prismaNode('Venue', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: 'A place where sessions happen (a pool, a gym). Public.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    address: t.exposeString('address', { description: 'Street address.' }),
    city: t.exposeString('city', { description: 'City.' }),
    postalCode: t.exposeString('postalCode', { nullable: true, description: 'Postal code.' }),
    latitude: t.exposeFloat('latitude', { description: 'WGS 84 latitude.' }),
    longitude: t.exposeFloat('longitude', { description: 'WGS 84 longitude.' }),
    organization: t.relation('organization', { description: 'The organization that runs it.' }),
  }),
});

export const CoachRef = builder.prismaNode('Coach', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: 'Someone who teaches sessions. Public.',
  fields: (t) => ({
    displayName: t.exposeString('displayName', { description: 'Name shown on the schedule.' }),
  }),
});

export const ActivityRef = builder.prismaNode('Activity', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: 'A kind of class (aquabike, baby swimming…) with its audience and cancellation policy. Public.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { nullable: true, description: 'Longer description.' }),
    audience: t.expose('audience', { type: AudienceEnum, description: 'ADULT or CHILD.' }),
    minAgeMonths: t.exposeInt('minAgeMonths', { nullable: true, description: 'Minimum age in months on the session date.' }),
    maxAgeMonths: t.exposeInt('maxAgeMonths', { nullable: true, description: 'Maximum age in months on the session date.' }),
    kind: t.expose('kind', { type: ActivityKindEnum, description: 'GROUP or PRIVATE.' }),
    cancellationNoticeHours: t.exposeInt('cancellationNoticeHours', {
      description: 'Elapsed hours before the start after which a cancellation is late.',
    }),
    lateCancellation: t.expose('lateCancellation', {
      type: LateCancellationEnum,
      description: 'What a late cancellation does to the credit.',
    }),
    organization: t.relation('organization', { description: 'The organization that runs it.' }),
  }),
});

export const SessionRef = builder.prismaNode('Session', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: 'One occurrence of an activity at a venue, with its seats. Public.',
  fields: (t) => ({
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'Start instant.' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', description: 'End instant.' }),
    capacity: t.exposeInt('capacity', { description: 'Number of seats.' }),
    seatsLeft: t.int({
      description: 'Seats that can still be booked right now (0 when full or when freed seats are offered to the waitlist).',
      select: { capacity: true, seatsTaken: true },
      resolve: (session) => seatsLeft(session),
    }),
    waitlistLength: t.exposeInt('waitlistLength', { description: 'People waiting for a seat.' }),
    status: t.expose('status', { type: SessionStatusEnum, description: 'SCHEDULED or CANCELLED.' }),
    price: t.field({
      type: Money,
      nullable: true,
      description: 'Price to pay for this session alone, when it can be paid without a credit.',
      select: { priceCents: true, organization: { select: { currency: true } } },
      resolve: (session) =>
        session.priceCents === null ? null : { amountCents: session.priceCents, currency: session.organization.currency },
    }),
    activity: t.relation('activity', { description: 'What is taught.' }),
    venue: t.relation('venue', { description: 'Where.' }),
    coach: t.relation('coach', { nullable: true, description: 'Who teaches, when known.' }),
    organization: t.relation('organization', { description: 'The organization that runs it.' }),
  }),
});

export const OfferRef = builder.prismaNode('Offer', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: 'Something a member can buy: a pack, a subscription, a single, discovery or private class. Public.',
  fields: (t) => ({
    kind: t.expose('kind', { type: OfferKindEnum, description: 'What kind of offer this is.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { nullable: true, description: 'Longer description and terms.' }),
    price: t.field({
      type: Money,
      description: 'Price including tax (per period for a subscription).',
      select: { priceCents: true, currency: true },
      resolve: (offer) => ({ amountCents: offer.priceCents, currency: offer.currency }),
    }),
    credits: t.exposeInt('credits', { description: 'Credits granted (per period for a subscription).' }),
    validityDays: t.exposeInt('validityDays', {
      nullable: true,
      description: 'Days of validity from purchase (packs and single classes).',
    }),
    period: t.expose('period', { type: BillingPeriodEnum, nullable: true, description: 'Subscription period.' }),
    rolloverCapMultiplier: t.exposeInt('rolloverCapMultiplier', {
      nullable: true,
      description:
        'Subscriptions: unused credits carry into the next period only, and the available total never exceeds this multiple of the allowance (003 §9.2: 2). So 8 a month with 5 used gives 11 the next month; the seed\'s "back to 8" contradicts its own rule, which this API follows.',
    }),
    lateCancellation: t.expose('lateCancellation', {
      type: LateCancellationEnum,
      nullable: true,
      description:
        "What a late cancellation does to a booking paid with this offer's credits, overriding the activity's rule; null when the activity's rule applies.",
    }),
    activities: t.field({
      type: [ActivityRef],
      description: 'Activities its credits can book; empty means every activity of the organization.',
      select: (_args, _ctx, nested) => ({ activities: { select: { activity: nested() } } }),
      resolve: (offer) => offer.activities.map((link) => link.activity),
    }),
    organization: t.relation('organization', { description: 'The organization that sells it.' }),
  }),
});
