import { prisma } from '../../db/client.js';
import { ValidationError } from '../../domain/errors.js';
import { seatsLeft } from '../../domain/seats.js';
import { type SessionChangedEvent, sessionChanged, watch } from '../../events/pubsub.js';
import type { Session } from '../../generated/prisma/client.js';
import { logger } from '../../logger.js';
import { builder } from '../builder.js';
import { assertFilterIdsExist, type DecodedSessionFilter, decodeSessionFilter, SessionFilter } from './filter.js';

// Live seats fan out inside each instance: one listener on the event bus for all subscribers, one
// database read per event (per distinct `session { … }` selection beyond the row itself), and the
// same loaded snapshot handed to every matching subscriber. A subscriber costs a small stream
// object and an entry in an index, not a pubsub subscription, a read, or a chain of iterators.

/** The committed state of one session after one event, read once and shared by every subscriber. */
class SessionSnapshot {
  /** Resolves to this snapshot once `row` is loaded (a rejection is the read's error). */
  readonly ready: Promise<SessionSnapshot>;
  row!: Session;
  private selections?: Map<string, Promise<Session>>;

  /**
   * `current`: the row as just read for `includeCurrent`; without it, the row is read after the
   * event. `failure`: the subscription's refusal (NOT_FOUND), sent as its one result.
   */
  constructor(
    readonly event: SessionChangedEvent,
    current?: Session,
    failure?: { error: unknown },
  ) {
    if (failure) {
      this.ready = Promise.reject(failure.error);
      this.ready.catch(() => {});
      return;
    }
    if (current) {
      this.row = current;
      this.ready = Promise.resolve(this);
      return;
    }
    this.ready = readInOrder(event.sessionId, async () => {
      this.row = await prisma.session.findUniqueOrThrow({ where: { id: event.sessionId } });
      return this;
    });
    // Each subscriber sees the rejection through its own `ready`; this one only keeps an unused
    // snapshot from raising an unhandled rejection.
    this.ready.catch((error: unknown) => logger.warn({ err: error, sessionId: event.sessionId }, 'could not read a changed session'));
  }

  /** The session with a subscriber's relations (`query` from the Prisma plugin), read once per shape. */
  session(query: { include?: unknown; select?: unknown }): Session | Promise<Session> {
    if (query.include === undefined && query.select === undefined) return this.row;
    const key = JSON.stringify(query);
    this.selections ??= new Map();
    let read = this.selections.get(key);
    if (!read) {
      read = prisma.session.findUniqueOrThrow({ ...(query as object), where: { id: this.event.sessionId } });
      this.selections.set(key, read);
    }
    return read;
  }
}

// Reads of one session run one after another, so that a later event never shows an older state
// than an earlier one (two reads on two pooled connections could otherwise finish out of order).
const lastReads = new Map<string, Promise<unknown>>();
function readInOrder<T>(sessionId: string, read: () => Promise<T>): Promise<T> {
  const previous = lastReads.get(sessionId);
  const next = previous ? previous.then(read, read) : read();
  lastReads.set(sessionId, next);
  const forget = () => {
    if (lastReads.get(sessionId) === next) lastReads.delete(sessionId);
  };
  next.then(forget, forget);
  return next;
}

export function matchesFilter(event: SessionChangedEvent, filter: DecodedSessionFilter, startsAt = Date.parse(event.startsAt)): boolean {
  return (
    (!filter.ids || filter.ids.includes(event.sessionId)) &&
    (!filter.organizationId || filter.organizationId === event.organizationId) &&
    (!filter.venueId || filter.venueId === event.venueId) &&
    (!filter.activityId || filter.activityId === event.activityId) &&
    (!filter.from || startsAt >= filter.from.getTime()) &&
    (!filter.to || startsAt < filter.to.getTime())
  );
}

/** Past this many undelivered snapshots (a client that does not read), the oldest are dropped. */
const MAX_QUEUED = 256;

/** `includeCurrent` sends the current seats of at most this many sessions (the next ones to end, by start). */
export const MAX_CURRENT_SESSIONS = 200;

/** Stands for the event of a refusal, which has none. */
const NO_EVENT: SessionChangedEvent = { sessionId: '', organizationId: '', venueId: '', activityId: '', startsAt: new Date(0).toISOString() };

/** One subscriber's stream of snapshots: the async iterator graphql-ws consumes. */
class AvailabilityStream implements AsyncIterableIterator<SessionSnapshot> {
  private queue: SessionSnapshot[] = [];
  private waiting: ((result: IteratorResult<SessionSnapshot>) => void) | undefined;
  private done = false;

  /** Snapshots of the current state still queued ahead of the live ones (not counted against MAX_QUEUED). */
  private current = 0;

  /**
   * Settles once the filter's IDs are known to exist (and the current state, if asked, is queued).
   * `next()` waits for it, so nothing is sent before; a refusal is sent instead, then the stream ends.
   * The stream is in the feed meanwhile: subscribing costs the client no round trip to the database.
   */
  private gate: Promise<void> | undefined;

  constructor(readonly filter: DecodedSessionFilter) {}

  /** Runs `check` before anything is sent (see `gate`). */
  startWith(check: () => Promise<void>): void {
    this.gate = check();
    this.gate.catch(() => {});
  }

  push(snapshot: SessionSnapshot): void {
    if (this.done) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: snapshot, done: false });
      return;
    }
    if (this.queue.length - this.current >= MAX_QUEUED) this.queue.splice(this.current, 1);
    this.queue.push(snapshot);
  }

  /** Puts the current state ahead of the changes queued since the stream joined the feed. */
  pushCurrent(snapshots: SessionSnapshot[]): void {
    if (this.done) return;
    this.queue.unshift(...snapshots);
    this.current += snapshots.length;
  }

  async next(): Promise<IteratorResult<SessionSnapshot>> {
    const gate = this.gate;
    if (gate) {
      try {
        await gate;
      } catch (error) {
        if (this.gate !== gate) return this.next();
        this.gate = undefined;
        if (this.done) return { value: undefined, done: true };
        const refusal = new SessionSnapshot(this.queue[0]?.event ?? NO_EVENT, undefined, { error });
        this.close();
        return { value: refusal, done: false };
      }
      if (this.gate === gate) this.gate = undefined;
    }
    return this.take();
  }

  private take(): Promise<IteratorResult<SessionSnapshot>> {
    const queued = this.queue.shift();
    if (this.current > 0) this.current--;
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<SessionSnapshot>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<SessionSnapshot>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.current = 0;
    availabilityFeed.remove(this);
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }
}

/**
 * The instance's subscribers, indexed by the most selective equality of their filter, so that an
 * event only visits those that may match. Listens to the event bus while it has subscribers.
 */
class AvailabilityFeed {
  private readonly index = new Map<string, Set<AvailabilityStream>>();
  private size = 0;
  private unwatch: (() => void) | undefined;

  add(stream: AvailabilityStream): void {
    for (const key of AvailabilityFeed.keysOf(stream.filter)) {
      let streams = this.index.get(key);
      if (!streams) this.index.set(key, (streams = new Set()));
      streams.add(stream);
    }
    if (this.size++ === 0) this.unwatch = watch('session:changed', (event) => this.dispatch(event));
  }

  remove(stream: AvailabilityStream): void {
    for (const key of AvailabilityFeed.keysOf(stream.filter)) {
      const streams = this.index.get(key);
      if (!streams?.delete(stream)) continue;
      if (streams.size === 0) this.index.delete(key);
    }
    if (--this.size === 0) {
      this.unwatch?.();
      this.unwatch = undefined;
    }
  }

  private static keysOf(filter: DecodedSessionFilter): string[] {
    if (filter.ids) return filter.ids.length ? [...new Set(filter.ids)].map((id) => `s:${id}`) : [];
    if (filter.venueId) return [`v:${filter.venueId}`];
    if (filter.activityId) return [`a:${filter.activityId}`];
    if (filter.organizationId) return [`o:${filter.organizationId}`];
    return ['*'];
  }

  private dispatch(event: SessionChangedEvent): void {
    const startsAt = Date.parse(event.startsAt);
    let snapshot: SessionSnapshot | undefined;
    for (const key of [`s:${event.sessionId}`, `v:${event.venueId}`, `a:${event.activityId}`, `o:${event.organizationId}`, '*']) {
      const streams = this.index.get(key);
      if (!streams) continue;
      for (const stream of streams) {
        if (!matchesFilter(event, stream.filter, startsAt)) continue;
        // Read after the event, so a subscriber always sees the committed state, never the event's guess.
        snapshot ??= new SessionSnapshot(event);
        stream.push(snapshot);
      }
    }
  }
}

const availabilityFeed = new AvailabilityFeed();

const SessionAvailability = builder.objectRef<SessionSnapshot>('SessionAvailability').implement({
  description: 'The seat state of one session, pushed on every change. Public data only.',
  fields: (t) => ({
    session: t.prismaField({
      type: 'Session',
      description: 'The session that changed.',
      resolve: (query, snapshot) => snapshot.session(query),
    }),
    seatsLeft: t.int({ description: 'Seats that can be booked now.', resolve: (snapshot) => seatsLeft(snapshot.row) }),
    capacity: t.int({ description: 'Number of seats.', resolve: (snapshot) => snapshot.row.capacity }),
    waitlistLength: t.int({ description: 'People waiting.', resolve: (snapshot) => snapshot.row.waitlistLength }),
  }),
});

/** The sessions a filter watches that have not ended, by start: the `includeCurrent` state. */
function readCurrent(filter: DecodedSessionFilter, now: Date): Promise<Session[]> {
  return prisma.session.findMany({
    where: {
      id: filter.ids ? { in: filter.ids } : undefined,
      organizationId: filter.organizationId,
      venueId: filter.venueId,
      activityId: filter.activityId,
      startsAt: { gte: filter.from, lt: filter.to },
      endsAt: { gt: now },
    },
    orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
    take: MAX_CURRENT_SESSIONS,
  });
}

builder.subscriptionField('sessionAvailability', (t) =>
  t.field({
    type: SessionAvailability,
    description: `Pushes the seats left, capacity and waitlist length of every matching session each time one changes. Public: lobby screens need no login. The filter must name an \`organizationId\`, a \`venueId\`, an \`activityId\` or \`ids\` (else VALIDATION on \`filter\`); an ID of nothing is NOT_FOUND, a malformed one VALIDATION, with \`extensions.field\`. \`onlyAvailable\` is ignored (a session that fills up is a change to show). With \`includeCurrent: true\`, first sends the current state of the matching sessions that have not ended (at most ${MAX_CURRENT_SESSIONS}, by start time), then every change: what a lobby screen needs after a reconnect.`,
    authScopes: { public: true },
    skipTypeScopes: true,
    args: {
      filter: t.arg({ type: SessionFilter, required: true, description: 'Which sessions to watch.' }),
      includeCurrent: t.arg.boolean({
        required: false,
        defaultValue: false,
        description: `First send the current state of each matching session that has not ended (at most ${MAX_CURRENT_SESSIONS}, the next by start time), then every change.`,
      }),
    },
    subscribe: (_root, args, context) => {
      const filter = decodeSessionFilter(args.filter);
      // Every organisation's sessions is no screen's need, and the costliest stream to serve:
      // a subscription names what it watches, logged in or not (issue 10).
      if (!filter.ids && !filter.organizationId && !filter.venueId && !filter.activityId) {
        throw new ValidationError([{ field: ['filter'], messageKey: 'validation.filterTooBroad' }]);
      }
      // The stream joins the feed (a synchronous listener on the event bus, whose Redis channels
      // are subscribed from the instance's start) before the current state is read. A change
      // committed during the read is therefore queued behind the state, not lost: the client gets
      // the state, then that change read again after its event. (The reverse order would lose a
      // change committed between the read and the join.) The IDs are checked meanwhile, and
      // nothing is sent before the check: an ID of nothing ends the stream with NOT_FOUND.
      const stream = new AvailabilityStream(filter);
      availabilityFeed.add(stream);
      stream.startWith(async () => {
        const current = args.includeCurrent ? await readCurrent(filter, context.clock.now()) : [];
        await assertFilterIdsExist(filter, current);
        stream.pushCurrent(current.map((row) => new SessionSnapshot(sessionChanged(row), row)));
      });
      return stream;
    },
    resolve: (snapshot: SessionSnapshot) => snapshot.ready,
  }),
);
