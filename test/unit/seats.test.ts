import { describe, expect, it } from 'vitest';
import { seatsLeft } from '../../src/domain/seats.js';

describe('seatsLeft', () => {
  it.each([
    [12, 0, 12],
    [12, 5, 7],
    [12, 11, 1],
    [12, 12, 0],
    [12, 13, 0], // capacity lowered below the bookings
    [10, 25, 0],
    [0, 0, 0],
    [0, 3, 0],
  ])('capacity %i with %i taken leaves %i', (capacity, seatsTaken, left) => {
    expect(seatsLeft({ capacity, seatsTaken })).toBe(left);
  });

  it('is never negative', () => {
    for (let capacity = 0; capacity <= 20; capacity++) {
      for (let seatsTaken = 0; seatsTaken <= 30; seatsTaken++) {
        const left = seatsLeft({ capacity, seatsTaken });
        expect(left).toBeGreaterThanOrEqual(0);
        expect(left).toBe(Math.max(0, capacity - seatsTaken));
      }
    }
  });
});
