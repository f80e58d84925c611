import type { MessageKey, MessageParams } from '../i18n/messages.js';
import { ValidationError, type ValidationIssue } from './errors.js';
import { MAX_TIME_ZONE_LENGTH } from './input-limits.js';

/** Collects every problem of an input, then throws them together as one ValidationError. */
export class Issues {
  private readonly list: ValidationIssue[] = [];

  add(field: string, messageKey: MessageKey, params?: MessageParams): this {
    this.list.push({ field: [field], messageKey, params });
    return this;
  }

  /** Adds the issue when `bad` holds. */
  when(bad: boolean, field: string, messageKey: MessageKey, params?: MessageParams): this {
    return bad ? this.add(field, messageKey, params) : this;
  }

  text(field: string, value: string | null | undefined, { required = true, max = 200 } = {}): this {
    const trimmed = value?.trim() ?? '';
    if (required && trimmed === '') return this.add(field, 'validation.required');
    return this.when(trimmed.length > max, field, 'validation.tooLong', { max });
  }

  throwIfAny(): void {
    const [first, ...rest] = this.list;
    if (first) throw new ValidationError([first, ...rest]);
  }
}

export const PASSWORD_MIN_LENGTH = 8;
/** argon2 hashes whatever it gets; a bound keeps a request from buying seconds of CPU. */
export const PASSWORD_MAX_LENGTH = 128;

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** The stored form of an email: trimmed and lowercased, so uniqueness ignores case. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

export function checkPassword(issues: Issues, field: string, password: string): void {
  issues
    .when(password.length < PASSWORD_MIN_LENGTH, field, 'validation.password.tooShort', { min: PASSWORD_MIN_LENGTH })
    .when(password.length > PASSWORD_MAX_LENGTH, field, 'validation.password.tooLong', { max: PASSWORD_MAX_LENGTH });
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])$/;

export function isValidSlug(slug: string): boolean {
  return SLUG.test(slug);
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length > MAX_TIME_ZONE_LENGTH) return false;
  if (!timeZone.includes('/') && timeZone !== 'UTC') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}
