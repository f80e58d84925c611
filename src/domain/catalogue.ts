import type { Audience, BillingPeriod, LateCancellation, OfferKind } from '../generated/prisma/enums.js';
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_POSTAL_CODE_LENGTH } from './input-limits.js';
import { Issues } from './validation.js';

// Pure checks of catalogue inputs. Each throws one ValidationError listing every problem.

export interface VenueInput {
  name: string;
  address: string;
  city: string;
  latitude: number;
  longitude: number;
  postalCode?: string | null;
}

export function validateVenue(input: VenueInput): void {
  new Issues()
    .text('name', input.name, { max: MAX_NAME_LENGTH })
    .text('address', input.address, { max: 500 })
    .text('city', input.city, { max: MAX_NAME_LENGTH })
    .text('postalCode', input.postalCode, { required: false, max: MAX_POSTAL_CODE_LENGTH })
    .when(!(input.latitude >= -90 && input.latitude <= 90), 'latitude', 'validation.latitude')
    .when(!(input.longitude >= -180 && input.longitude <= 180), 'longitude', 'validation.longitude')
    .throwIfAny();
}

export function validateCoach(input: { displayName: string }): void {
  new Issues().text('displayName', input.displayName, { max: 100 }).throwIfAny();
}

export interface ActivityInput {
  name: string;
  audience: Audience;
  minAgeMonths?: number | null;
  maxAgeMonths?: number | null;
  cancellationNoticeHours: number;
  lateCancellation?: LateCancellation | null;
  /** Public: shown on the schedule. */
  description?: string | null;
}

/** Notice longer than this is surely a mistake (a month). */
export const MAX_NOTICE_HOURS = 24 * 31;

export function validateActivity(input: ActivityInput): void {
  const { minAgeMonths: min, maxAgeMonths: max } = input;
  new Issues()
    .text('name', input.name, { max: MAX_NAME_LENGTH })
    .text('description', input.description, { required: false, max: MAX_DESCRIPTION_LENGTH })
    .when(min != null && min < 0, 'minAgeMonths', 'validation.nonNegative')
    .when(max != null && max < 0, 'maxAgeMonths', 'validation.nonNegative')
    .when(min != null && max != null && min >= 0 && max >= 0 && min > max, 'maxAgeMonths', 'validation.ageRange')
    .when(input.cancellationNoticeHours < 0, 'cancellationNoticeHours', 'validation.nonNegative')
    .when(input.cancellationNoticeHours > MAX_NOTICE_HOURS, 'cancellationNoticeHours', 'validation.tooLarge', {
      max: MAX_NOTICE_HOURS,
    })
    .throwIfAny();
}

export interface SessionInput {
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  priceCents?: number | null;
}

export const MAX_SESSION_HOURS = 24;
export const MAX_CAPACITY = 10_000;

export function validateSession(input: SessionInput, now: Date): void {
  const duration = input.endsAt.getTime() - input.startsAt.getTime();
  new Issues()
    .when(input.startsAt.getTime() < now.getTime(), 'startsAt', 'validation.startInPast')
    .when(duration <= 0, 'endsAt', 'validation.endBeforeStart')
    .when(duration > MAX_SESSION_HOURS * 3_600_000, 'endsAt', 'validation.sessionTooLong', { hours: MAX_SESSION_HOURS })
    .when(input.capacity < 0, 'capacity', 'validation.nonNegative')
    .when(input.capacity > MAX_CAPACITY, 'capacity', 'validation.tooLarge', { max: MAX_CAPACITY })
    .when(input.priceCents != null && input.priceCents < 0, 'priceCents', 'validation.nonNegative')
    .throwIfAny();
}

export interface OfferInput {
  kind: OfferKind;
  name: string;
  priceCents: number;
  credits?: number | null;
  validityDays?: number | null;
  period?: BillingPeriod | null;
  rolloverCapMultiplier?: number | null;
  commitmentPeriods?: number | null;
  /** Overrides the activity's rule for bookings paid with this offer's credits; null: the activity's. */
  lateCancellation?: LateCancellation | null;
  /** Public: shown with the offer. */
  description?: string | null;
}

/** Credits an offer grants when the input does not say: one class for single-class kinds. */
export function defaultCredits(kind: OfferKind): number | null {
  return kind === 'SINGLE' || kind === 'DISCOVERY' || kind === 'PRIVATE' ? 1 : null;
}

export const MAX_OFFER_CREDITS = 10_000;
export const MAX_VALIDITY_DAYS = 3_660;
export const MAX_PRICE_CENTS = 100_000_000;
/** Ten years of monthly periods: a commitment longer than that is a typing error. */
export const MAX_COMMITMENT_PERIODS = 120;

export function validateOffer(input: OfferInput): void {
  const credits = input.credits ?? defaultCredits(input.kind);
  const subscription = input.kind === 'SUBSCRIPTION';
  new Issues()
    .text('name', input.name, { max: MAX_NAME_LENGTH })
    .text('description', input.description, { required: false, max: MAX_DESCRIPTION_LENGTH })
    .when(input.priceCents < 0, 'priceCents', 'validation.nonNegative')
    .when(input.priceCents > MAX_PRICE_CENTS, 'priceCents', 'validation.tooLarge', { max: MAX_PRICE_CENTS })
    .when(input.commitmentPeriods != null && input.commitmentPeriods < 0, 'commitmentPeriods', 'validation.nonNegative')
    .when(input.commitmentPeriods != null && input.commitmentPeriods > MAX_COMMITMENT_PERIODS, 'commitmentPeriods', 'validation.tooLarge', {
      max: MAX_COMMITMENT_PERIODS,
    })
    .when(!subscription && input.commitmentPeriods != null && input.commitmentPeriods > 0, 'commitmentPeriods', 'validation.fieldNotForKind')
    .when(credits !== null && credits > MAX_OFFER_CREDITS, 'credits', 'validation.tooLarge', { max: MAX_OFFER_CREDITS })
    .when(input.validityDays != null && input.validityDays > MAX_VALIDITY_DAYS, 'validityDays', 'validation.tooLarge', { max: MAX_VALIDITY_DAYS })
    .when(credits === null, 'credits', 'validation.required')
    .when(credits !== null && credits <= 0, 'credits', 'validation.positive')
    .when(subscription && !input.period, 'period', 'validation.subscriptionPeriod')
    .when(!subscription && input.period != null, 'period', 'validation.fieldNotForKind')
    .when(!subscription && input.validityDays == null, 'validityDays', 'validation.validityDays')
    .when(input.validityDays != null && input.validityDays <= 0, 'validityDays', 'validation.positive')
    .when(!subscription && input.rolloverCapMultiplier != null, 'rolloverCapMultiplier', 'validation.fieldNotForKind')
    .when(input.rolloverCapMultiplier != null && input.rolloverCapMultiplier < 1, 'rolloverCapMultiplier', 'validation.positive')
    .throwIfAny();
}
