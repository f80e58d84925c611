import type { MessageKey, MessageParams } from '../i18n/messages.js';

/** Every code a client can receive in `... on Error { code }` (API.md, enum ErrorCode). */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'VALIDATION',
  'RATE_LIMITED',
  'EMAIL_TAKEN',
  'INVALID_CREDENTIALS',
  'INVALID_TOKEN',
  'SESSION_FULL',
  'SESSION_NOT_BOOKABLE',
  'ALREADY_BOOKED',
  'NOT_ELIGIBLE',
  'NO_CREDIT',
  'ALREADY_ON_WAITLIST',
  'OFFER_TAKEN',
  'OFFER_EXPIRED',
  'RESCHEDULE_NOT_ALLOWED',
  'DISCOVERY_ALREADY_USED',
  'PROMO_CODE_INVALID',
  'PAYMENT_EXCEEDS_BALANCE',
  'REGISTRATION_NOT_VERIFIED',
  'WITHDRAWAL_NOT_ALLOWED',
  'PAUSE_LIMIT_EXCEEDED',
  'BOOKING_NOT_CANCELLABLE',
  'CREDIT_NOT_RESTORABLE',
  'ORDER_NOT_PAYABLE',
  'ATTENDANCE_NOT_ALLOWED',
  'SESSION_ALREADY_CANCELLED',
  'EXTENSION_NOT_ALLOWED',
  'VENUE_ALREADY_CLOSED',
  'CREDIT_NOTE_NOT_REFUNDABLE',
  'EARLY_TERMINATION_NOT_ALLOWED',
  'SESSION_NOT_FULL',
  'WAITLIST_CLOSED',
  'ONLINE_PAYMENT_UNAVAILABLE',
  'BENEFICIARY_IN_USE',
  'LAST_ADMIN',
  'TOO_MANY_SUBSCRIPTIONS',
  'PAYMENT_METHOD_NOT_ACCEPTED',
  'DISCOVERY_NEW_CLIENTS_ONLY',
  'IN_PERSON_PAYMENT_NOT_ALLOWED',
  'ORDER_NOT_REFUNDABLE',
  'REFUND_EXCEEDS_REFUNDABLE',
  'REFUND_CREDIT_NOTE_ONLY',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What each code means, for the schema's documentation. */
export const ERROR_CODE_DESCRIPTIONS: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'No valid token: log in first.',
  FORBIDDEN: 'Logged in, but not allowed (e.g. not staff of the organization).',
  NOT_FOUND: 'An ID in the input names nothing you can see.',
  VALIDATION: 'The input is invalid; see `field` and `issues`.',
  RATE_LIMITED: 'Too many attempts; wait `retryAfterSeconds` before trying again.',
  EMAIL_TAKEN: 'An account already uses this email (case-insensitive).',
  INVALID_CREDENTIALS: 'Wrong email or password.',
  INVALID_TOKEN:
    'The token (login token or cookie, reset link, claim link) is invalid, expired or revoked. A request carrying such a login token is refused, never treated as anonymous.',
  SESSION_FULL: 'No seat left; join the waitlist instead.',
  SESSION_NOT_BOOKABLE: 'The session is cancelled or has already started.',
  ALREADY_BOOKED: 'This beneficiary already has a booking in this session.',
  NOT_ELIGIBLE: "The beneficiary does not fit the activity's audience or age range, or the credit does not cover it.",
  NO_CREDIT: 'No eligible, valid credit left.',
  ALREADY_ON_WAITLIST: 'This beneficiary is already waiting for this session.',
  OFFER_TAKEN: 'Someone else claimed the freed seat first; you stay on the waitlist.',
  OFFER_EXPIRED: 'The waitlist offer is closed.',
  RESCHEDULE_NOT_ALLOWED: 'Past the free-cancellation deadline, a booking can no longer be moved.',
  DISCOVERY_ALREADY_USED: 'A discovery class can be bought once per client, ever.',
  PROMO_CODE_INVALID: 'The promo code is unknown, expired or used up.',
  PAYMENT_EXCEEDS_BALANCE: 'The payment is larger than the amount still due.',
  REGISTRATION_NOT_VERIFIED: 'Staff must verify the registration before payment.',
  WITHDRAWAL_NOT_ALLOWED: 'Past 14 days, or a class was already booked or taken.',
  PAUSE_LIMIT_EXCEEDED: 'More than the yearly pause allowance (2 months) without a medical exception.',
  BOOKING_NOT_CANCELLABLE: 'The booking is no longer active (already cancelled or attended), or its session has started.',
  CREDIT_NOT_RESTORABLE:
    'Nothing to restore: the credit was already returned or restored, the booking was not paid with a credit, or its entitlement has expired (extend it first).',
  ORDER_NOT_PAYABLE: 'The order is already paid, refunded or cancelled.',
  ATTENDANCE_NOT_ALLOWED: 'Attendance can be taken from one hour before the start, on a confirmed (or already marked) booking of a scheduled session.',
  SESSION_ALREADY_CANCELLED: 'The session was already cancelled.',
  VENUE_ALREADY_CLOSED: 'The venue is already closed over part of this range, or closed for good (`closeVenue`).',
  CREDIT_NOTE_NOT_REFUNDABLE:
    'Only the credit note of a definitive closure is refundable (004), once, after it expires, for what is left of it, and only when no open venue of the organization lies within 15 km of the closed one.',
  EARLY_TERMINATION_NOT_ALLOWED:
    'A subscription ends early on a move (004) only when no open venue of the organization lies within 15 km of the new address, and only while it runs.',
  ONLINE_PAYMENT_UNAVAILABLE: 'Online payment is not configured on this server (no Stripe key): pay at the desk.',
  SESSION_NOT_FULL: 'The session has seats left: book it instead of joining its waitlist.',
  WAITLIST_CLOSED: "Claims have closed (the organization's deadline before the start, 002: 12 hours): the waitlist no longer takes anyone.",
  BENEFICIARY_IN_USE: 'The beneficiary still has upcoming bookings or usable credits: cancel or use them first.',
  LAST_ADMIN: 'The organization must keep at least one ADMIN.',
  TOO_MANY_SUBSCRIPTIONS:
    'A WebSocket has as many operations running as the server allows (`WS_MAX_SUBSCRIPTIONS_PER_SOCKET`, 20 by default): complete one first. Sent as a graphql-ws `error` message.',
  PAYMENT_METHOD_NOT_ACCEPTED:
    "The organization does not accept this desk payment method (`Organization.policies.acceptedDeskPaymentMethods`).",
  DISCOVERY_NEW_CLIENTS_ONLY:
    'A discovery class is for new clients only (004): this member has already bought (an order paid in full or in part) or booked in the organization.',
  IN_PERSON_PAYMENT_NOT_ALLOWED: 'The organization does not take payment for a session at the desk (`inPersonPaymentAllowed`): pay with a credit or online.',
  EXTENSION_NOT_ALLOWED: 'Validity can be extended only while the entitlement is still valid (003 §9.2: requested before the end of validity).',
  ORDER_NOT_REFUNDABLE: 'Only a paid order with something left to refund can be refunded (not one pending, cancelled or already refunded in full).',
  REFUND_EXCEEDS_REFUNDABLE:
    'More than can be refunded: what was paid minus what was already refunded, and, when credits were used, only what the unused credits are worth (`refundable`).',
  REFUND_CREDIT_NOTE_ONLY: 'A promotional purchase (bought with a promo code) is compensated only by a credit note (004): refund it `as: CREDIT_NOTE`.',
};

/**
 * A business failure. Services throw these; the schema turns them into typed results. Anything
 * that is not a DomainError is a bug and stays masked. The message is a key, translated per request.
 *
 * It carries no stack: it is an answer to the client, logged without one, and capturing a stack
 * is most of what throwing costs (and formatting it, with source maps, when the errors plugin
 * reads the error's property descriptors). Every member who loses a race for a seat pays for it.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    readonly messageKey: MessageKey,
    readonly params: MessageParams = {},
  ) {
    super(withoutStack(messageKey));
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

let stackTraceLimit = Error.stackTraceLimit;

/** Its message, with stack capture off for the `Error` constructor it is passed to (restored right after). */
function withoutStack(message: string): string {
  stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return message;
}

export interface ValidationIssue {
  /** Path of the offending field in the mutation's input, e.g. ["endsAt"]. */
  field: string[];
  messageKey: MessageKey;
  params?: MessageParams;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION';
  constructor(readonly issues: [ValidationIssue, ...ValidationIssue[]]) {
    super(issues[0].messageKey, issues[0].params);
  }
  get field(): string[] {
    return this.issues[0].field;
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor() {
    super('error.unauthenticated');
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(messageKey: MessageKey = 'error.forbidden') {
    super(messageKey);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly entity: string,
    readonly field: string[] = [],
  ) {
    super('error.notFound', { entity });
  }
}

export class EmailTakenError extends DomainError {
  readonly code = 'EMAIL_TAKEN';
  constructor() {
    super('error.emailTaken');
  }
}

export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('error.invalidCredentials');
  }
}

export class InvalidTokenError extends DomainError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('error.invalidToken');
  }
}

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(readonly retryAfterSeconds: number) {
    super('error.rateLimited', { seconds: retryAfterSeconds });
  }
}

export class BeneficiaryInUseError extends DomainError {
  readonly code = 'BENEFICIARY_IN_USE';
  constructor() {
    super('error.beneficiaryInUse');
  }
}

export class LastAdminError extends DomainError {
  readonly code = 'LAST_ADMIN';
  constructor() {
    super('error.lastAdmin');
  }
}

/** A slug, or another natural key, already used by someone else. */
export class ConflictError extends ValidationError {
  constructor(field: string[], messageKey: MessageKey) {
    super([{ field, messageKey }]);
  }
}

// ─── Booking and credits ──────────────────────────────────────────────────────────────────────

export class SessionFullError extends DomainError {
  readonly code = 'SESSION_FULL';
  constructor() {
    super('error.sessionFull');
  }
}

export class SessionNotBookableError extends DomainError {
  readonly code = 'SESSION_NOT_BOOKABLE';
  constructor(reason: 'cancelled' | 'started') {
    super(reason === 'cancelled' ? 'error.sessionNotBookable.cancelled' : 'error.sessionNotBookable.started');
  }
}

export class AlreadyBookedError extends DomainError {
  readonly code = 'ALREADY_BOOKED';
  constructor() {
    super('error.alreadyBooked');
  }
}

export class NotEligibleError extends DomainError {
  readonly code = 'NOT_ELIGIBLE';
  constructor(messageKey: 'error.notEligible.age' | 'error.notEligible.credit' | 'error.notEligible.otherOrganization' | 'error.notEligible.price') {
    super(messageKey);
  }
}

export class NoCreditError extends DomainError {
  readonly code = 'NO_CREDIT';
  constructor() {
    super('error.noCredit');
  }
}

export class RescheduleNotAllowedError extends DomainError {
  readonly code = 'RESCHEDULE_NOT_ALLOWED';
  constructor(params: { deadline: string }) {
    super('error.rescheduleNotAllowed', params);
  }
}

export class BookingNotCancellableError extends DomainError {
  readonly code = 'BOOKING_NOT_CANCELLABLE';
  constructor(reason: 'inactive' | 'started') {
    super(reason === 'inactive' ? 'error.bookingNotCancellable.inactive' : 'error.bookingNotCancellable.started');
  }
}

export class CreditNotRestorableError extends DomainError {
  readonly code = 'CREDIT_NOT_RESTORABLE';
  constructor(reason: 'alreadyRestored' | 'notForfeited' | 'noCredit' | 'expired') {
    super(`error.creditNotRestorable.${reason}`);
  }
}

export class AttendanceNotAllowedError extends DomainError {
  readonly code = 'ATTENDANCE_NOT_ALLOWED';
  constructor(reason: 'tooEarly' | 'inactive') {
    super(reason === 'tooEarly' ? 'error.attendance.tooEarly' : 'error.attendance.inactive');
  }
}

export class SessionAlreadyCancelledError extends DomainError {
  readonly code = 'SESSION_ALREADY_CANCELLED';
  constructor() {
    super('error.sessionAlreadyCancelled');
  }
}

export class ExtensionNotAllowedError extends DomainError {
  readonly code = 'EXTENSION_NOT_ALLOWED';
  constructor() {
    super('error.extension.expired');
  }
}

export class VenueAlreadyClosedError extends DomainError {
  readonly code = 'VENUE_ALREADY_CLOSED';
  constructor(reason: 'definitive' | 'overlap', params: { from?: string; until?: string } = {}) {
    super(reason === 'definitive' ? 'error.venueAlreadyClosed.definitive' : 'error.venueAlreadyClosed.overlap', params);
  }
}

export class CreditNoteNotRefundableError extends DomainError {
  readonly code = 'CREDIT_NOTE_NOT_REFUNDABLE';
  constructor(
    reason: 'notClosure' | 'alreadyRefunded' | 'stillValid' | 'nothingLeft' | 'venueNearby',
    params: { venue?: string; km?: string; expiresAt?: string } = {},
  ) {
    super(`error.creditNoteNotRefundable.${reason}`, params);
  }
}

export class EarlyTerminationNotAllowedError extends DomainError {
  readonly code = 'EARLY_TERMINATION_NOT_ALLOWED';
  constructor(reason: 'ended' | 'venueNearby', params: { venue?: string; km?: string } = {}) {
    super(`error.earlyTerminationNotAllowed.${reason}`, params);
  }
}

// ─── Orders ───────────────────────────────────────────────────────────────────────────────────

export class PaymentExceedsBalanceError extends DomainError {
  readonly code = 'PAYMENT_EXCEEDS_BALANCE';
  constructor(params: { due: string }) {
    super('error.paymentExceedsBalance', params);
  }
}

export class OrderNotPayableError extends DomainError {
  readonly code = 'ORDER_NOT_PAYABLE';
  constructor() {
    super('error.orderNotPayable');
  }
}

// ─── Waitlist ─────────────────────────────────────────────────────────────────────────────────

export class AlreadyOnWaitlistError extends DomainError {
  readonly code = 'ALREADY_ON_WAITLIST';
  constructor() {
    super('error.alreadyOnWaitlist');
  }
}

export class SessionNotFullError extends DomainError {
  readonly code = 'SESSION_NOT_FULL';
  constructor() {
    super('error.sessionNotFull');
  }
}

export class WaitlistClosedError extends DomainError {
  readonly code = 'WAITLIST_CLOSED';
  constructor() {
    super('error.waitlistClosed');
  }
}

export class OfferTakenError extends DomainError {
  readonly code = 'OFFER_TAKEN';
  constructor() {
    super('error.offerTaken');
  }
}

export class OfferExpiredError extends DomainError {
  readonly code = 'OFFER_EXPIRED';
  constructor() {
    super('error.offerExpired');
  }
}

// ─── Payments, promotions, withdrawal, subscriptions ─────────────────────────────────────────

export class RegistrationNotVerifiedError extends DomainError {
  readonly code = 'REGISTRATION_NOT_VERIFIED';
  constructor() {
    super('error.registrationNotVerified');
  }
}

export class PromoCodeInvalidError extends DomainError {
  readonly code = 'PROMO_CODE_INVALID';
  constructor() {
    super('error.promoCodeInvalid');
  }
}

export class DiscoveryAlreadyUsedError extends DomainError {
  readonly code = 'DISCOVERY_ALREADY_USED';
  constructor() {
    super('error.discoveryAlreadyUsed');
  }
}

export class DiscoveryNewClientsOnlyError extends DomainError {
  readonly code = 'DISCOVERY_NEW_CLIENTS_ONLY';
  constructor() {
    super('error.discoveryNewClientsOnly');
  }
}

export class PaymentMethodNotAcceptedError extends DomainError {
  readonly code = 'PAYMENT_METHOD_NOT_ACCEPTED';
  constructor() {
    super('error.paymentMethodNotAccepted');
  }
}

export class WithdrawalNotAllowedError extends DomainError {
  readonly code = 'WITHDRAWAL_NOT_ALLOWED';
  constructor(reason: 'late' | 'used' | 'status', params: { days?: number } = {}) {
    super(`error.withdrawalNotAllowed.${reason}`, params);
  }
}

export class PauseLimitExceededError extends DomainError {
  readonly code = 'PAUSE_LIMIT_EXCEEDED';
  constructor(params: { max: number }) {
    super('error.pauseLimitExceeded', params);
  }
}

export class InPersonPaymentNotAllowedError extends DomainError {
  readonly code = 'IN_PERSON_PAYMENT_NOT_ALLOWED';
  constructor() {
    super('error.inPersonPaymentNotAllowed');
  }
}

export class OnlinePaymentUnavailableError extends DomainError {
  readonly code = 'ONLINE_PAYMENT_UNAVAILABLE';
  constructor() {
    super('error.onlinePaymentUnavailable');
  }
}

export class OrderNotRefundableError extends DomainError {
  readonly code = 'ORDER_NOT_REFUNDABLE';
  constructor() {
    super('error.orderNotRefundable');
  }
}

/** `refundableCents`: the most that can be refunded now. */
export class RefundExceedsRefundableError extends DomainError {
  readonly code = 'REFUND_EXCEEDS_REFUNDABLE';
  constructor(
    reason: 'paid' | 'unused',
    readonly refundableCents: number,
    readonly currency: string,
    params: MessageParams,
  ) {
    super(reason === 'paid' ? 'error.refundExceeds.paid' : 'error.refundExceeds.unused', params);
  }
}

export class RefundCreditNoteOnlyError extends DomainError {
  readonly code = 'REFUND_CREDIT_NOTE_ONLY';
  constructor() {
    super('error.refundCreditNoteOnly');
  }
}
