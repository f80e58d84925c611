import { expect } from 'vitest';
import { ValidationError, type ValidationIssue } from '../../src/domain/errors.js';

/** The issues a check throws, or [] when it accepts its input. Anything but a ValidationError fails. */
export function issuesOf(check: () => void): ValidationIssue[] {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).issues];
  }
  return [];
}

/** The issues as [field, messageKey] pairs, the compact form of the tables. */
export function issuePairs(check: () => void): [string, string][] {
  return issuesOf(check).map((issue) => [issue.field.join('.'), issue.messageKey]);
}
