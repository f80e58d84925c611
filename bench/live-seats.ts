// Live seats at scale (issue 4, point 6): N graphql-ws clients watch one venue while its seats
// change; measures delivery latency (p50, p99), missed events and the server's memory per socket,
// in the same run for three paths of bench/server.ts:
//   naive   the code before the fan-out: each subscriber has its own pubsub subscription and
//           reads the session twice per event;
//   fanout  the code as it is: one listener and one read per event shared by all subscribers,
//           each subscriber's operation still executed by graphql-ws per event;
//   shared  fanout plus `subscribeShared` wired into graphql-ws (one execution per event for
//           identical subscriptions), which src/server.ts does not do yet;
//   floor   no GraphQL: one read per event and the same graphql-ws message written to every
//           socket, the lower bound of this machine.
//
//   npm run bench                       # N = 1000, 5000, 10000, every path
//   BENCH_SIZES=1000,2000 BENCH_VARIANTS=fanout npm run bench
//   BENCH_SIZES=10000 BENCH_VARIANTS=shared,floor BENCH_ROUNDS=3 npm run bench   # alternated
//
// Needs PostgreSQL (TEST_DATABASE_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres:
// a throwaway database is created and dropped) and Redis (BENCH_REDIS_URL, default
// redis://127.0.0.1:6379). Each socket is a file descriptor on both sides: this process and the
// server each need max(N) + a few hundred (`ulimit -n`; 20000 on the project's machines covers
// 10k). This process and the server share the machine's cores, so absolute numbers drift between
// runs: compare the ratios printed at the end, which come from one run.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { openEvents, publishSessionChanged, sessionChanged } from '../src/events/pubsub.js';
import { createDatabase, databaseUrl, dropDatabase } from '../test/support/global-setup.js';
import { npmStartNodeFlags } from './npm-start.js';

const here = dirname(fileURLToPath(import.meta.url));
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env.BENCH_SIZES ?? '1000,5000,10000').split(',').map(Number);
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'naive,fanout,shared,floor').split(',') as Variant[];
/** Measured events per size (after warm-up); the naive path gets fewer, it is slow. */
const EVENTS: Record<Variant, number> = {
  fanout: Number(process.env.BENCH_EVENTS ?? 20),
  shared: Number(process.env.BENCH_EVENTS ?? 20),
  floor: Number(process.env.BENCH_EVENTS ?? 20),
  naive: Number(process.env.BENCH_NAIVE_EVENTS ?? 5),
};
/** How long an event may take to reach every client before it counts as missed by the rest. */
const EVENT_TIMEOUT_MS = Number(process.env.BENCH_EVENT_TIMEOUT_MS ?? 20_000);
/**
 * Rounds of every path, one after the other (shared, floor, shared, floor, ...). Each round runs
 * each path on a server of its own; a path's figures pool the deliveries of all its rounds, and
 * each round's p99 is printed too, to see how much it moves from one server to the next.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ROUNDS must be a whole number of at least 1, not ${process.env.BENCH_ROUNDS}`);
const GAP_MS = 100;
const CONNECT_CONCURRENCY = 200;
const OUT = process.env.BENCH_OUT ?? join(here, 'results', 'live-seats.json');
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-01';

type Variant = 'naive' | 'fanout' | 'shared' | 'floor';

const SUBSCRIPTION = `subscription BenchLiveSeats($filter: SessionFilter!) {
  sessionAvailability(filter: $filter) { seatsLeft capacity waitlistLength session { id startsAt } }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * This process's full collection, between two events rather than during one. Its 10,000 clients
 * hold about 170 MB, and each event leaves about 10 MB of parsed messages behind: every 25 events
 * or so V8 marked the whole heap while the next event's messages came in (130 ms of marking steps
 * over 160 ms), and that event reached every socket 200-300 ms late, on every path alike. One
 * such event in 40 holds 2.5 % of the deliveries, so it decided the p99. Collected here once the
 * heap has grown by a fifth since the last collection (by half was too late: V8 had started its
 * own), before the event is sent, since latencies start at the send. Needs --expose-gc (the npm
 * script passes it).
 */
let collectAbove = 0;
function collectBetweenEvents(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc || process.memoryUsage().heapUsed < collectAbove) return;
  gc();
  collectAbove = 1.2 * process.memoryUsage().heapUsed;
}

function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((each) => each.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? Number.POSITIVE_INFINITY);
}

// ---------------------------------------------------------------------------------------------
// Database and server processes

interface Memory {
  heapUsed: number;
  external: number;
  rss: number;
}

class ServerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static start(variant: Variant, env: Record<string, string>): Promise<ServerProcess> {
    const child = fork(join(here, 'server.ts'), [], {
      // npm start's own Node flags (the young generation's size), for every path, the floor's too.
      // BENCH_SERVER_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to look inside the server.
      execArgv: [...npmStartNodeFlags(), '--expose-gc', '--import', 'tsx', ...(process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? [])],
      env: { ...process.env, ...env, BENCH_VARIANT: variant, NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
      child.once('message', (message: { type: string; port: number }) => {
        if (message.type === 'ready') resolve(new ServerProcess(child, message.port));
      });
    });
  }

  memory(): Promise<Memory> {
    return new Promise((resolve) => {
      const onMessage = (message: { type: string } & Memory) => {
        if (message.type !== 'memory') return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'memory' });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'stop' });
      setTimeout(() => this.child.kill('SIGKILL'), 15_000).unref();
    });
  }
}

async function graphqlRequest(port: number, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (result.errors?.length || !result.data) throw new Error(JSON.stringify(result.errors));
  const [value] = Object.values(result.data);
  if (value?.__typename && !String(value.__typename).endsWith('Success')) throw new Error(JSON.stringify(value));
  return value;
}

/** One venue with one session of 10 000 seats, made through the API. */
async function createVenue(port: number) {
  const signUp = await graphqlRequest(
    port,
    `mutation BenchSignUp($input: SignUpInput!) { signUp(input: $input) { __typename ... on SignUpSuccess { token } ... on Error { code message } } }`,
    { input: { email: `bench-${Date.now()}@example.com`, password: 'bench password', firstName: 'Bench', lastName: 'Mark' } },
  );
  const token = signUp.token as string;
  const organization = await graphqlRequest(
    port,
    `mutation BenchOrganization($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on CreateOrganizationSuccess { organization { id } } ... on Error { code message } } }`,
    { input: { name: 'Bench pool', slug: `bench-${Date.now()}`, timeZone: 'Europe/Paris' } },
    token,
  );
  const organizationId = organization.organization.id as string;
  const venue = await graphqlRequest(
    port,
    `mutation BenchVenue($input: CreateVenueInput!) { createVenue(input: $input) { __typename ... on CreateVenueSuccess { venue { id } } ... on Error { code message } } }`,
    { input: { organizationId, name: 'Lobby', address: '1 rue du Banc', city: 'Paris', latitude: 48.85, longitude: 2.35 } },
    token,
  );
  const venueId = venue.venue.id as string;
  const activity = await graphqlRequest(
    port,
    `mutation BenchActivity($input: CreateActivityInput!) { createActivity(input: $input) { __typename ... on CreateActivitySuccess { activity { id } } ... on Error { code message } } }`,
    { input: { organizationId, name: 'Aquabike', audience: 'ADULT', cancellationNoticeHours: 4 } },
    token,
  );
  const startsAt = new Date(Date.now() + 7 * 24 * 3_600_000);
  const session = await graphqlRequest(
    port,
    `mutation BenchSession($input: ScheduleSessionInput!) { scheduleSession(input: $input) { __typename ... on ScheduleSessionSuccess { session { id capacity } } ... on Error { code message } } }`,
    {
      input: {
        activityId: activity.activity.id,
        venueId,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        capacity: 10_000,
      },
    },
    token,
  );
  return { venueId, capacity: session.session.capacity as number };
}

// ---------------------------------------------------------------------------------------------
// Clients and events

/** Every push any client received, by event number: how many, and each latency. */
class Deliveries {
  readonly sentAt = new Map<number, number>();
  readonly counts = new Map<number, number>();
  readonly latencies = new Map<number, number[]>();
  private readonly waiters = new Map<number, { target: number; wake: () => void }>();
  duplicates = 0;
  errors = 0;

  received(event: number, clientSeen: Set<number>): void {
    const at = performance.now();
    if (clientSeen.has(event)) {
      this.duplicates++;
      return;
    }
    clientSeen.add(event);
    const count = (this.counts.get(event) ?? 0) + 1;
    this.counts.set(event, count);
    const sent = this.sentAt.get(event);
    if (sent !== undefined) {
      let list = this.latencies.get(event);
      if (!list) this.latencies.set(event, (list = []));
      list.push(at - sent);
    }
    const waiter = this.waiters.get(event);
    if (waiter && count >= waiter.target) {
      this.waiters.delete(event);
      waiter.wake();
    }
  }

  /** Resolves when `target` clients have event `event`, or after `timeoutMs`. */
  async waitFor(event: number, target: number, timeoutMs: number): Promise<boolean> {
    if ((this.counts.get(event) ?? 0) >= target) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(event);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(event, {
        target,
        wake: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
  }
}

class Clients {
  readonly clients: Client[] = [];
  connectFailures = 0;

  constructor(
    private readonly url: string,
    private readonly venueId: string,
    private readonly capacity: number,
    private readonly deliveries: Deliveries,
  ) {}

  get size(): number {
    return this.clients.length;
  }

  private open(): Promise<void> {
    return new Promise((resolve) => {
      const seen = new Set<number>();
      let settled = false;
      const client = createClient({
        url: this.url,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => {},
        on: {
          connected: () => {
            settled = true;
            client.subscribe<{ sessionAvailability: { seatsLeft: number } }>(
              { query: SUBSCRIPTION, variables: { filter: { venueId: this.venueId } } },
              {
                next: (value) => {
                  const seats = value.data?.sessionAvailability.seatsLeft;
                  if (seats === undefined) this.deliveries.errors++;
                  else this.deliveries.received(this.capacity - seats, seen);
                },
                error: () => this.deliveries.errors++,
                complete: () => {},
              },
            );
            this.clients.push(client);
            resolve();
          },
          closed: () => {
            if (settled) return;
            settled = true;
            this.connectFailures++;
            resolve();
          },
        },
      });
    });
  }

  /** Opens clients until there are `target`, CONNECT_CONCURRENCY handshakes at a time. */
  async grow(target: number): Promise<void> {
    let next = this.size;
    const workers = Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < target) {
        next++;
        await this.open();
      }
    });
    await Promise.all(workers);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.dispose()));
  }
}

// ---------------------------------------------------------------------------------------------
// The run

interface Row {
  variant: Variant;
  sockets: number;
  /** The round (from 1), or how many rounds a pooled row covers. */
  round?: number;
  rounds?: number;
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  missed: number;
  heapKbPerSocket: number;
  /** RSS per socket: noisy (the heap does not give memory back), kept for reference. */
  rssKbPerSocket: number;
  /** Heap growth over the measured events (a leak per event would show here). */
  heapGrowthKbPerSocket: number;
  connectSeconds: number;
  /**
   * The median of the events' own p99s: what a typical event looks like. The pooled p99 above
   * is decided by the few events that reach every socket late as a whole (`slowEvents`: their
   * p50 above twice the median p50), which strike every path, the floor's too: one such event
   * in 40 holds 2.5 % of the deliveries, more than the 1 % above the p99.
   */
  eventP99MedianMs: number;
  slowEvents: number;
}

async function main() {
  const limit = openFilesLimit();
  const largest = Math.max(...SIZES);
  if (limit < largest + 500) {
    throw new Error(
      `ulimit -n is ${limit}: ${largest} sockets need about ${largest + 500} open files in this process and in the server. Raise it (ulimit -n ${largest + 1000}) or lower BENCH_SIZES.`,
    );
  }
  if (!(globalThis as { gc?: unknown }).gc) console.log('without --expose-gc (npm run bench passes it): this process may collect its heap during an event, which then counts as late');
  console.log(`live seats benchmark: sizes ${SIZES.join(', ')}; paths ${VARIANTS.join(', ')}; ${cpus().length} cores; open files limit ${limit}`);

  let server: ServerProcess | undefined;
  const name = await createDatabase('booking_bench');
  // Ctrl-C: no server or database left behind.
  process.once('SIGINT', () => {
    server?.child.kill('SIGKILL');
    dropDatabase(name).finally(() => process.exit(130));
  });
  const env = { DATABASE_URL: databaseUrl(name), REDIS_URL: REDIS_URL };
  const events = openEvents(REDIS_URL);
  const db = new pg.Client({ connectionString: databaseUrl(name) });
  /** One row per round, path and size; and each one's sorted latencies, to pool the rounds. */
  const roundRows: Row[] = [];
  const pooled = new Map<string, Float64Array[]>();
  const pooledEvents = new Map<string, EventFigures[]>();
  let seatsTaken = 0;
  try {
    // The first server applies the migrations; the data is made through the API.
    server = await ServerProcess.start('fanout', env);
    const { venueId, capacity } = await createVenue(server.port);
    await server.stop();
    server = undefined;
    await db.connect();
    const session = (await db.query('SELECT id, "organizationId", "venueId", "activityId", "startsAt" FROM "Session"')).rows[0];

    /** A seat change as a booking makes it: committed first, then published (here from another instance). */
    const changeSeats = async (deliveries: Deliveries): Promise<number> => {
      const event = ++seatsTaken;
      await db.query('UPDATE "Session" SET "seatsTaken" = $1 WHERE id = $2', [event, session.id]);
      deliveries.sentAt.set(event, performance.now());
      publishSessionChanged(sessionChanged(session));
      return event;
    };

    for (let pass = 1; pass <= ROUNDS; pass++) for (const variant of VARIANTS) {
      server = await ServerProcess.start(variant, env);
      const url = `ws://127.0.0.1:${server.port}/graphql`;

      // Warm up code paths and lazy structures, so they are not counted as per-socket memory.
      {
        const deliveries = new Deliveries();
        const warm = new Clients(url, venueId, capacity, deliveries);
        await warm.grow(100);
        await sleep(500);
        await deliveries.waitFor(await changeSeats(deliveries), warm.size, 5_000);
        await warm.closeAll();
        await sleep(1_000);
      }
      const base = await server.memory();

      const deliveries = new Deliveries();
      const clients = new Clients(url, venueId, capacity, deliveries);
      for (const size of SIZES) {
        const connectStart = performance.now();
        await clients.grow(size);
        const connectSeconds = (performance.now() - connectStart) / 1000;
        // Until one change reaches every client: every subscription is registered.
        await sleep(500);
        for (let attempt = 0; attempt < 5; attempt++) {
          const warmUp = await changeSeats(deliveries);
          if (await deliveries.waitFor(warmUp, clients.size, EVENT_TIMEOUT_MS)) break;
        }
        await sleep(GAP_MS);
        const memory = await server.memory();

        const measured: number[] = [];
        for (let i = 0; i < EVENTS[variant]; i++) {
          collectBetweenEvents();
          const event = await changeSeats(deliveries);
          measured.push(event);
          await deliveries.waitFor(event, clients.size, EVENT_TIMEOUT_MS);
          await sleep(GAP_MS);
        }
        await sleep(1_000); // stragglers
        const after = await server.memory();

        const perEvent = measured.map((event) => eventFigures(deliveries.latencies.get(event) ?? []));
        const all = measured.flatMap((event) => deliveries.latencies.get(event) ?? []);
        const sorted = Float64Array.from(all).sort();
        const received = measured.reduce((sum, event) => sum + (deliveries.counts.get(event) ?? 0), 0);
        const row: Row = {
          variant,
          sockets: clients.size,
          ...(ROUNDS > 1 ? { round: pass } : {}),
          events: measured.length,
          p50Ms: round(percentile(sorted, 50)),
          p99Ms: round(percentile(sorted, 99)),
          maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
          missed: clients.size * measured.length - received,
          heapKbPerSocket: round((memory.heapUsed + memory.external - base.heapUsed - base.external) / 1024 / clients.size),
          rssKbPerSocket: round((memory.rss - base.rss) / 1024 / clients.size),
          heapGrowthKbPerSocket: round((after.heapUsed + after.external - memory.heapUsed - memory.external) / 1024 / clients.size),
          connectSeconds: round(connectSeconds),
          ...eventSummary(perEvent),
        };
        roundRows.push(row);
        const key = `${variant}:${row.sockets}`;
        pooled.set(key, [...(pooled.get(key) ?? []), sorted]);
        pooledEvents.set(key, [...(pooledEvents.get(key) ?? []), ...perEvent]);
        console.log(
          `${ROUNDS > 1 ? `round ${pass}  ` : ''}${variant.padEnd(6)} N=${String(row.sockets).padStart(5)}  p50 ${fmt(row.p50Ms)} ms  p99 ${fmt(row.p99Ms)} ms  max ${fmt(row.maxMs)} ms  missed ${row.missed}  ` +
            `typical event's p99 ${fmt(row.eventP99MedianMs)} ms  slow events ${row.slowEvents}  ` +
            `heap ${fmt(row.heapKbPerSocket)} KB/socket  rss ${fmt(row.rssKbPerSocket)} KB/socket  growth ${fmt(row.heapGrowthKbPerSocket)} KB/socket  (connected in ${row.connectSeconds} s)`,
        );
        if (clients.connectFailures) console.log(`  ${clients.connectFailures} connections failed`);
        if (deliveries.duplicates || deliveries.errors) console.log(`  ${deliveries.duplicates} duplicates, ${deliveries.errors} errors`);
      }
      await clients.closeAll();
      await server.stop();
      server = undefined;
      await sleep(1_000);
    }
  } finally {
    if (server) await server.stop();
    await db.end().catch(() => {});
    await events.close();
    if (!process.env.KEEP_BENCH_DATABASE) await dropDatabase(name);
  }

  const rows = ROUNDS > 1 ? poolRounds(roundRows, pooled, pooledEvents) : roundRows;
  if (ROUNDS > 1) printRounds(rows, roundRows);
  printTable(rows);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, openFiles: limit },
        subscription: SUBSCRIPTION,
        targets: { sockets: 10_000, p99Ms: 200, kbPerSocket: 20, missed: 0 },
        rows,
        ...(ROUNDS > 1 ? { rounds: roundRows } : {}),
        ratios: ratios(rows),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwritten to ${OUT}`);
}

const round = (value: number) => Math.round(value * 10) / 10;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** One row per path and size: the deliveries of every round pooled, memory averaged over the rounds. */
function poolRounds(roundRows: Row[], pooled: Map<string, Float64Array[]>, pooledEvents: Map<string, EventFigures[]>): Row[] {
  const keys = [...new Set(roundRows.map((row) => `${row.variant}:${row.sockets}`))];
  return keys.map((key) => {
    const each = roundRows.filter((row) => `${row.variant}:${row.sockets}` === key);
    const parts = pooled.get(key)!;
    const sorted = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      sorted.set(part, at);
      at += part.length;
    }
    sorted.sort();
    return {
      variant: each[0]!.variant,
      sockets: each[0]!.sockets,
      rounds: each.length,
      events: each.reduce((sum, row) => sum + row.events, 0),
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      missed: each.reduce((sum, row) => sum + row.missed, 0),
      heapKbPerSocket: round(mean(each.map((row) => row.heapKbPerSocket))),
      rssKbPerSocket: round(mean(each.map((row) => row.rssKbPerSocket))),
      heapGrowthKbPerSocket: round(mean(each.map((row) => row.heapGrowthKbPerSocket))),
      connectSeconds: round(mean(each.map((row) => row.connectSeconds))),
      ...eventSummary(pooledEvents.get(key)!),
    };
  });
}

interface EventFigures {
  p50: number;
  p99: number;
}

function eventFigures(latencies: number[]): EventFigures {
  const sorted = Float64Array.from(latencies).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

const median = (values: number[]) => percentile(Float64Array.from(values).sort(), 50);

function eventSummary(events: EventFigures[]): Pick<Row, 'eventP99MedianMs' | 'slowEvents'> {
  const typicalP50 = median(events.map((event) => event.p50));
  return {
    eventP99MedianMs: round(median(events.map((event) => event.p99))),
    slowEvents: events.filter((event) => event.p50 > 2 * typicalP50).length,
  };
}

function printRounds(rows: Row[], roundRows: Row[]) {
  console.log('\neach round on its own (the table after it pools them)');
  console.log('| path | N | p99 ms of each round | pooled p99 ms | p99 vs floor, each round |');
  console.log('| --- | ---: | --- | ---: | --- |');
  for (const row of rows) {
    const each = roundRows.filter((other) => other.variant === row.variant && other.sockets === row.sockets);
    const floors = roundRows.filter((other) => other.variant === 'floor' && other.sockets === row.sockets);
    const vsFloor = (other: Row) => {
      const floor = floors.find((candidate) => candidate.round === other.round);
      return floor ? `${(other.p99Ms / floor.p99Ms).toFixed(2)}×` : '–';
    };
    const againstFloor = row.variant === 'floor' ? '' : each.map(vsFloor).join(', ');
    console.log(`| ${row.variant} | ${row.sockets} | ${each.map((other) => fmt(other.p99Ms)).join(', ')} | ${fmt(row.p99Ms)} | ${againstFloor} |`);
  }
}
const fmt = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');

function ratios(rows: Row[]) {
  const find = (variant: Variant, sockets: number) => rows.find((row) => row.variant === variant && row.sockets === sockets);
  return rows
    .filter((row) => row.variant !== 'naive')
    .map((row) => {
      const naive = find('naive', row.sockets);
      const floor = find('floor', row.sockets);
      const smallest = rows.find((each) => each.variant === row.variant)!;
      return {
        variant: row.variant,
        sockets: row.sockets,
        // Against the naive path at the same N (below 1: better than naive).
        p50VsNaive: naive ? round2(row.p50Ms / naive.p50Ms) : null,
        p99VsNaive: naive ? round2(row.p99Ms / naive.p99Ms) : null,
        heapPerSocketVsNaive: naive ? round2(row.heapKbPerSocket / naive.heapKbPerSocket) : null,
        rssPerSocketVsNaive: naive ? round2(row.rssKbPerSocket / naive.rssKbPerSocket) : null,
        // Against the floor (no GraphQL) at the same N: what the machine allows.
        p99VsFloor: floor && row.variant !== 'floor' ? round2(row.p99Ms / floor.p99Ms) : null,
        eventP99MedianVsFloor: floor && row.variant !== 'floor' ? round2(row.eventP99MedianMs / floor.eventP99MedianMs) : null,
        // Against the same path at the smallest N (how it scales).
        p99VsSmallestN: round2(row.p99Ms / smallest.p99Ms),
      };
    });
}
const round2 = (value: number) => Math.round(value * 100) / 100;

function printTable(rows: Row[]) {
  const byKey = new Map(rows.map((row) => [`${row.variant}:${row.sockets}`, row]));
  const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}×` : '');
  console.log('\nmemory: heap used + external after full collections, minus the same before the sockets, per socket');
  console.log('| path | N | p50 ms | p99 ms | max ms | missed | KB/socket | p99 vs naive | KB/socket vs naive | p99 vs floor | p99 vs smallest N | typical event\'s p99 ms (vs floor) | slow events |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const naive = row.variant === 'naive' ? undefined : byKey.get(`naive:${row.sockets}`);
    const floor = row.variant === 'floor' ? undefined : byKey.get(`floor:${row.sockets}`);
    const smallest = rows.find((each) => each.variant === row.variant)!;
    console.log(
      `| ${row.variant} | ${row.sockets} | ${fmt(row.p50Ms)} | ${fmt(row.p99Ms)} | ${fmt(row.maxMs)} | ${row.missed} | ${fmt(row.heapKbPerSocket)} | ` +
        `${ratio(row.p99Ms, naive?.p99Ms)} | ${ratio(row.heapKbPerSocket, naive?.heapKbPerSocket)} | ${ratio(row.p99Ms, floor?.p99Ms)} | ${ratio(row.p99Ms, smallest.p99Ms)} | ` +
        `${fmt(row.eventP99MedianMs)}${floor ? ` (${ratio(row.eventP99MedianMs, floor.eventP99MedianMs)})` : ''} | ${row.slowEvents} of ${row.events} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
