import { createHash, randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type Cache, createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import {
  type ExecutionResult,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  type GraphQLSchema,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { loginCookieOf } from './auth/cookies.js';
import { type Clock, TestClock } from './clock.js';
import type { Context } from './context.js';
import { onEventGap, publishCacheInvalidation, publishesSettled, receivingEvents, type SessionChangedEvent, watch } from './events/pubsub.js';
import { localeFromAcceptLanguage } from './i18n/translate.js';
import { decodeId, decodeIds } from './schema/common/ids.js';

// Public schedules served from a response cache (issue 13): `@graphql-yoga/plugin-response-cache`.
//
// What is cached: anonymous requests (no Authorization header, no login cookie) whose operation is
// a query of `sessions` only (`__typename` besides is allowed). Everything else runs as before:
// logged-in requests never read or fill the cache, so what depends on the viewer (their bookings,
// staff-only fields, `viewer`) can never be served to someone else; `Session.bookings` (staff
// only) is PRIVATE besides, so an answer holding it is never stored. The key is the query text,
// operation name, variables, the request's locale (messages are translated) and, under
// TEST_CLOCK, the test clock's instant.
//
// Where: each instance keeps its answers in memory (an LRU of RESPONSE_CACHE_MAX_ENTRIES), and
// invalidations travel through the Redis pub/sub the instances already share. Chosen over
// `@envelop/response-cache-redis` because a hit is then a Map lookup rather than a Redis round
// trip plus parsing ~100 KB of JSON on every read (the schedule's cost is Node CPU, and Redis
// shares the cores), and because that package tracks entities in Redis sets that never expire
// and finds type-wide entries with KEYS. What the choice costs is that another instance learns
// of a change a moment later, which is closed as follows.
//
// Invalidation:
// - every `session:changed` event (bookings, cancellations, capacity, updateSession,
//   cancelSession, closeVenue, timetables, waitlist rounds: see src/services) reaches every
//   instance, its own at once and the others through Redis; each drops the answers holding that
//   Session, and the lists that could hold it: a `sessions` answer is tagged by the narrowest
//   part of its filter (its `ids`, else its venue, activity, organisation, else "all"), and the
//   event drops the tags of its session's venue, activity and organisation and "all". A new
//   session, a moved one, or one that gains a free seat (`onlyAvailable`) thus drops every list
//   it could enter;
// - a mutation also drops the entities it returns (the plugin's `invalidateViaMutation`: a
//   renamed venue, activity or coach), here and, through Redis (`cache:invalidate`), elsewhere;
// - a mutation's answer is sent only once Redis has acknowledged its events (`publishesSettled`):
//   Redis queues a published message to every subscriber before it answers the publisher, so an
//   instance that a client reads next has the invalidation in hand before that read arrives;
// - an answer computed while one of its entities was invalidated (a read racing a booking) is not
//   stored, so a stale seat count cannot be put back after the event that dropped it;
// - while this instance's Redis subscription is down it neither reads nor fills the cache, and it
//   empties the cache when the connection is lost and again when it is back;
// - nothing lives longer than RESPONSE_CACHE_TTL_SECONDS (10 s by default): the bound on what no
//   event announces (a session that starts drops out of a list without `from` at most that late;
//   a venue renamed by a mutation whose answer did not include the venue).

export interface ResponseCacheOptions {
  /** Longest life of an answer, in seconds. */
  ttlSeconds: number;
  /** Answers kept per instance (least recently used go first). */
  maxEntries: number;
  clock: Clock;
}

type Entity = { typename: string; id?: string | number };

/** Fields whose answers depend on who asks; an answer holding one is never stored. */
const PRIVATE_FIELDS = { 'Session.bookings': 'PRIVATE' } as const;
/** How many invalidations are remembered for the in-flight check (older ones: not stored). */
const REMEMBERED_INVALIDATIONS = 50_000;

/** What this request's operation is, for the cache (set when it executes). */
type Operation = { kind: 'mutation' } | { kind: 'other' } | { kind: 'schedule'; tags: string[]; since?: number; key?: string };

/** An answer being computed, that other requests for the same key wait for. */
interface Fill {
  owner: object;
  answer: Promise<ExecutionResult | null>;
  resolve: (answer: ExecutionResult | null) => void;
  timer: NodeJS.Timeout;
}
/** Longest wait for another request's answer before executing anyway. */
const FILL_WAIT_MS = 10_000;

/**
 * Which keys were invalidated when (a counter, not a clock), so that an answer whose execution
 * started before one of its entities was invalidated is not stored. It remembers the last
 * `capacity` invalidations: anything that started before the newest one forgotten counts as
 * changed.
 */
export class InvalidationLog {
  seq = 0;
  private forgottenUpTo = 0;
  /**
   * Each key's newest invalidation. A key invalidated again is updated in place, never deleted and
   * set again: V8 leaves a deleted Map entry in its hash bucket's chain until the table is rebuilt,
   * so the few keys every booking invalidates (`sessions:all`, its session's lists) grew chains of
   * thousands of dead entries, walked on every lookup. That was 7 % of a booking's server profile
   * after 20,000 bookings, and growing with the process's age (issue 13).
   */
  private readonly last = new Map<string, number>();
  /** Every invalidation remembered, oldest first: its key and sequence. */
  private keys: string[] = [];
  private seqs: number[] = [];

  constructor(private readonly capacity = REMEMBERED_INVALIDATIONS) {}

  record(keys: Iterable<string>): void {
    this.seq += 1;
    for (const key of keys) {
      this.last.set(key, this.seq);
      this.keys.push(key);
      this.seqs.push(this.seq);
    }
    if (this.keys.length > this.capacity) this.forgetOldest();
  }

  /**
   * Forgets the oldest tenth at once (one at a time, every record of a full log would move the
   * whole queue). A key is dropped only if this was its newest invalidation.
   */
  private forgetOldest(): void {
    const count = this.keys.length - (this.capacity - Math.ceil(this.capacity / 10));
    for (let i = 0; i < count; i += 1) {
      const key = this.keys[i]!;
      const seq = this.seqs[i]!;
      if (this.last.get(key) === seq) this.last.delete(key);
      this.forgottenUpTo = seq;
    }
    this.keys = this.keys.slice(count);
    this.seqs = this.seqs.slice(count);
  }

  /** How many invalidations it remembers. */
  get size(): number {
    return this.keys.length;
  }

  /** Everything before now may have changed. */
  forgetAll(): void {
    this.seq += 1;
    this.forgottenUpTo = this.seq;
    this.last.clear();
    this.keys = [];
    this.seqs = [];
  }

  changedSince(since: number, keys: Iterable<string>): boolean {
    if (since < this.forgottenUpTo) return true;
    for (const key of keys) if ((this.last.get(key) ?? 0) > since) return true;
    return false;
  }
}

const entityKey = ({ typename, id }: Entity): string => (id == null ? typename : `${typename}:${id}`);

/** The keys an invalidation could have hit an answer holding `entities` by. */
function* keysOf(entities: Iterable<Entity>): Iterable<string> {
  for (const entity of entities) {
    yield entity.typename;
    if (entity.id != null) yield entityKey(entity);
  }
}

const listTag = (kind: 'venue' | 'activity' | 'organization', id: string): string => `sessions:${kind}:${id}`;
const ALL_LISTS = 'sessions:all';
/** On every stored answer, so that one invalidation empties the cache. */
const EVERY_ANSWER = 'cached';
const sessionKey = (id: string): string => `Session:${encodeGlobalID('Session', id)}`;

/** The tags of one `sessions(filter:)` answer: the narrowest part of its filter. */
function filterTags(filter: Record<string, unknown> | undefined): string[] {
  if (!filter) return [ALL_LISTS];
  try {
    if (Array.isArray(filter.ids)) return decodeIds(filter.ids as string[], 'Session', 'ids').map(sessionKey);
    if (typeof filter.venueId === 'string') return [listTag('venue', decodeId(filter.venueId, 'Venue', 'venueId'))];
    if (typeof filter.activityId === 'string') return [listTag('activity', decodeId(filter.activityId, 'Activity', 'activityId'))];
    if (typeof filter.organizationId === 'string') return [listTag('organization', decodeId(filter.organizationId, 'Organization', 'organizationId'))];
  } catch {
    // An ID naming nothing selects nothing; the answer is tagged as a list of everything.
  }
  return [ALL_LISTS];
}

/** The tags of a schedule query, or null when the operation is not one the cache takes. */
function scheduleTags(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): string[] | null {
  if (operation.operation !== 'query') return null;
  const sessions = schema.getQueryType()?.getFields().sessions;
  if (!sessions) return null;
  const tags: string[] = [];
  for (const selection of operation.selectionSet.selections) {
    // Root fragments are not looked into: such an operation is simply not cached.
    if (selection.kind !== Kind.FIELD) return null;
    if (selection.name.value === '__typename') continue;
    if (selection.name.value !== 'sessions') return null;
    try {
      tags.push(...filterTags(getArgumentValues(sessions, selection, variables ?? {}).filter as Record<string, unknown> | undefined));
    } catch {
      return null; // a bad argument: execution answers the error
    }
  }
  return tags.length > 0 ? tags : null;
}

/** The types an answer of `Query.sessions` can hold (PRIVATE fields left out). */
function reachableTypes(schema: GraphQLSchema): Set<string> {
  const seen = new Set<string>();
  const start = schema.getQueryType()?.getFields().sessions;
  const queue = start ? [{ type: getNamedType(start.type), skipTypeScopes: false }] : [];
  while (queue.length > 0) {
    const { type, skipTypeScopes } = queue.pop()!;
    if (seen.has(type.name)) continue;
    // A stored answer has no errors, and an anonymous viewer reading a type or field behind a
    // scope other than `public` gets FORBIDDEN: such a type is never in a stored answer.
    if (!skipTypeScopes && !readableAnonymously(type.extensions)) continue;
    seen.add(type.name);
    if (isUnionType(type)) queue.push(...type.getTypes().map((member) => ({ type: member, skipTypeScopes })));
    if (isInterfaceType(type)) queue.push(...schema.getPossibleTypes(type).map((member) => ({ type: member, skipTypeScopes })));
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (`${type.name}.${field.name}` in PRIVATE_FIELDS || !readableAnonymously(field.extensions)) continue;
        const options = (field.extensions as { pothosOptions?: { skipTypeScopes?: boolean } }).pothosOptions;
        queue.push({ type: getNamedType(field.type), skipTypeScopes: options?.skipTypeScopes === true });
      }
    }
  }
  return seen;
}

/** No auth scope (Pothos scope-auth), or a static one that lets anyone in (`public`). */
function readableAnonymously(extensions: unknown): boolean {
  const scopes = (extensions as { pothosOptions?: { authScopes?: unknown } } | undefined)?.pothosOptions?.authScopes;
  if (scopes === undefined) return true;
  return typeof scopes === 'object' && scopes !== null && (scopes as { public?: unknown }).public === true;
}

/** No credentials at all: the only requests the cache serves. */
function anonymous(request: Request): boolean {
  return !request.headers.get('authorization') && loginCookieOf(request.headers.get('cookie')) === null;
}

const NOT_CACHED = 'not-cached';

/**
 * The answer with its JSON kept once written: Yoga serialises a result with its `stringify` when
 * it has one, and a hit is the same data every time (the data is never changed once stored).
 * Anything but that exact shape (errors, extensions left after Yoga drops its `http` one) is
 * written as usual.
 */
function withSerializedText(result: ExecutionResult): ExecutionResult {
  const { data } = result;
  let text: string | undefined;
  const stringify = (value: ExecutionResult): string =>
    value.data === data && !value.errors && !value.extensions ? (text ??= JSON.stringify(value)) : JSON.stringify(value);
  return Object.assign({ ...result }, { stringify });
}

/**
 * The plugins to add at the end of Yoga's list: one that classifies each operation and holds a
 * mutation's answer until its events reached Redis, then the response cache itself.
 */
export function useScheduleCache(options: ResponseCacheOptions): Plugin[] {
  const origin = randomUUID();
  const store = createInMemoryCache({ max: options.maxEntries });
  const log = new InvalidationLog();
  const operations = new WeakMap<object, Operation>();
  /** Requests whose key was computed for the cache (anonymous, about sessions). */
  const candidates = new WeakSet<Request>();
  let shared: Set<string> | undefined;
  let schema: GraphQLSchema | undefined;

  const invalidate = (entities: Entity[], broadcast: boolean): void => {
    if (entities.length === 0) return;
    store.invalidate(entities);
    log.record(entities.map(entityKey));
    if (!broadcast) return;
    shared ??= schema ? reachableTypes(schema) : undefined;
    // Only what an answer here can hold travels (a booking's Booking does not).
    const travelling = shared ? entities.filter((entity) => shared!.has(entity.typename)) : entities;
    if (travelling.length > 0) publishCacheInvalidation({ origin, entities: travelling.map(({ typename, id }) => ({ typename, id })) });
  };
  const clear = (): void => {
    store.invalidate([{ typename: EVERY_ANSWER }]);
    log.forgetAll();
  };

  // Every instance hears every session change (its own at once, the others' through Redis). The
  // listeners stay for the life of the process, as the server does (tests that start several
  // servers in one process keep a closed one's listeners; they only drop entries).
  watch('session:changed', (event: SessionChangedEvent) => {
    invalidate(
      [
        sessionKey(event.sessionId),
        listTag('venue', event.venueId),
        listTag('activity', event.activityId),
        listTag('organization', event.organizationId),
        ALL_LISTS,
      ].map((typename) => ({ typename })),
      false,
    );
  });
  watch('cache:invalidate', (event) => {
    if (event.origin !== origin) invalidate(event.entities, false);
  });
  onEventGap(clear);

  // One execution per key at a time: requests that miss while an answer for their key is being
  // computed wait for it (lobby screens all ask again after each seat change), and execute
  // themselves if it is not stored (it went stale meanwhile, or failed).
  const fills = new Map<string, Fill>();
  const endFill = (key: string, owner: object, answer: ExecutionResult | null): void => {
    const fill = fills.get(key);
    if (fill?.owner !== owner) return;
    fills.delete(key);
    clearTimeout(fill.timer);
    fill.resolve(answer);
  };

  /** The cache as one request's execution sees it: it stores only what is still current. */
  const forRequest = (context: object): Cache => ({
    get(key) {
      const hit = store.get(key);
      const operation = operations.get(context);
      if (hit == null && operation?.kind === 'schedule') {
        operation.since = log.seq;
        operation.key = key;
        if (!fills.has(key)) {
          let resolve!: (answer: ExecutionResult | null) => void;
          const answer = new Promise<ExecutionResult | null>((done) => (resolve = done));
          const timer = setTimeout(() => endFill(key, context, null), FILL_WAIT_MS);
          timer.unref();
          fills.set(key, { owner: context, answer, resolve, timer });
        }
      }
      return hit;
    },
    set(key, result, entities, ttl) {
      const operation = operations.get(context);
      if (operation?.kind !== 'schedule' || operation.since === undefined) return;
      const all: Entity[] = [...entities, ...[...operation.tags, EVERY_ANSWER].map((typename) => ({ typename }))];
      if (log.changedSince(operation.since, keysOf(all))) return endFill(key, context, null);
      const stored = withSerializedText(result);
      store.set(key, stored, all, ttl);
      endFill(key, context, stored);
    },
    invalidate(entities) {
      invalidate([...entities], true);
    },
  });
  // Yoga's plugin reads `cache.get` before parsing (a hit skips parsing, validation and the
  // context); Envelop's, which it wraps, calls `cache(context)` once per execution when given a
  // function. Both at once: the object answers hits, the function gives each execution its own
  // view. The object itself never stores, so if Envelop stopped calling the function nothing
  // would be cached (and the tests would say so), rather than stale answers.
  const cache = Object.assign(forRequest, {
    get: (key: string) => store.get(key) ?? fills.get(key)?.answer ?? null,
    set: () => undefined,
    invalidate: (entities: Iterable<Entity>) => invalidate([...entities], true),
  });

  const rules: Plugin = {
    onSchemaChange({ schema: next }) {
      schema = next;
      shared = undefined;
    },
    onExecute({ args }) {
      const context = args.contextValue as unknown as Context;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'mutation') {
        operations.set(context, { kind: 'mutation' });
        return;
      }
      const tags =
        operation && context.viewer === null && context.request && candidates.has(context.request)
          ? scheduleTags(args.schema, operation, args.variableValues as Record<string, unknown> | undefined)
          : null;
      operations.set(context, tags ? { kind: 'schedule', tags } : { kind: 'other' });
    },
    onExecutionResult({ context }) {
      const operation = operations.get(context);
      // An answer not stored (errors) lets the requests waiting for it execute.
      if (operation?.kind === 'schedule' && operation.key) endFill(operation.key, context, null);
      // Once Redis has the events of this mutation, every instance will have dropped what they
      // make stale before the client can ask anything else.
      if (operation?.kind === 'mutation') return publishesSettled();
    },
  };

  const responseCache = useResponseCache<Record<string, unknown>>({
    cache: cache as unknown as Cache,
    ttl: options.ttlSeconds * 1000,
    session: () => null,
    scopePerSchemaCoordinate: PRIVATE_FIELDS,
    enabled: (request, context) => {
      const operation = operations.get(context);
      if (operation) return operation.kind === 'mutation' || (operation.kind === 'schedule' && receivingEvents());
      // Before execution (Yoga's lookup by key): only the requests the key was built for.
      return candidates.has(request) && receivingEvents();
    },
    buildResponseCacheKey: ({ documentString, variableValues, operationName, request }) => {
      if (!anonymous(request) || !/\bsessions\b/.test(documentString) || !receivingEvents()) return NOT_CACHED;
      candidates.add(request);
      const locale = localeFromAcceptLanguage(request.headers.get('accept-language'));
      const clock = options.clock instanceof TestClock ? String(options.clock.now().getTime()) : '';
      // Hashed here, synchronously: the plugin's own hashSHA256 is WebCrypto's digest, a job on
      // libuv's thread pool and a promise for every schedule request.
      return createHash('sha256')
        .update([documentString, operationName ?? '', JSON.stringify(variableValues ?? {}), locale, clock].join('\u0000'))
        .digest('hex');
    },
  });
  return [rules, responseCache];
}
