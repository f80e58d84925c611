/** Where "now" comes from. Rules receive `now` from here, never from `new Date()` directly. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
