import { randomUUID } from 'node:crypto';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { logger } from '../logger.js';
import { shareResult } from './shared-frames.js';

/** A session's seats or waitlist changed (or the session itself did). Published after commit. */
export interface SessionChangedEvent {
  sessionId: string;
  organizationId: string;
  venueId: string;
  activityId: string;
  /** ISO instant of the session's start, so that date-range filters need no database read. */
  startsAt: string;
}

/** The event for a session row (as stored). */
export function sessionChanged(session: {
  id: string;
  organizationId: string;
  venueId: string;
  activityId: string;
  startsAt: Date;
}): SessionChangedEvent {
  return {
    sessionId: session.id,
    organizationId: session.organizationId,
    venueId: session.venueId,
    activityId: session.activityId,
    startsAt: session.startsAt.toISOString(),
  };
}

/** A waitlist offer of this member appeared or changed (OPEN → CLAIMED, TAKEN or EXPIRED). */
export interface WaitlistOfferChangedEvent {
  memberId: string;
  offerId: string;
}

/**
 * Logins of this member were revoked (log-out, password change or reset, erasure): every instance
 * closes the sockets they opened. `sessionId` names one login; without it, all of the member's
 * logins but `exceptSessionId`.
 */
export interface LoginsRevokedEvent {
  memberId: string;
  sessionId?: string;
  exceptSessionId?: string;
}

/**
 * Cached responses to drop on every instance (src/response-cache.ts): entities a mutation
 * returned, as `{ typename, id }` records of `@envelop/response-cache`.
 */
export interface CacheInvalidationEvent {
  /** The cache that sent it (it has dropped them already). */
  origin: string;
  entities: { typename: string; id?: string | number }[];
}

export type Topics = {
  'session:changed': [SessionChangedEvent];
  'waitlist:offer': [WaitlistOfferChangedEvent];
  'auth:revoked': [LoginsRevokedEvent];
  'cache:invalidate': [CacheInvalidationEvent];
};

type Topic = keyof Topics;
const TOPICS: Topic[] = ['session:changed', 'waitlist:offer', 'auth:revoked', 'cache:invalidate'];
type TopicEvent = { type: string; detail?: unknown };
type Callback = (event: TopicEvent) => void;
type CallbackOrListener = Callback | { handleEvent: Callback } | null | undefined;

/** Marks a message on Redis with the instance that sent it, so that the sender can skip its echo. */
const ORIGIN = '__origin';
/** Publishes waiting for Redis to come back, beyond which new ones are dropped (they are hints only). */
const MAX_PENDING_PUBLISHES = 10_000;

const callbackOf = (callbackOrListener: CallbackOrListener): Callback | undefined =>
  callbackOrListener == null
    ? undefined
    : 'handleEvent' in callbackOrListener
      ? callbackOrListener.handleEvent
      : callbackOrListener;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The event target under `pubsub` (the shape `createPubSub` expects). Without Redis it delivers in
 * the process. With Redis, like `@graphql-yoga/redis-event-target` (one Redis SUBSCRIBE per topic,
 * the same channel names and JSON), and besides:
 * - the instance's own subscribers get an event at once, not through Redis, so they keep getting
 *   them while Redis is down; the echo from Redis is recognised by its origin and skipped;
 * - a failed publish or subscribe is logged, never an unhandled rejection (the change is committed
 *   already; Redis carries hints, the database the truth).
 * Delivery is always asynchronous (a microtask at least), as it was through Redis.
 */
class EventRelay {
  private readonly callbacks = new Map<string, Set<Callback>>();
  private readonly origin = randomUUID();
  private pendingPublishes = 0;
  private droppedPublishes = 0;
  /** Publishes Redis has not answered yet (see `publishesSettled`). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly redis?: { publishClient: Redis; subscribeClient: Redis }) {
    redis?.subscribeClient.on('message', (channel: string, message: string) => this.received(channel, message));
    // Every topic's channel is subscribed at start, so that no event another instance publishes
    // before the first local listener arrives is missed.
    for (const topic of TOPICS) this.channel(topic);
  }

  private channel(topic: string): Set<Callback> {
    let callbacks = this.callbacks.get(topic);
    if (!callbacks) {
      callbacks = new Set();
      this.callbacks.set(topic, callbacks);
      this.redis?.subscribeClient.subscribe(topic).catch((error: Error) => {
        logger.warn({ err: error.message, topic }, 'could not subscribe to a Redis channel');
      });
    }
    return callbacks;
  }

  addEventListener(topic: string, callbackOrListener: CallbackOrListener): void {
    const callback = callbackOf(callbackOrListener);
    if (!callback) return;
    this.channel(topic).add(callback);
  }

  removeEventListener(topic: string, callbackOrListener: CallbackOrListener): void {
    const callback = callbackOf(callbackOrListener);
    const callbacks = this.callbacks.get(topic);
    if (!callback || !callbacks) return;
    // The Redis channel stays subscribed: topics are few, and subscribing again and again as
    // listeners come and go races in ioredis (a command sent in subscriber mode drops the connection).
    callbacks.delete(callback);
  }

  dispatchEvent(event: TopicEvent): boolean {
    const { type: topic, detail } = event;
    if (!this.redis) {
      queueMicrotask(() => this.deliver(topic, detail));
      return true;
    }
    const tagged = isPlainObject(detail);
    const message = detail === undefined || detail === null ? '' : JSON.stringify(tagged ? { ...detail, [ORIGIN]: this.origin } : detail);
    if (tagged) {
      // What the other instances will see: the same JSON, without the tag.
      const local = JSON.parse(message) as Record<string, unknown>;
      delete local[ORIGIN];
      queueMicrotask(() => this.deliver(topic, local));
    }
    this.publish(topic, message);
    return true;
  }

  private publish(topic: string, message: string): void {
    const { publishClient } = this.redis!;
    // While Redis is away, ioredis keeps publishes in its offline queue and sends them on
    // reconnection; bound that queue so a long outage cannot eat the memory.
    if (this.pendingPublishes >= MAX_PENDING_PUBLISHES) {
      if (this.droppedPublishes++ % 1000 === 0) {
        logger.warn({ topic, dropped: this.droppedPublishes }, 'Redis unavailable: dropping events for other instances');
      }
      return;
    }
    this.pendingPublishes++;
    const sent: Promise<unknown> = publishClient
      .publish(topic, message)
      .catch((error: Error) => logger.warn({ err: error.message, topic }, 'could not publish an event to Redis'))
      .finally(() => {
        this.pendingPublishes--;
        this.inFlight.delete(sent);
      });
    this.inFlight.add(sent);
  }

  /**
   * Resolves once Redis has answered every publish sent so far (or after `timeoutMs`). Redis
   * answers a PUBLISH after queueing the message to every subscriber, so what the other instances
   * will do with it reaches them before anything the caller does next.
   */
  settled(timeoutMs: number): Promise<void> {
    if (!this.redis || this.inFlight.size === 0 || this.redis.publishClient.status !== 'ready') return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      Promise.all(this.inFlight).then(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** True while this instance receives every event (always, without Redis). */
  receiving(): boolean {
    return !this.redis || this.redis.subscribeClient.status === 'ready';
  }

  private received(channel: string, message: string): void {
    let detail: unknown = null;
    if (message !== '') {
      try {
        detail = JSON.parse(message);
      } catch {
        logger.warn({ channel }, 'ignored a malformed event from Redis');
        return;
      }
    }
    if (isPlainObject(detail) && ORIGIN in detail) {
      if (detail[ORIGIN] === this.origin) return; // delivered locally already
      delete detail[ORIGIN];
    }
    this.deliver(channel, detail);
  }

  private deliver(topic: string, detail: unknown): void {
    const callbacks = this.callbacks.get(topic);
    if (!callbacks) return;
    const event: TopicEvent = { type: topic, detail };
    for (const callback of callbacks) {
      try {
        callback(event);
      } catch (error) {
        logger.error({ err: error, topic }, 'an event listener failed');
      }
    }
  }
}

let relay = new EventRelay();

/** See `EventRelay.settled`: the events published so far have reached Redis (bounded wait). */
export function publishesSettled(timeoutMs = 1_000): Promise<void> {
  return relay.settled(timeoutMs);
}

/** False while the Redis subscriber connection is down: events of other instances may be missed. */
export function receivingEvents(): boolean {
  return relay.receiving();
}

const gapListeners = new Set<() => void>();

/**
 * Calls `listener` whenever this instance may have missed events of other instances: its Redis
 * subscriber connection was lost, and again when it is back. Returns the function that stops it.
 */
export function onEventGap(listener: () => void): () => void {
  gapListeners.add(listener);
  return () => gapListeners.delete(listener);
}

function eventGap(): void {
  for (const listener of gapListeners) {
    try {
      listener();
    } catch (error) {
      logger.error({ err: error }, 'an event-gap listener failed');
    }
  }
}

/**
 * The process's event bus. Redis carries events between instances; it never holds truth, so a
 * missed event costs a refresh, never a wrong seat count (clients re-query on reconnect).
 */
export let pubsub: PubSub<Topics> = createPubSub<Topics>({ eventTarget: relay as never });

// Local fan-out. However many subscribers an instance has, it listens to a topic once (one callback
// on the relay, one Redis channel); `watch` listeners are plain functions called for each event.
// Survives `openEvents` replacing the relay.
const watchers = new Map<Topic, { listeners: Set<(event: never) => void>; callback: Callback }>();

/**
 * Calls `listener` with every event of `topic` (from this instance or, with Redis, any other) until
 * the returned function is called. The same event object is passed to every listener, so that
 * work done once per event (a database read) can be shared among them.
 */
export function watch<K extends Topic>(topic: K, listener: (event: Topics[K][0]) => void): () => void {
  let entry = watchers.get(topic);
  if (!entry) {
    const listeners = new Set<(event: never) => void>();
    const callback: Callback = (event) => {
      for (const each of listeners) {
        try {
          each(event.detail as never);
        } catch (error) {
          logger.error({ err: error, topic }, 'an event watcher failed');
        }
      }
    };
    entry = { listeners, callback };
    watchers.set(topic, entry);
    relay.addEventListener(topic, callback);
  }
  const { listeners, callback } = entry;
  listeners.add(listener);
  return () => {
    if (!listeners.delete(listener) || listeners.size > 0) return;
    if (watchers.get(topic)?.listeners === listeners) watchers.delete(topic);
    relay.removeEventListener(topic, callback);
  };
}

export interface EventBus {
  kind: 'redis' | 'in-process';
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

function useRelay(next: EventRelay): void {
  for (const [topic, { callback }] of watchers) {
    relay.removeEventListener(topic, callback);
    next.addEventListener(topic, callback);
  }
  relay = next;
  pubsub = createPubSub<Topics>({ eventTarget: relay as never });
}

export function openEvents(redisUrl: string | undefined): EventBus {
  if (!redisUrl) {
    useRelay(new EventRelay());
    return { kind: 'in-process', ping: async () => true, close: async () => {} };
  }
  // Never give up: commands wait for the connection (bounded above for publishes), and ioredis
  // reconnects and subscribes again to the same channels when Redis comes back.
  const options = { maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false };
  const publishClient = new Redis(redisUrl, options);
  // No ready check (INFO) on the subscriber connection: sent while it is in subscriber mode, it
  // makes Redis refuse it and ioredis drop the connection (ioredis issue #2037).
  const subscribeClient = new Redis(redisUrl, { ...options, enableReadyCheck: false });
  let closing = false;
  for (const [name, client] of [
    ['publish', publishClient],
    ['subscribe', subscribeClient],
  ] as const) {
    let lost = false;
    // One warning per outage, not one per reconnection attempt.
    client.on('error', (error: Error) => {
      if (lost) logger.debug({ err: error.message, connection: name }, 'redis still unavailable');
      else logger.warn({ err: error.message, connection: name }, 'redis connection error');
    });
    client.on('close', () => {
      if (!lost && !closing) logger.warn({ connection: name }, 'redis connection lost; reconnecting');
      lost = true;
      if (client === subscribeClient) eventGap();
    });
    client.on('ready', () => {
      if (lost) logger.info({ connection: name }, 'redis connection back');
      if (lost && client === subscribeClient) eventGap();
      lost = false;
    });
  }
  useRelay(new EventRelay({ publishClient, subscribeClient }));
  return {
    kind: 'redis',
    // Up when this instance can both send events and receive them.
    ping: async () => {
      if (subscribeClient.status !== 'ready') return false;
      try {
        return (await Promise.race([
          publishClient.ping(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
        ])) === 'PONG';
      } catch {
        return false;
      }
    },
    close: async () => {
      closing = true;
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

/** Publishes without ever failing the caller: the change is already committed. */
export function publishWaitlistOfferChanged(event: WaitlistOfferChangedEvent): void {
  try {
    pubsub.publish('waitlist:offer', event);
  } catch (error) {
    logger.warn({ err: error, offerId: event.offerId }, 'could not publish waitlist offer change');
  }
}

/** Publishes without ever failing the caller: the revocation is already committed. */
export function publishLoginsRevoked(event: LoginsRevokedEvent): void {
  try {
    pubsub.publish('auth:revoked', event);
  } catch (error) {
    logger.warn({ err: error, memberId: event.memberId }, 'could not publish a login revocation');
  }
}

/** Publishes without ever failing the caller: the entities changed already. */
export function publishCacheInvalidation(event: CacheInvalidationEvent): void {
  try {
    pubsub.publish('cache:invalidate', event);
  } catch (error) {
    logger.warn({ err: error }, 'could not publish a cache invalidation');
  }
}

/** Publishes without ever failing the caller: the change is already committed. */
export function publishSessionChanged(event: SessionChangedEvent): void {
  try {
    pubsub.publish('session:changed', event);
  } catch (error) {
    logger.warn({ err: error, sessionId: event.sessionId }, 'could not publish session change');
  }
}

// ---------------------------------------------------------------------------------------------
// Shared execution: identical subscriptions run once per event, and every socket gets the result.
//
// Without it, graphql-ws executes each subscriber's operation for each event: with 10 000 lobby
// screens on one venue, 10 000 identical executions per seat change. Subscriptions with the same
// document, operation, variables and caller (viewer and locale: `callerKey`) give the same
// results, so the first one's execution is shared: one source stream per group, and each
// subscriber is a small queue of the group's results. Wire it where graphql-ws subscribes:
//   subscribe: (args) => subscribeShared(args, args.rootValue.subscribe, callerKey(args.contextValue))
// (in src/server.ts's useServer options, instead of `args.rootValue.subscribe(args)`).

type SubscribeResult = AsyncIterable<ExecutionResult> | ExecutionResult;
type SubscribeFn = (args: ExecutionArgs) => SubscribeResult | Promise<SubscribeResult>;

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Past this many results a subscriber has not taken (a client that does not read), the oldest go. */
const MAX_QUEUED_RESULTS = 256;

/** One subscriber of a group: the async iterator graphql-ws consumes. */
class SharedStream implements AsyncIterableIterator<ExecutionResult> {
  private queue: ExecutionResult[] = [];
  /** The pending `next()`'s resolve (an error ends it with a rejected promise): the only function kept. */
  private waiting: ((result: IteratorResult<ExecutionResult> | Promise<never>) => void) | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly group: SubscriptionGroup) {}

  push(result: ExecutionResult): void {
    if (this.done) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: result, done: false });
      return;
    }
    if (this.queue.length >= MAX_QUEUED_RESULTS) this.queue.shift();
    this.queue.push(result);
  }

  /** The group's source ended (`failure`: with an error): end after what is queued. */
  end(failure?: { error: unknown }): void {
    this.failure = failure;
    this.done = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    waiting(failure ? Promise.reject(failure.error) : { value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (this.done) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure.error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue = [];
    this.end();
    this.group.leave(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

const groups = new Map<string, SubscriptionGroup>();

class SubscriptionGroup {
  private readonly streams = new Set<SharedStream>();
  private readonly started: Promise<SubscribeResult>;
  private source: AsyncIterator<ExecutionResult> | undefined;
  private closed = false;

  constructor(
    private readonly key: string,
    subscribe: () => SubscribeResult | Promise<SubscribeResult>,
  ) {
    this.started = Promise.resolve().then(subscribe);
    this.started.then(
      (first) => {
        if (isAsyncIterable(first)) void this.pump(first);
        else this.close();
      },
      () => this.close(),
    );
  }

  /** A stream of the group's results, or what the first subscribe answered if it was no stream. */
  async join(): Promise<SubscribeResult> {
    const stream = new SharedStream(this);
    this.streams.add(stream);
    const first = await this.started.catch((error: unknown) => {
      this.streams.delete(stream);
      throw error;
    });
    if (isAsyncIterable(first)) return stream;
    this.streams.delete(stream);
    return first;
  }

  leave(stream: SharedStream): void {
    if (!this.streams.delete(stream) || this.streams.size > 0) return;
    this.close();
    void this.source?.return?.();
  }

  private async pump(first: AsyncIterable<ExecutionResult>): Promise<void> {
    this.source = first[Symbol.asyncIterator]();
    if (this.closed) {
      void this.source.return?.();
      return;
    }
    let failure: { error: unknown } | undefined;
    try {
      for (;;) {
        const { value, done } = await this.source.next();
        if (done || this.closed) break;
        shareResult(value);
        for (const stream of this.streams) stream.push(value);
      }
    } catch (error) {
      failure = { error };
    }
    this.close();
    for (const stream of this.streams) stream.end(failure);
    this.streams.clear();
  }

  private close(): void {
    this.closed = true;
    if (groups.get(this.key) === this) groups.delete(this.key);
  }
}

/** Numbers documents that are not the same text (parsed without location). */
const documentIds = new WeakMap<object, number>();
let nextDocumentId = 0;

function documentKey(document: ExecutionArgs['document']): string {
  const body = document.loc?.source.body;
  if (body !== undefined) return body;
  let id = documentIds.get(document);
  if (id === undefined) documentIds.set(document, (id = ++nextDocumentId));
  return `#${id}`;
}

/** What results may depend on in a context: who asks, and in which language errors are written. */
export function callerKey(context: { viewer: { memberId: string } | null; locale: string }): string {
  return `${context.viewer?.memberId ?? ''}:${context.locale}`;
}

/**
 * Subscribes through `subscribe`, sharing one execution among identical subscriptions of the same
 * caller (`caller`: everything in the context that results may depend on, see `callerKey`).
 * Results are the same objects for every subscriber of a group: they must not be mutated.
 */
export async function subscribeShared(args: ExecutionArgs, subscribe: SubscribeFn, caller: string): Promise<SubscribeResult> {
  const key = JSON.stringify([documentKey(args.document), args.operationName ?? null, args.variableValues ?? null, caller]);
  let group = groups.get(key);
  if (!group) {
    group = new SubscriptionGroup(key, () => subscribe(args));
    groups.set(key, group);
  }
  return group.join();
}
