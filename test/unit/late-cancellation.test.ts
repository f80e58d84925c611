import { describe, expect, it } from 'vitest';
import type { LateCancellation } from '../../src/generated/prisma/enums.js';
import { bookingCancellationPolicy, cancellationOutcome, lateCancellationRule, rescheduleAllowed } from '../../src/domain/booking.js';

// SPEC §11: an offer's late-cancellation rule overrides its activity's (000: the annual aquabike
// members are re-credited, everyone else loses a late-cancelled session).

describe('lateCancellationRule', () => {
  it.each<[LateCancellation, LateCancellation | null | undefined, LateCancellation]>([
    ['FORFEIT', 'RECREDIT', 'RECREDIT'],
    ['FORFEIT', 'FORFEIT', 'FORFEIT'],
    ['FORFEIT', null, 'FORFEIT'],
    ['RECREDIT', 'FORFEIT', 'FORFEIT'],
    ['RECREDIT', null, 'RECREDIT'],
    ['RECREDIT', undefined, 'RECREDIT'],
  ])('activity %s, offer %s: %s', (activity, offer, expected) => {
    expect(lateCancellationRule({ lateCancellation: activity }, offer === undefined ? undefined : { lateCancellation: offer })).toBe(expected);
  });

  it('a booking paid without a credit (no offer) follows the activity', () => {
    expect(lateCancellationRule({ lateCancellation: 'RECREDIT' }, null)).toBe('RECREDIT');
  });
});

describe('bookingCancellationPolicy in cancellationOutcome (000: 6 h notice)', () => {
  const startsAt = new Date('2026-06-10T17:00:00Z');
  const late = new Date(startsAt.getTime() - 2 * 3_600_000);
  const inTime = new Date(startsAt.getTime() - 7 * 3_600_000);
  const activity = { cancellationNoticeHours: 6, lateCancellation: 'FORFEIT' as const };

  it('late with an annual membership (offer RECREDIT): re-credited, so it may still be rescheduled', () => {
    const outcome = cancellationOutcome({ startsAt }, bookingCancellationPolicy(activity, { lateCancellation: 'RECREDIT' }), late);
    expect(outcome).toMatchObject({ kind: 'LATE', status: 'LATE_CANCELLED', creditReturned: true });
    expect(rescheduleAllowed(outcome)).toBe(true);
  });

  it('late with an offer without a rule: the activity forfeits', () => {
    const outcome = cancellationOutcome({ startsAt }, bookingCancellationPolicy(activity, { lateCancellation: null }), late);
    expect(outcome).toMatchObject({ kind: 'LATE', creditReturned: false });
    expect(rescheduleAllowed(outcome)).toBe(false);
  });

  it('an offer FORFEIT does not change a cancellation in time, nor the notice', () => {
    const policy = bookingCancellationPolicy({ ...activity, lateCancellation: 'RECREDIT' }, { lateCancellation: 'FORFEIT' });
    expect(policy).toEqual({ cancellationNoticeHours: 6, lateCancellation: 'FORFEIT' });
    expect(cancellationOutcome({ startsAt }, policy, inTime)).toMatchObject({ kind: 'IN_TIME', creditReturned: true });
  });
});
