import { describe, expect, it } from 'vitest';
import { POLICY_BOUNDS, deskMethodAccepted, normalizeDeskMethods, validatePolicies, type NumericPolicy } from '../../src/domain/policies.js';
import { issuePairs } from './issues-of.js';

// Issue 11: an organisation's policy values and their ranges.

describe('validatePolicies', () => {
  it('accepts nothing to change, and the seeds’ values (003, 004, 002)', () => {
    expect(issuePairs(() => validatePolicies({}))).toEqual([]);
    expect(
      issuePairs(() =>
        validatePolicies({
          waitlistClaimDeadlineHours: 12,
          terminationNoticeDays: 15,
          maxPauseMonthsPerYear: 2,
          withdrawalDays: 14,
          creditNoteValidityDays: 365,
          paymentHoldMinutes: 15,
          acceptedDeskPaymentMethods: ['CASH', 'CHEQUE'],
        }),
      ),
    ).toEqual([]);
  });

  it.each<[NumericPolicy, number, number]>([
    ['withdrawalDays', 0, 60],
    ['paymentGraceDays', 0, 60],
    ['terminationNoticeDays', 0, 365],
    ['maxPauseMonthsPerYear', 0, 12],
    ['creditNoteValidityDays', 1, 3650],
    ['paymentHoldMinutes', 1, 1440],
    ['waitlistClaimDeadlineHours', 0, 168],
    ['waitlistOfferWindowMinutes', 5, 1440],
  ])('%s: %i to %i, bounds included, whole numbers only', (policy, min, max) => {
    expect(POLICY_BOUNDS[policy]).toEqual({ min, max });
    expect(issuePairs(() => validatePolicies({ [policy]: min }))).toEqual([]);
    expect(issuePairs(() => validatePolicies({ [policy]: max }))).toEqual([]);
    expect(issuePairs(() => validatePolicies({ [policy]: min - 1 }))).toEqual([[policy, 'validation.tooSmall']]);
    expect(issuePairs(() => validatePolicies({ [policy]: max + 1 }))).toEqual([[policy, 'validation.tooLarge']]);
    expect(issuePairs(() => validatePolicies({ [policy]: min + 0.5 }))).toEqual([[policy, 'validation.tooSmall']]);
  });

  it('desk methods: a non-empty subset of the desk methods (card and SEPA are online)', () => {
    expect(issuePairs(() => validatePolicies({ acceptedDeskPaymentMethods: [] }))).toEqual([['acceptedDeskPaymentMethods', 'validation.deskMethodsEmpty']]);
    expect(issuePairs(() => validatePolicies({ acceptedDeskPaymentMethods: ['CASH', 'CARD'] }))).toEqual([['acceptedDeskPaymentMethods', 'validation.deskMethod']]);
    expect(issuePairs(() => validatePolicies({ acceptedDeskPaymentMethods: ['SEPA_DEBIT'] }))).toEqual([['acceptedDeskPaymentMethods', 'validation.deskMethod']]);
  });

  it('lists every problem at once', () => {
    expect(issuePairs(() => validatePolicies({ withdrawalDays: 61, paymentHoldMinutes: 0, acceptedDeskPaymentMethods: [] }))).toEqual([
      ['withdrawalDays', 'validation.tooLarge'],
      ['paymentHoldMinutes', 'validation.tooSmall'],
      ['acceptedDeskPaymentMethods', 'validation.deskMethodsEmpty'],
    ]);
  });
});

describe('desk methods', () => {
  it('are stored once each, in a fixed order', () => {
    expect(normalizeDeskMethods(['SPORT_PASS', 'CASH', 'CASH'])).toEqual(['CASH', 'SPORT_PASS']);
  });

  it('a method is accepted only when the organisation lists it, and never an online one', () => {
    const policies = { acceptedDeskPaymentMethods: ['CASH', 'ANCV'] as const };
    expect(deskMethodAccepted(policies, 'CASH')).toBe(true);
    expect(deskMethodAccepted(policies, 'CHEQUE')).toBe(false);
    expect(deskMethodAccepted({ acceptedDeskPaymentMethods: ['CARD'] }, 'CARD')).toBe(false);
  });
});
