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
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * A business failure. Services throw these; the schema turns them into typed results. Anything
 * that is not a DomainError is a bug and stays masked. The message is a key, translated per request.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    readonly messageKey: MessageKey,
    readonly params: MessageParams = {},
  ) {
    super(messageKey);
    this.name = new.target.name;
  }
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

/** A slug, or another natural key, already used by someone else. */
export class ConflictError extends ValidationError {
  constructor(field: string[], messageKey: MessageKey) {
    super([{ field, messageKey }]);
  }
}
