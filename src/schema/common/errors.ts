import {
  AlreadyBookedError,
  AlreadyOnWaitlistError,
  DiscoveryAlreadyUsedError,
  DiscoveryNewClientsOnlyError,
  PaymentMethodNotAcceptedError,
  OnlinePaymentUnavailableError,
  InPersonPaymentNotAllowedError,
  PauseLimitExceededError,
  PromoCodeInvalidError,
  RegistrationNotVerifiedError,
  WithdrawalNotAllowedError,
  OfferExpiredError,
  OfferTakenError,
  SessionNotFullError,
  WaitlistClosedError,
  AttendanceNotAllowedError,
  BookingNotCancellableError,
  CreditNotRestorableError,
  DomainError,
  EmailTakenError,
  ExtensionNotAllowedError,
  VenueAlreadyClosedError,
  CreditNoteNotRefundableError,
  EarlyTerminationNotAllowedError,
  NoCreditError,
  NotEligibleError,
  OrderNotPayableError,
  PaymentExceedsBalanceError,
  RescheduleNotAllowedError,
  SessionAlreadyCancelledError,
  SessionFullError,
  SessionNotBookableError,
  ERROR_CODE_DESCRIPTIONS,
  ERROR_CODES,
  ForbiddenError,
  InvalidCredentialsError,
  InvalidTokenError,
  BeneficiaryInUseError,
  LastAdminError,
  RateLimitedError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '../../domain/errors.js';
import { translate } from '../../i18n/translate.js';
import { builder } from '../builder.js';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Machine-readable reason of a failed mutation. Stable: clients may switch on it.',
  values: Object.fromEntries(ERROR_CODES.map((code) => [code, { description: ERROR_CODE_DESCRIPTIONS[code] }])),
});

/** Every business failure implements this, so any client can ask `... on Error { code message }`. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'A business failure, returned as data in a mutation result. `message` is in the language of Accept-Language (fr, en).',
  fields: (t) => ({
    message: t.string({
      description: 'Human-readable explanation, translated (French by default, English with Accept-Language: en).',
      resolve: (error, _args, context) => translate(context.locale, error.messageKey, error.params),
    }),
    code: t.field({ type: ErrorCodeEnum, description: 'Machine-readable reason.', resolve: (error) => error.code }),
  }),
});

const ValidationIssueRef = builder
  .objectRef<ValidationError['issues'][number]>('ValidationIssue')
  .implement({
    description: 'One problem with one field of the input.',
    fields: (t) => ({
      field: t.stringList({ description: 'Path of the field in the input.', resolve: (issue) => issue.field }),
      message: t.string({
        description: 'What is wrong, translated.',
        resolve: (issue, _args, context) => translate(context.locale, issue.messageKey, issue.params),
      }),
    }),
  });

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input is invalid. `field` is the path of the first offending field; `issues` lists them all.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    field: t.stringList({
      description: 'Path of the first offending field in the input, e.g. ["endsAt"].',
      nullable: true,
      resolve: (error) => error.field,
    }),
    issues: t.field({ type: [ValidationIssueRef], description: 'Every problem found.', resolve: (error) => error.issues }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'Something the input names does not exist, or is not visible to you.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    field: t.stringList({
      description: 'Path of the input field holding the unknown ID, when there is one.',
      nullable: true,
      resolve: (error) => (error.field.length > 0 ? error.field : null),
    }),
  }),
});

const simpleErrors: [abstract new (...args: never[]) => DomainError, string, string][] = [
  [UnauthenticatedError, 'UnauthenticatedError', 'You must log in (send `Authorization: Bearer <token>`).'],
  [ForbiddenError, 'ForbiddenError', 'You are logged in but not allowed to do this.'],
  [EmailTakenError, 'EmailTakenError', 'An account already uses this email address (case does not matter).'],
  [InvalidCredentialsError, 'InvalidCredentialsError', 'The email address or password is wrong.'],
  [InvalidTokenError, 'InvalidTokenError', 'The token is invalid or has expired.'],
  [SessionFullError, 'SessionFullError', 'No seat left in the session; join its waitlist instead.'],
  [SessionNotBookableError, 'SessionNotBookableError', 'The session is cancelled or has already started.'],
  [AlreadyBookedError, 'AlreadyBookedError', 'The beneficiary already has an active booking in this session.'],
  [NotEligibleError, 'NotEligibleError', "The beneficiary's age does not fit the activity, or the chosen credit does not cover the session."],
  [NoCreditError, 'NoCreditError', 'No valid credit left that covers this session.'],
  [RescheduleNotAllowedError, 'RescheduleNotAllowedError', 'Past the free-cancellation deadline: the booking can no longer be moved.'],
  [BookingNotCancellableError, 'BookingNotCancellableError', 'The booking is not active any more, or its session has started.'],
  [CreditNotRestorableError, 'CreditNotRestorableError', 'There is no forfeited credit to restore on this booking (or it was restored already).'],
  [AttendanceNotAllowedError, 'AttendanceNotAllowedError', 'Attendance cannot be taken on this booking now.'],
  [SessionAlreadyCancelledError, 'SessionAlreadyCancelledError', 'The session was already cancelled.'],
  [ExtensionNotAllowedError, 'ExtensionNotAllowedError', 'The entitlement has expired, so its validity can no longer be extended.'],
  [VenueAlreadyClosedError, 'VenueAlreadyClosedError', 'The venue is already closed over part of the range, or closed for good.'],
  [CreditNoteNotRefundableError, 'CreditNoteNotRefundableError', 'The credit note cannot be refunded: not from a definitive closure, still valid, used up, already refunded, or a venue is open within 15 km.'],
  [EarlyTerminationNotAllowedError, 'EarlyTerminationNotAllowedError', 'No early termination on a move: a venue is open within 15 km of the new address, or the subscription has ended.'],
  [PaymentExceedsBalanceError, 'PaymentExceedsBalanceError', 'The payment is more than the amount still due on the order.'],
  [OrderNotPayableError, 'OrderNotPayableError', 'The order is already paid, refunded or cancelled.'],
  [AlreadyOnWaitlistError, 'AlreadyOnWaitlistError', 'The beneficiary is already waiting for this session.'],
  [SessionNotFullError, 'SessionNotFullError', 'The session has seats left: book it instead.'],
  [WaitlistClosedError, 'WaitlistClosedError', 'Claims have closed for this session (the organization’s deadline before the start).'],
  [OfferTakenError, 'OfferTakenError', 'Someone else claimed the seat first; you stay on the waitlist.'],
  [OfferExpiredError, 'OfferExpiredError', 'The offer is closed (window passed, claims closed, or you left the list).'],
  [RegistrationNotVerifiedError, 'RegistrationNotVerifiedError', 'Staff must verify the registration before payment (001).'],
  [PromoCodeInvalidError, 'PromoCodeInvalidError', 'The promo code is unknown, expired or used up.'],
  [DiscoveryAlreadyUsedError, 'DiscoveryAlreadyUsedError', 'A discovery class can be bought once per client, ever.'],
  [WithdrawalNotAllowedError, 'WithdrawalNotAllowedError', 'Past the withdrawal period, a class already booked or taken, or nothing paid.'],
  [PauseLimitExceededError, 'PauseLimitExceededError', 'More than the yearly pause allowance without a medical exception.'],
  [OnlinePaymentUnavailableError, 'OnlinePaymentUnavailableError', 'Online payment is not configured on this server; pay at the desk.'],
  [InPersonPaymentNotAllowedError, 'InPersonPaymentNotAllowedError', 'The organization does not take payment for a session at the desk.'],
  [BeneficiaryInUseError, 'BeneficiaryInUseError', 'The beneficiary still has upcoming bookings or usable credits.'],
  [LastAdminError, 'LastAdminError', 'The organization must keep at least one ADMIN.'],
  [DiscoveryNewClientsOnlyError, 'DiscoveryNewClientsOnlyError', 'A discovery class is for new clients only: you have already bought or booked here (004).'],
  [PaymentMethodNotAcceptedError, 'PaymentMethodNotAcceptedError', 'The organization does not accept this desk payment method.'],
];

// Errors with nothing beyond `message` and `code`.
for (const [errorClass, name, description] of simpleErrors) {
  // Registered under the class itself: the errors plugin finds a union member by the thrown class.
  builder.objectType(errorClass as new (...args: unknown[]) => DomainError, {
    name,
    description,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof errorClass,
  });
}

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: 'Too many attempts for this email or from this client address; try again later.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({
    retryAfterSeconds: t.int({ description: 'Seconds to wait before the next attempt can succeed.', resolve: (error) => error.retryAfterSeconds }),
  }),
});

/** Error types every mutation can return. */
export const COMMON_ERRORS = [UnauthenticatedError, ForbiddenError, ValidationError, NotFoundError];
