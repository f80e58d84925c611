/** Where "now" comes from. Rules receive `now` from here, never from `new Date()` directly. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The clock of a server started with TEST_CLOCK=1 (never in production): it starts at the real
 * time and only moves when `advanceClock` moves it, like Stripe's test clocks.
 */
export class TestClock implements Clock {
  private current: number;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves forward to `instant`; never backward (a rule computed earlier must stay true). */
  advanceTo(instant: Date): void {
    if (instant.getTime() > this.current) this.current = instant.getTime();
  }
}
