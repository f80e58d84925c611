/** Seats a member can book now: never negative, even if capacity was lowered below the bookings. */
export function seatsLeft(session: { capacity: number; seatsTaken: number }): number {
  return Math.max(0, session.capacity - session.seatsTaken);
}
