import { SessionNotBookableError } from '../../domain/errors.js';
import {
  changeSessionCapacity,
  createActivity,
  createCoach,
  createOffer,
  createVenue,
  scheduleSession,
} from '../../services/catalogue/catalogue.js';
import { defineMutation } from '../common/mutation.js';
import { decodeId, decodeIds } from '../common/ids.js';
import { bounds } from '../common/input-bounds.js';
import { MAX_DESCRIPTION_LENGTH, MAX_OFFER_ACTIVITIES, MAX_OFFER_VENUES, MAX_POSTAL_CODE_LENGTH } from '../../domain/input-limits.js';
import {
  ActivityKindEnum,
  ActivityRef,
  CoachRef,
  OfferRef,
  SessionRef,
  VenueRef,
  AudienceEnum,
  BillingPeriodEnum,
  LateCancellationEnum,
  OfferKindEnum,
} from './types.js';

const organizationIdField = 'The organization (staff only).';

defineMutation('createVenue', {
  description: "Adds a venue to an organization. Staff only.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: organizationIdField }),
    name: t.string({ required: true, description: 'Display name.' }),
    address: t.string({ required: true, description: 'Street address (500 characters at most; may span lines).', ...bounds({ multiline: true }) }),
    city: t.string({ required: true, description: 'City.' }),
    postalCode: t.string({ required: false, description: `Postal code (${MAX_POSTAL_CODE_LENGTH} characters at most).` }),
    latitude: t.float({ required: true, description: 'WGS 84 latitude, -90 to 90.' }),
    longitude: t.float({ required: true, description: 'WGS 84 longitude, -180 to 180.' }),
  }),
  resolve: async (input, context) => ({
    venue: await createVenue(context, {
      ...input,
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
    }),
  }),
  success: {
    description: 'The venue was created.',
    fields: (t) => ({ venue: t.field({ type: VenueRef, description: 'The new venue.', resolve: (r) => r.venue }) }),
  },
});

defineMutation('createCoach', {
  description: 'Adds a coach to an organization. Staff only.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: organizationIdField }),
    displayName: t.string({ required: true, description: 'Name shown on the schedule.' }),
  }),
  resolve: async (input, context) => ({
    coach: await createCoach(context, {
      ...input,
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
    }),
  }),
  success: {
    description: 'The coach was created.',
    fields: (t) => ({ coach: t.field({ type: CoachRef, description: 'The new coach.', resolve: (r) => r.coach }) }),
  },
});

defineMutation('createActivity', {
  description: 'Adds an activity with its audience and cancellation policy. Staff only.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: organizationIdField }),
    name: t.string({ required: true, description: 'Display name.' }),
    description: t.string({ required: false, description: `Longer description, public (${MAX_DESCRIPTION_LENGTH} characters at most).`, ...bounds({ multiline: true }) }),
    audience: t.field({ type: AudienceEnum, required: true, description: 'ADULT or CHILD.' }),
    minAgeMonths: t.int({ required: false, description: 'Minimum age in months on the session date.' }),
    maxAgeMonths: t.int({ required: false, description: 'Maximum age in months on the session date.' }),
    kind: t.field({ type: ActivityKindEnum, required: false, description: 'GROUP (default) or PRIVATE.' }),
    cancellationNoticeHours: t.int({
      required: true,
      description: 'Elapsed hours before the start under which a cancellation is late (003: adult 4, child 24; 000: 6).',
    }),
    lateCancellation: t.field({
      type: LateCancellationEnum,
      required: false,
      description: 'FORFEIT (default) or RECREDIT.',
    }),
  }),
  resolve: async (input, context) => ({
    activity: await createActivity(context, {
      ...input,
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
    }),
  }),
  success: {
    description: 'The activity was created.',
    fields: (t) => ({
      activity: t.field({ type: ActivityRef, description: 'The new activity.', resolve: (r) => r.activity }),
    }),
  },
});

defineMutation('scheduleSession', {
  description: 'Schedules a session of an activity at a venue. Staff of the activity\'s organization only.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    activityId: t.id({ required: true, description: 'The activity taught.' }),
    venueId: t.id({ required: true, description: 'Where (same organization).' }),
    startsAt: t.field({ type: 'DateTime', required: true, description: 'Start instant (in the future).' }),
    endsAt: t.field({ type: 'DateTime', required: true, description: 'End instant (after the start).' }),
    capacity: t.int({ required: true, description: 'Number of seats (0 or more).' }),
    coachId: t.id({ required: false, description: 'Who teaches (same organization).' }),
    priceCents: t.int({ required: false, description: 'Price to book it without a credit, in cents.' }),
  }),
  resolve: async (input, context) => ({
    session: await scheduleSession(context, {
      ...input,
      activityId: decodeId(input.activityId, 'Activity', 'activityId'),
      venueId: decodeId(input.venueId, 'Venue', 'venueId'),
      coachId: input.coachId ? decodeId(input.coachId, 'Coach', 'coachId') : null,
    }),
  }),
  success: {
    description: 'The session was scheduled.',
    fields: (t) => ({
      session: t.field({ type: SessionRef, description: 'The new session.', resolve: (r) => r.session }),
    }),
  },
});

defineMutation('createOffer', {
  description: 'Puts an offer on sale. Staff only.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: organizationIdField }),
    kind: t.field({ type: OfferKindEnum, required: true, description: 'Kind of offer.' }),
    name: t.string({ required: true, description: 'Display name.' }),
    description: t.string({ required: false, description: `Longer description and terms, public (${MAX_DESCRIPTION_LENGTH} characters at most).`, ...bounds({ multiline: true }) }),
    priceCents: t.int({ required: true, description: 'Price including tax, in cents (per period for a subscription).' }),
    credits: t.int({
      required: false,
      description: 'Credits granted (per period for a subscription). Default 1 for SINGLE, DISCOVERY and PRIVATE.',
    }),
    validityDays: t.int({ required: false, description: 'Validity from purchase in days; required except for subscriptions.' }),
    period: t.field({ type: BillingPeriodEnum, required: false, description: 'Subscriptions only: MONTH or FOUR_WEEKS.' }),
    rolloverCapMultiplier: t.int({
      required: false,
      description: 'Subscriptions only: cap on available credits as a multiple of the allowance (default 2).',
    }),
    commitmentPeriods: t.int({ required: false, description: 'Subscriptions only: minimum number of periods.' }),
    lateCancellation: t.field({
      type: LateCancellationEnum,
      required: false,
      description:
        "What a late cancellation does to a credit of this offer (FORFEIT or RECREDIT), overriding the activity's rule (000: annual members are re-credited). Omitted: the activity's rule applies.",
    }),
    activityIds: t.idList({
      required: false,
      description: `Activities its credits can book (at most ${MAX_OFFER_ACTIVITIES}); none means all.`,
      ...bounds({ maxItems: MAX_OFFER_ACTIVITIES }),
    }),
    venueIds: t.idList({
      required: false,
      description: `Venues its credits can book (at most ${MAX_OFFER_VENUES}); none means all.`,
      ...bounds({ maxItems: MAX_OFFER_VENUES }),
    }),
  }),
  resolve: async (input, context) => ({
    offer: await createOffer(context, {
      ...input,
      organizationId: decodeId(input.organizationId, 'Organization', 'organizationId'),
      activityIds: input.activityIds ? decodeIds(input.activityIds, 'Activity', 'activityIds') : [],
      venueIds: input.venueIds ? decodeIds(input.venueIds, 'Venue', 'venueIds') : [],
    }),
  }),
  success: {
    description: 'The offer was created.',
    fields: (t) => ({ offer: t.field({ type: OfferRef, description: 'The new offer.', resolve: (r) => r.offer }) }),
  },
});

defineMutation('changeSessionCapacity', {
  description:
    "Staff change a session's number of seats. Added seats go to the waitlist first (per the organization's policy); it cannot go below the seats already taken. Subscribers of `sessionAvailability` see the change.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    sessionId: t.id({ required: true, description: 'The session.' }),
    capacity: t.int({ required: true, description: 'The new number of seats.' }),
  }),
  errors: [SessionNotBookableError],
  resolve: async (input, context) => ({
    session: await changeSessionCapacity(context, { sessionId: decodeId(input.sessionId, 'Session', 'sessionId'), capacity: input.capacity }),
  }),
  success: {
    description: 'The capacity changed.',
    fields: (t) => ({ session: t.field({ type: SessionRef, description: 'The session.', resolve: (r) => r.session }) }),
  },
});
