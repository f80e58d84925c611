import { describe, expect, it } from 'vitest';
import { DomainError, SessionFullError, ValidationError } from '../../src/domain/errors.js';

// A business error is an answer to the client: it is thrown by every member who loses a race for
// a seat, and logged without a stack, so it captures none (src/domain/errors.ts).
describe('business errors', () => {
  it('carry their code, message key and name, and no stack frames', () => {
    const error = new SessionFullError();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect([error.code, error.name]).toEqual(['SESSION_FULL', 'SessionFullError']);
    expect(error.stack).toBe(`SessionFullError: ${error.messageKey}`);
    const validation = new ValidationError([{ field: ['email'], messageKey: 'validation.email' }]);
    expect(validation.stack).toBe('ValidationError: validation.email');
  });

  it('leave stack capture as it was for every other error', () => {
    const limit = Error.stackTraceLimit;
    new SessionFullError();
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('a bug').stack?.split('\n').length).toBeGreaterThan(1);
  });
});
