// The API under load (issue 13): the server started as `npm start` starts it, on a throwaway
// PostgreSQL database (created and dropped by the run) and the machine's Redis, its data built
// through the API. In ONE run it measures, each as req/s, p50 and p99 and as a ratio to the floor
// of the same run:
//   floor       POST { __typename } (no login, no SQL): what the HTTP + GraphQL stack costs;
//   hot         bookSession, every member piling onto one session;
//   spread      bookSession spread over many sessions;
//   schedule    sessions(first: 200) with activity, venue, coach and seats;
//   race        200 members racing for 10 seats (exactly 10 must win, every time);
//   floor       again, to see the drift of the machine during the run;
// then, for cost growth, bookSession spread again after the database was padded (generate_series)
// to each size of BENCH_PAD existing bookings (each with its ledger entry and email).
// SQL statements per request are counted on the wire (test/support/sql-statement-counter.ts): a
// second server, started the same way but connected through the counting proxy, answers the same
// requests one at a time. The timed server talks to PostgreSQL directly.
//
//   npm run bench:api
//   BENCH_PAD=1000 BENCH_CONCURRENCY=16 npm run bench:api
//   BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:api
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabase, databaseUrl, dropDatabase } from '../test/support/global-setup.js';
import { npmStartNodeFlags } from './npm-start.js';
import { SqlStatementCounter } from '../test/support/sql-statement-counter.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const env = process.env;
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const int = (name: string, fallback: number) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not ${env[name]}`);
  return value;
};
const CONCURRENCY = int('BENCH_CONCURRENCY', 32);
const FLOOR_REQUESTS = int('BENCH_FLOOR_REQUESTS', 5_000);
const MEMBERS = int('BENCH_MEMBERS', 200);
const BENEFICIARIES_PER_MEMBER = int('BENCH_BENEFICIARIES_PER_MEMBER', 2);
const HOT_BOOKINGS = int('BENCH_HOT_BOOKINGS', 800);
const SPREAD_BOOKINGS = int('BENCH_SPREAD_BOOKINGS', 800);
const SPREAD_SESSIONS = int('BENCH_SPREAD_SESSIONS', 100);
// Booking warms up in rounds of one booking per beneficiary, at least BENCH_WARM_BOOKINGS, until
// the server's CPU a booking stops falling (two rounds in a row not 3 % below the best round so
// far), at most BENCH_WARM_BOOKINGS_MAX. With a fixed 800, the first measures still ran partly
// before V8 had optimised the booking path; with "two rounds within 5 %" after 800, the warm-up
// stopped on passing plateaus (1.23 then 1.18 ms a booking) that V8 left after 3,000-4,000
// bookings (0.8 ms), and the hot measure, the first after it, paid for the rest.
const WARM_BOOKINGS = int('BENCH_WARM_BOOKINGS', 4_000);
const WARM_BOOKINGS_MAX = Math.max(WARM_BOOKINGS, int('BENCH_WARM_BOOKINGS_MAX', 10_000));
const SCHEDULE_SESSIONS = int('BENCH_SCHEDULE_SESSIONS', 200);
const SCHEDULE_REQUESTS = int('BENCH_SCHEDULE_REQUESTS', 500);
const RACE_MEMBERS = int('BENCH_RACE_MEMBERS', 200);
const RACE_SEATS = int('BENCH_RACE_SEATS', 10);
const RACES = int('BENCH_RACES', 5);
const PAD = (env.BENCH_PAD ?? '1000,1000000').split(',').filter(Boolean).map(Number);
const COUNT_REPEAT = int('BENCH_COUNT_REPEAT', 10);
const OUT = env.BENCH_OUT ?? join(here, 'results', 'api.json');
const START_TIMEOUT_MS = 180_000;
const BENEFICIARIES = MEMBERS * BENEFICIARIES_PER_MEMBER;

if (RACE_MEMBERS > MEMBERS) throw new Error('BENCH_RACE_MEMBERS must not exceed BENCH_MEMBERS');
if (SPREAD_BOOKINGS > BENEFICIARIES * SPREAD_SESSIONS) throw new Error('BENCH_SPREAD_BOOKINGS exceeds one booking per beneficiary and session');

// ── the server, as `npm start` starts it ─────────────────────────────────────────────────────
interface Server {
  child: ChildProcess;
  port: number;
  dataDir: string;
}

function startServer(databaseUrl: string, extra: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const child = spawn(process.execPath, [...npmStartNodeFlags(), ...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      LOG_LEVEL: 'info',
      // Every client of the run comes from 127.0.0.1 and signs up hundreds of members.
      RATE_LIMIT_PER_ADDRESS: '1000000',
      RATE_LIMIT_PREFIX: `bench-api-${process.pid}`,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    let buffered = '';
    let ready = false;
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!ready && line.includes('"server ready"')) {
          ready = true;
          clearTimeout(timer);
          resolve({ child, port: (JSON.parse(line) as { port: number }).port, dataDir });
        } else if (/"level":(50|60)/.test(line)) {
          process.stderr.write(`server: ${line}\n`);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`server exited with ${code} before it was ready`));
    });
  });
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode === null) {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(server.dataDir, { recursive: true, force: true });
}

const JWT_SECRET = randomBytes(32).toString('hex');

// ── HTTP client ─────────────────────────────────────────────────────────────────────────────
const agent = new Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, RACE_MEMBERS) + 10 });
let currentPort = 0;

interface Answer {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * The last large answer parsed, with its bytes. The bench shares the server's two cores, and
 * parsing a 200-session schedule cost it more CPU (0.5 ms) than serving it cost the server: an
 * answer identical byte for byte to the last one parsed (a cached schedule, every time) is
 * answered with that parse instead, compared with `Buffer.equals`. Every answer is still checked.
 * The answers are only read, never changed.
 */
let lastLarge: { bytes: Buffer; answer: Answer } | undefined;
const LARGE_ANSWER_BYTES = 16_384;

function parseAnswer(bytes: Buffer): Answer {
  if (lastLarge && bytes.equals(lastLarge.bytes)) return lastLarge.answer;
  const answer = JSON.parse(bytes.toString('utf8')) as Answer;
  if (bytes.length >= LARGE_ANSWER_BYTES) lastLarge = { bytes, answer };
  return answer;
}

/**
 * POSTs to /graphql. A kept-alive socket the server closed as idle just as the request left it is
 * retried once (Node's documented `reusedSocket` pattern): the server never saw that request.
 */
async function post(body: string, token?: string): Promise<Answer> {
  try {
    return await postOnce(body, token);
  } catch (error) {
    if ((error as { reused?: boolean }).reused && (error as NodeJS.ErrnoException).code === 'ECONNRESET') return postOnce(body, token);
    throw error;
  }
}

function postOnce(body: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      'content-length': Buffer.byteLength(body),
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = httpRequest({ host: '127.0.0.1', port: currentPort, method: 'POST', path: '/graphql', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(parseAnswer(Buffer.concat(chunks)));
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', (error) => reject(Object.assign(error, { reused: req.reusedSocket })));
    req.end(body);
  });
}

const op = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

/** Runs a mutation and answers its success member, failing the run otherwise. */
async function mutate(query: string, variables: Record<string, unknown>, token: string | undefined, field: string, success: string) {
  const answer = await post(op(query, variables), token);
  const result = answer.data?.[field];
  if (answer.errors?.length || result?.__typename !== success) throw new Error(`${field}: ${JSON.stringify(answer)}`);
  return result;
}

async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let k = next++; k < items.length; k = next++) results[k] = await work(items[k]!, k);
    }),
  );
  return results;
}

// ── operations ──────────────────────────────────────────────────────────────────────────────
const FLOOR = op('{ __typename }');
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { __typename ... on SignUpSuccess { token viewer { id } } ... on Error { code message } } }`;
const CREATE_ORGANIZATION = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on CreateOrganizationSuccess { organization { id } } ... on Error { code message } } }`;
const CREATE_VENUE = `mutation($input: CreateVenueInput!) { createVenue(input: $input) { __typename ... on CreateVenueSuccess { venue { id } } ... on Error { code message } } }`;
const CREATE_ACTIVITY = `mutation($input: CreateActivityInput!) { createActivity(input: $input) { __typename ... on CreateActivitySuccess { activity { id } } ... on Error { code message } } }`;
const CREATE_COACH = `mutation($input: CreateCoachInput!) { createCoach(input: $input) { __typename ... on CreateCoachSuccess { coach { id } } ... on Error { code message } } }`;
const SCHEDULE_SESSION = `mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { __typename ... on ScheduleSessionSuccess { session { id } } ... on Error { code message } } }`;
const ADD_BENEFICIARY = `mutation($input: AddBeneficiaryInput!) { addBeneficiary(input: $input) { __typename ... on AddBeneficiarySuccess { beneficiary { id } } ... on Error { code message } } }`;
const CREATE_OFFER = `mutation($input: CreateOfferInput!) { createOffer(input: $input) { __typename ... on CreateOfferSuccess { offer { id } } ... on Error { code message } } }`;
const PURCHASE_OFFER = `mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { __typename ... on PurchaseOfferSuccess { order { id status amountDue { amountCents } } } ... on Error { code message } } }`;
const RECORD_PAYMENT = `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename ... on RecordPaymentSuccess { order { id status } } ... on Error { code message } } }`;
const BOOK_SESSION = `mutation BenchBook($input: BookSessionInput!) { bookSession(input: $input) { __typename ... on BookSessionSuccess { booking { id status } } ... on Error { code message } } }`;
const SCHEDULE = `query BenchSchedule($venueId: ID!) {
  sessions(filter: { venueId: $venueId }, first: 200) {
    edges { cursor node { id startsAt endsAt capacity seatsLeft waitlistLength status
      activity { id name } venue { id name city } coach { id displayName } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Member {
  id: string;
  token: string;
  beneficiaryIds: string[];
}

interface World {
  adminToken: string;
  organizationId: string;
  activityId: string;
  venueId: string;
  scheduleVenueId: string;
  coachId: string;
  members: Member[];
  /** Every beneficiary with its member's token. */
  beneficiaries: { id: string; token: string }[];
}

let nextStart = Date.now() + 3 * 86_400_000;
/** A distinct start time per session (an hour apart), from three days ahead. */
function nextSlot(): { startsAt: string; endsAt: string } {
  nextStart += 3_600_000;
  return { startsAt: new Date(nextStart).toISOString(), endsAt: new Date(nextStart + 3_000_000).toISOString() };
}

async function scheduleSessions(world: World, count: number, capacity: number, venueId = world.venueId, coachId?: string): Promise<string[]> {
  const slots = Array.from({ length: count }, () => nextSlot());
  return inParallel(slots, 4, async (slot) =>
    (
      await mutate(
        SCHEDULE_SESSION,
        { input: { activityId: world.activityId, venueId, ...slot, capacity, ...(coachId ? { coachId } : {}) } },
        world.adminToken,
        'scheduleSession',
        'ScheduleSessionSuccess',
      )
    ).session.id as string,
  );
}

async function buildWorld(credits: number): Promise<World> {
  const signUp = async (k: number) => {
    const result = await mutate(
      SIGN_UP,
      { input: { email: `bench-${k}-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery', firstName: 'Ada', lastName: 'Bench' } },
      undefined,
      'signUp',
      'SignUpSuccess',
    );
    return { id: result.viewer.id as string, token: result.token as string };
  };
  const owner = await signUp(-1);
  const adminToken = owner.token;
  const organizationId = (
    await mutate(CREATE_ORGANIZATION, { input: { name: 'Bench club', slug: `bench-${randomBytes(4).toString('hex')}`, timeZone: 'Europe/Paris' } }, adminToken, 'createOrganization', 'CreateOrganizationSuccess')
  ).organization.id;
  const venue = (name: string) =>
    mutate(
      CREATE_VENUE,
      { input: { organizationId, name, address: '1 rue de l’Eau', city: 'Paris', latitude: 48.85, longitude: 2.35 } },
      adminToken,
      'createVenue',
      'CreateVenueSuccess',
    ).then((result) => result.venue.id as string);
  const venueId = await venue('Pool');
  const scheduleVenueId = await venue('Schedule hall');
  const activityId = (
    await mutate(CREATE_ACTIVITY, { input: { organizationId, name: 'Aquagym', audience: 'ADULT', cancellationNoticeHours: 4 } }, adminToken, 'createActivity', 'CreateActivitySuccess')
  ).activity.id;
  const coachId = (await mutate(CREATE_COACH, { input: { organizationId, displayName: 'Coach Bench' } }, adminToken, 'createCoach', 'CreateCoachSuccess')).coach.id;
  const offerId = (
    await mutate(
      CREATE_OFFER,
      { input: { organizationId, kind: 'PACK', name: 'Bench pack', priceCents: 10_000, credits, validityDays: 365, period: null, activityIds: [] } },
      adminToken,
      'createOffer',
      'CreateOfferSuccess',
    )
  ).offer.id;
  const members: Member[] = await inParallel(
    Array.from({ length: MEMBERS }, (_, k) => k),
    4,
    async (k) => {
      const member = await signUp(k);
      const beneficiaryIds: string[] = [];
      for (let b = 0; b < BENEFICIARIES_PER_MEMBER; b++) {
        const id = (
          await mutate(ADD_BENEFICIARY, { input: { firstName: `B${b}`, lastName: 'Bench', birthDate: '1990-05-17' } }, member.token, 'addBeneficiary', 'AddBeneficiarySuccess')
        ).beneficiary.id as string;
        const order = (await mutate(PURCHASE_OFFER, { input: { offerId, beneficiaryId: id } }, member.token, 'purchaseOffer', 'PurchaseOfferSuccess')).order;
        await mutate(RECORD_PAYMENT, { input: { orderId: order.id, method: 'CASH', amountCents: order.amountDue.amountCents } }, adminToken, 'recordPayment', 'RecordPaymentSuccess');
        beneficiaryIds.push(id);
      }
      return { ...member, beneficiaryIds };
    },
  );
  const beneficiaries = members.flatMap((member) => member.beneficiaryIds.map((id) => ({ id, token: member.token })));
  return { adminToken, organizationId, activityId, venueId, scheduleVenueId, coachId, members, beneficiaries };
}

// ── load ────────────────────────────────────────────────────────────────────────────────────
interface Measure {
  name: string;
  requests: number;
  concurrency: number;
  seconds: number;
  reqPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers other than the expected one (errors, wrong typename): the run fails if any. */
  unexpected: number;
  ratioToFloor?: number;
  statementsPerRequest?: number;
  /**
   * CPU time per request (ms) of the server process, of every PostgreSQL process, and of this bench
   * (Linux /proc; absent elsewhere). `postgresBackground` is the part of `postgres` spent by
   * PostgreSQL's own processes (checkpointer, background and WAL writers, autovacuum), not by the
   * backends that serve queries.
   */
  cpuMsPerRequest?: { server: number; postgres: number; postgresBackground: number; bench: number };
  /** WAL written per request (pg_stat_wal, the whole PostgreSQL server): bytes, and full-page images. */
  walPerRequest?: { bytes: number; fullPageImages: number };
  notes?: string;
}

// ── where the CPU goes: the server, PostgreSQL and this client share the machine's cores ─────────
let currentServerPid: number | undefined;
const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ: 100 on Linux
const HAS_PROC = existsSync('/proc/self/stat');

/** utime + stime of a process, in ms (0 when it is gone or /proc is not there). */
function processCpuMs(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS;
  } catch {
    return 0;
  }
}

/** PostgreSQL's own processes, by the title each gives itself (`postgres: 15/main: checkpointer`). */
const POSTGRES_BACKGROUND = /: (checkpointer|background writer|walwriter|autovacuum|logical replication|archiver|stats collector|startup|walsender|walreceiver)/;

/** CPU of every PostgreSQL process by pid (backends come and go: a measure counts each one's own growth). */
function postgresCpuMs(): Map<string, { ms: number; background: boolean }> {
  const byPid = new Map<string, { ms: number; background: boolean }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      byPid.set(pid, { ms: processCpuMs(pid), background: POSTGRES_BACKGROUND.test(title) });
    } catch {
      // gone meanwhile
    }
  }
  return byPid;
}

type CpuSample = { server: number; postgres: Map<string, { ms: number; background: boolean }>; bench: number } | null;

function sampleCpu(): CpuSample {
  if (currentServerPid === undefined || !HAS_PROC) return null;
  const own = process.cpuUsage();
  return { server: processCpuMs(currentServerPid), postgres: postgresCpuMs(), bench: (own.user + own.system) / 1000 };
}

/** What the processes spent between two samples (a PostgreSQL process that ended meanwhile is not counted). */
function cpuSpent(before: NonNullable<CpuSample>, after: NonNullable<CpuSample>): { server: number; postgres: number; postgresBackground: number; bench: number } {
  let postgres = 0;
  let postgresBackground = 0;
  for (const [pid, { ms, background }] of after.postgres) {
    const spent = Math.max(0, ms - (before.postgres.get(pid)?.ms ?? 0));
    postgres += spent;
    if (background) postgresBackground += spent;
  }
  return { server: after.server - before.server, postgres, postgresBackground, bench: after.bench - before.bench };
}

function cpuPerRequest(before: CpuSample, requests: number): Measure['cpuMsPerRequest'] {
  const after = sampleCpu();
  if (!before || !after || requests === 0) return undefined;
  const spent = cpuSpent(before, after);
  return {
    server: round(spent.server / requests, 2),
    postgres: round(spent.postgres / requests, 2),
    postgresBackground: round(spent.postgresBackground / requests, 2),
    bench: round(spent.bench / requests, 2),
  };
}

// ── what PostgreSQL writes: WAL bytes and full-page images (pg_stat_wal, server-wide) ──────────────
let walReader: pg.Client | undefined;

async function sampleWal(): Promise<{ bytes: number; fullPageImages: number } | null> {
  if (!walReader) return null;
  const { rows } = await walReader.query<{ bytes: string; fpi: string }>('SELECT wal_bytes::text AS bytes, wal_fpi::text AS fpi FROM pg_stat_wal');
  return { bytes: Number(rows[0]!.bytes), fullPageImages: Number(rows[0]!.fpi) };
}

async function walPerRequest(before: { bytes: number; fullPageImages: number } | null, requests: number): Promise<Measure['walPerRequest']> {
  const after = await sampleWal();
  if (!before || !after || requests === 0) return undefined;
  return { bytes: Math.round((after.bytes - before.bytes) / requests), fullPageImages: round((after.fullPageImages - before.fullPageImages) / requests, 2) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Sends `total` requests, `concurrency` at a time; `request(k)` gives the k-th body and token. */
async function load(
  name: string,
  total: number,
  concurrency: number,
  request: (k: number) => { body: string; token?: string },
  expected: (answer: Answer) => boolean,
): Promise<Measure> {
  const latencies: number[] = [];
  let unexpected = 0;
  let firstUnexpected: string | undefined;
  const wal = await sampleWal();
  const cpu = sampleCpu();
  const started = performance.now();
  await inParallel(
    Array.from({ length: total }, (_, k) => k),
    concurrency,
    async (k) => {
      const { body, token } = request(k);
      const sent = performance.now();
      const answer = await post(body, token);
      latencies.push(performance.now() - sent);
      if (!expected(answer)) {
        unexpected += 1;
        firstUnexpected ??= JSON.stringify(answer).slice(0, 300);
      }
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (firstUnexpected) console.error(`${name}: ${unexpected} unexpected answers, first: ${firstUnexpected}`);
  const cpuMsPerRequest = cpuPerRequest(cpu, total);
  return { ...summary(name, latencies, seconds, concurrency, unexpected), cpuMsPerRequest, walPerRequest: await walPerRequest(wal, total) };
}

function summary(name: string, latencies: number[], seconds: number, concurrency: number, unexpected: number): Measure {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    concurrency,
    seconds: round(seconds, 2),
    reqPerSecond: round(latencies.length / seconds, 1),
    p50Ms: round(percentile(sorted, 50), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    maxMs: round(sorted.at(-1) ?? Number.NaN, 1),
    unexpected,
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const booked = (answer: Answer) => answer.data?.bookSession?.__typename === 'BookSessionSuccess';
const bookBody = (sessionId: string, beneficiaryId: string) => op(BOOK_SESSION, { input: { sessionId, beneficiaryId } });

/** The k-th spread booking: beneficiary k mod B, and for each beneficiary a different session every round. */
function spreadPair(world: World, sessions: string[], k: number) {
  const b = k % world.beneficiaries.length;
  const beneficiary = world.beneficiaries[b]!;
  return { sessionId: sessions[(b + Math.floor(k / world.beneficiaries.length)) % sessions.length]!, ...beneficiary };
}

/** 200 members at once for 10 seats, `RACES` times on fresh sessions: exactly RACE_SEATS win each. */
async function races(world: World): Promise<Measure> {
  const latencies: number[] = [];
  let unexpected = 0;
  let seconds = 0;
  const cpu = { server: 0, postgres: 0, postgresBackground: 0, bench: 0 };
  for (let race = 0; race < RACES; race++) {
    const [sessionId] = await scheduleSessions(world, 1, RACE_SEATS);
    const before = sampleCpu();
    const racers = world.members.slice(0, RACE_MEMBERS);
    const started = performance.now();
    const answers = await Promise.all(
      racers.map(async (member) => {
        const sent = performance.now();
        const answer = await post(bookBody(sessionId!, member.beneficiaryIds[0]!), member.token);
        latencies.push(performance.now() - sent);
        return answer;
      }),
    );
    seconds += (performance.now() - started) / 1000;
    const spent = cpuPerRequest(before, 1);
    if (spent) for (const key of ['server', 'postgres', 'postgresBackground', 'bench'] as const) cpu[key] += spent[key];
    const winners = answers.filter(booked).length;
    const full = answers.filter((answer) => answer.data?.bookSession?.code === 'SESSION_FULL').length;
    if (winners !== RACE_SEATS || full !== RACE_MEMBERS - RACE_SEATS) {
      unexpected += 1;
      console.error(`race ${race}: ${winners} won and ${full} were told SESSION_FULL (expected ${RACE_SEATS} and ${RACE_MEMBERS - RACE_SEATS})`);
    }
  }
  const cpuMsPerRequest =
    sampleCpu() && latencies.length
      ? {
          server: round(cpu.server / latencies.length, 2),
          postgres: round(cpu.postgres / latencies.length, 2),
          postgresBackground: round(cpu.postgresBackground / latencies.length, 2),
          bench: round(cpu.bench / latencies.length, 2),
        }
      : undefined;
  return { ...summary(`race: ${RACE_MEMBERS} members for ${RACE_SEATS} seats (×${RACES})`, latencies, seconds, RACE_MEMBERS, unexpected), cpuMsPerRequest, notes: `${RACE_SEATS} winners every race: ${unexpected === 0}` };
}

// ── padding (cost growth) ───────────────────────────────────────────────────────────────────
/**
 * Pads the database to `target` bookings with generate_series: past sessions of ten bookings,
 * each booking ATTENDED with its DEBIT ledger entry and its SENT confirmation email. Triggers are
 * off while padding (session_replication_role = replica) so the ledger does not move balances:
 * the rows are history, as a club's years of bookings would be.
 */
/** Until no email due is pending in the outbox (the server's timer sends them), at most two minutes. */
async function emailsSent(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const { rows } = await client.query<{ pending: number }>(`SELECT count(*)::int AS "pending" FROM "OutboxEmail" WHERE "status" = 'PENDING' AND "nextAttemptAt" <= now()`);
      if (rows[0]!.pending === 0) return;
      if (performance.now() > deadline) throw new Error(`${rows[0]!.pending} emails still pending after two minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

async function pad(url: string, world: World, target: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const existing = Number((await client.query('SELECT count(*) AS n FROM "Booking"')).rows[0].n);
    const missing = target - existing;
    if (missing <= 0) return existing;
    const sessions = Math.ceil(missing / 10);
    await client.query('SET session_replication_role = replica');
    await client.query(`CREATE TEMP TABLE bench_beneficiary AS
      SELECT row_number() OVER (ORDER BY b."id") - 1 AS k, b."id", b."memberId", e."id" AS "entitlementId"
        FROM "Beneficiary" b JOIN LATERAL (SELECT "id" FROM "Entitlement" WHERE "beneficiaryId" = b."id" LIMIT 1) e ON true`);
    const beneficiaries = Number((await client.query('SELECT count(*) AS n FROM bench_beneficiary')).rows[0].n);
    await client.query(
      `CREATE TEMP TABLE bench_session AS
         SELECT s AS k, gen_random_uuid() AS id, now() - make_interval(hours => s + 1) AS "startsAt" FROM generate_series(0, $1::int - 1) s`,
      [sessions],
    );
    await client.query(
      `INSERT INTO "Session" ("id", "organizationId", "activityId", "venueId", "startsAt", "endsAt", "capacity", "seatsTaken", "status")
       SELECT id, $1::uuid, $2::uuid, $3::uuid, "startsAt", "startsAt" + interval '50 minutes', 10, 10, 'SCHEDULED' FROM bench_session`,
      [uuidOf(world.organizationId), uuidOf(world.activityId), uuidOf(world.venueId)],
    );
    await client.query(
      `CREATE TEMP TABLE bench_booking AS
         SELECT gen_random_uuid() AS id, s.id AS "sessionId", s."startsAt", b.id AS "beneficiaryId", b."memberId", b."entitlementId", n
           FROM generate_series(0, $1::int - 1) n
           JOIN bench_session s ON s.k = n / 10
           JOIN bench_beneficiary b ON b.k = ((n / 10) * 10 + n % 10) % $2::int`,
      [missing, beneficiaries],
    );
    await client.query(
      `INSERT INTO "Booking" ("id", "organizationId", "sessionId", "beneficiaryId", "memberId", "entitlementId", "status", "createdAt", "attendanceAt")
       SELECT id, $1::uuid, "sessionId", "beneficiaryId", "memberId", "entitlementId", 'ATTENDED', "startsAt" - interval '2 days', "startsAt" FROM bench_booking`,
      [uuidOf(world.organizationId)],
    );
    await client.query(
      `INSERT INTO "CreditLedgerEntry" ("id", "entitlementId", "delta", "reason", "bookingId", "createdAt")
       SELECT gen_random_uuid(), "entitlementId", -1, 'DEBIT', id, "startsAt" - interval '2 days' FROM bench_booking`,
    );
    await client.query(
      `INSERT INTO "OutboxEmail" ("id", "organizationId", "toAddress", "template", "payload", "status", "attempts", "dedupeKey", "sentAt", "nextAttemptAt", "createdAt")
       SELECT gen_random_uuid(), $1::uuid, 'padding@example.com', 'booking-confirmed', '{}', 'SENT', 1, 'booking-confirmed:' || id, "startsAt" - interval '2 days', "startsAt" - interval '2 days', "startsAt" - interval '2 days' FROM bench_booking`,
      [uuidOf(world.organizationId)],
    );
    await client.query('SET session_replication_role = DEFAULT');
    await client.query('VACUUM ANALYZE');
    // A club's history was written long ago: its pages are on disk and PostgreSQL's buffers are
    // clean. Without this, the first bookings after the padding pay for writing out its dirty
    // buffers (a backend that needs a buffer writes the dirty one it evicts).
    await client.query('CHECKPOINT');
    return Number((await client.query('SELECT count(*) AS n FROM "Booking"')).rows[0].n);
  } finally {
    await client.end();
  }
}

/** The database uuid of a global ID (base64 of "Type:uuid"). */
function uuidOf(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
}

// ── statement counts ────────────────────────────────────────────────────────────────────────
/** Sends each request alone to the counted server; answers the statements of the last `COUNT_REPEAT` per request. */
async function countStatements(counter: SqlStatementCounter, requests: { body: string; token?: string }[], expected: (answer: Answer) => boolean) {
  // The first request warms the server up (connections, caches); it is not counted.
  const [first, ...rest] = requests;
  await post(first!.body, first!.token);
  counter.take();
  let statements: string[] = [];
  let count = 0;
  for (const request of rest) {
    const counted = await counter.during(async () => {
      const answer = await post(request.body, request.token);
      if (!expected(answer)) throw new Error(`unexpected answer while counting: ${JSON.stringify(answer).slice(0, 300)}`);
    });
    count += counted.count;
    statements = counted.statements;
  }
  return { perRequest: round(count / rest.length, 2), example: statements };
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────
const hotSessions = Math.ceil(HOT_BOOKINGS / BENEFICIARIES);
const spreadRounds = Math.ceil(SPREAD_BOOKINGS / BENEFICIARIES);
/** Credits each beneficiary needs: warm-up, counts, hot, spread (once, then twice per padded size), races. */
const warmSessions = Math.ceil(WARM_BOOKINGS_MAX / BENEFICIARIES);
const CREDITS = 2 + 2 + warmSessions + hotSessions + spreadRounds * Math.max(1, 2 * PAD.length - 1) + RACES + 10;

// A throwaway database on TEST_DATABASE_ADMIN_URL's server, as the tests make them.
const databaseName = await createDatabase('bench_api');
const url = databaseUrl(databaseName);
const results: { measures: Measure[]; counts: Record<string, { perRequest: number; example: string[] }>; growth: Measure[]; warmUpServerMs: number[] } = {
  measures: [],
  counts: {},
  growth: [],
  /** The server's CPU a booking in each warm-up round (one booking per beneficiary). */
  warmUpServerMs: [],
};
let server: Server | undefined;
let counter: SqlStatementCounter | undefined;
const runStarted = performance.now();
try {
  // 1. The counted server (through the wire counter, no job timer) builds the data and counts.
  counter = await SqlStatementCounter.start(url);
  server = await startServer(counter.url, { JOB_INTERVAL_MS: '0' });
  currentPort = server.port;
  console.log(`building ${MEMBERS} members with ${BENEFICIARIES_PER_MEMBER} beneficiaries and ${CREDITS} credits each…`);
  const world = await buildWorld(CREDITS);
  await scheduleSessions(world, SCHEDULE_SESSIONS, 20, world.scheduleVenueId, world.coachId);
  console.log(`built in ${round((performance.now() - runStarted) / 1000, 1)} s; counting statements…`);
  const [countHot] = await scheduleSessions(world, 1, 10_000);
  const countSpread = await scheduleSessions(world, COUNT_REPEAT + 1, 10_000);
  const countBeneficiaries = world.beneficiaries.slice(0, COUNT_REPEAT + 1);
  results.counts.floor = await countStatements(counter, Array.from({ length: COUNT_REPEAT + 1 }, () => ({ body: FLOOR })), (a) => a.data?.__typename === 'Query');
  results.counts.hot = await countStatements(
    counter,
    countBeneficiaries.map((b) => ({ body: bookBody(countHot!, b.id), token: b.token })),
    booked,
  );
  results.counts.spread = await countStatements(
    counter,
    countSpread.map((sessionId, k) => ({ body: bookBody(sessionId, world.beneficiaries[(k + COUNT_REPEAT + 1) % world.beneficiaries.length]!.id), token: world.beneficiaries[(k + COUNT_REPEAT + 1) % world.beneficiaries.length]!.token })),
    booked,
  );
  // Anonymous schedules are answered from the response cache (src/response-cache.ts) once asked:
  // `schedule` counts the same request again and again (what the timed run sends), and
  // `scheduleUncached` a new one each time (an unused variable makes each key new), as after
  // every change of a session.
  results.counts.schedule = await countStatements(
    counter,
    Array.from({ length: COUNT_REPEAT + 1 }, () => ({ body: op(SCHEDULE, { venueId: world.scheduleVenueId }) })),
    (a) => a.data?.sessions?.edges?.length === Math.min(200, SCHEDULE_SESSIONS),
  );
  results.counts.scheduleUncached = await countStatements(
    counter,
    Array.from({ length: COUNT_REPEAT + 1 }, (_, k) => ({ body: op(SCHEDULE, { venueId: world.scheduleVenueId, uncached: k }) })),
    (a) => a.data?.sessions?.edges?.length === Math.min(200, SCHEDULE_SESSIONS),
  );
  await stopServer(server);
  server = undefined;
  await counter.close();
  counter = undefined;

  // 2. The timed server, connected straight to PostgreSQL.
  const prePadded = PAD.length > 0 ? await pad(url, world, PAD[0]!) : 0;
  const nodeArgs = env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? [];
  server = await startServer(url, {}, nodeArgs);
  currentPort = server.port;
  currentServerPid = server.child.pid;
  walReader = new pg.Client({ connectionString: url });
  await walReader.connect();
  const hot = await scheduleSessions(world, hotSessions, BENEFICIARIES);
  // One set of sessions for the spread measure, then two for each padded size (first, then again).
  const spreadSets = await Promise.all(Array.from({ length: Math.max(1, 2 * PAD.length - 1) }, () => scheduleSessions(world, SPREAD_SESSIONS, 10_000)));
  const warm = await scheduleSessions(world, warmSessions, BENEFICIARIES);
  // Warm-up, not measured: compilation, connections, caches.
  await load('warm-up floor', 2_000, CONCURRENCY, () => ({ body: FLOOR }), () => true);
  const warmRounds = results.warmUpServerMs;
  for (let round = 0; round < warmSessions; round++) {
    const measured = await load('warm-up booking', BENEFICIARIES, CONCURRENCY, (k) => {
      const beneficiary = world.beneficiaries[k]!;
      return { body: bookBody(warm[round]!, beneficiary.id), token: beneficiary.token };
    }, booked);
    const serverMs = measured.cpuMsPerRequest?.server;
    if (serverMs === undefined) {
      if ((round + 1) * BENEFICIARIES >= WARM_BOOKINGS) break;
      continue;
    }
    warmRounds.push(serverMs);
    const best = Math.min(...warmRounds.slice(0, -2));
    const settled = warmRounds.length > 2 && warmRounds.slice(-2).every((ms) => ms > 0.97 * best);
    if ((round + 1) * BENEFICIARIES >= WARM_BOOKINGS && settled) break;
  }
  console.log(`booking warmed up with ${warmRounds.length * BENEFICIARIES || WARM_BOOKINGS} bookings (server ms a booking, by round: ${warmRounds.join(', ') || 'not measured'})`);
  await load('warm-up schedule', 20, 4, () => ({ body: op(SCHEDULE, { venueId: world.scheduleVenueId }) }), () => true);
  // The emails of the data built and of the warm-up are the server's job timer's to send (every
  // JOB_INTERVAL_MS, 10 s): sent now, before the measures, rather than in whichever one the timer
  // lands in. The measured bookings' own emails are sent as they fall due, as in production.
  const drained = performance.now();
  await emailsSent(url);
  console.log(`emails of the set-up sent in ${round((performance.now() - drained) / 1000, 1)} s`);

  const measures: Measure[] = [];
  measures.push(await load('floor { __typename }', FLOOR_REQUESTS, CONCURRENCY, () => ({ body: FLOOR }), (a) => a.data?.__typename === 'Query'));
  measures.push({
    ...(await load('bookSession, one hot session', HOT_BOOKINGS, CONCURRENCY, (k) => {
      const beneficiary = world.beneficiaries[k % BENEFICIARIES]!;
      return { body: bookBody(hot[Math.floor(k / BENEFICIARIES)]!, beneficiary.id), token: beneficiary.token };
    }, booked)),
    statementsPerRequest: results.counts.hot!.perRequest,
  });
  measures.push({
    ...(await load(`bookSession, spread over ${SPREAD_SESSIONS} sessions`, SPREAD_BOOKINGS, CONCURRENCY, (k) => {
      const pair = spreadPair(world, spreadSets[0]!, k);
      return { body: bookBody(pair.sessionId, pair.id), token: pair.token };
    }, booked)),
    statementsPerRequest: results.counts.spread!.perRequest,
    notes: `${prePadded} bookings in the database before`,
  });
  measures.push({
    ...(await load(`sessions(first: 200) of ${SCHEDULE_SESSIONS}`, SCHEDULE_REQUESTS, CONCURRENCY, () => ({ body: op(SCHEDULE, { venueId: world.scheduleVenueId }) }), (a) => a.data?.sessions?.edges?.length === Math.min(200, SCHEDULE_SESSIONS))),
    statementsPerRequest: results.counts.schedule!.perRequest,
  });
  measures.push(await races(world));
  measures.push(await load('floor again', FLOOR_REQUESTS, CONCURRENCY, () => ({ body: FLOOR }), (a) => a.data?.__typename === 'Query'));
  const floor = Math.max(measures[0]!.reqPerSecond, measures.at(-1)!.reqPerSecond);
  for (const measure of measures) measure.ratioToFloor = round(measure.reqPerSecond / floor, 3);
  results.measures = measures;
  print('API under load', measures);
  print('statements per request (on the wire)', Object.entries(results.counts).map(([name, count]) => ({ name, perRequest: count.perRequest })));

  // 3. Cost growth: the same spread booking at each padded size, with its floor. Twice: the first
  //    bookings after the padding are each the first write to many index pages since the
  //    checkpoint (a full-page image in the WAL for each: the beneficiaries' and members' pages of
  //    a large index are many), which the bookings at the small size paid in their warm-up. The
  //    second measure has had the same warm-up as the small size's, and is the one to compare.
  for (let k = 1; k < PAD.length; k++) {
    const started = performance.now();
    const padded = await pad(url, world, PAD[k]!);
    console.log(`padded to ${padded} bookings in ${round((performance.now() - started) / 1000, 1)} s`);
    const floorNow = await load(`floor at ${padded} bookings`, FLOOR_REQUESTS, CONCURRENCY, () => ({ body: FLOOR }), (a) => a.data?.__typename === 'Query');
    floorNow.ratioToFloor = 1;
    results.growth.push(floorNow);
    for (const [name, sessions] of [
      [`bookSession spread at ${padded} bookings, first after the padding`, spreadSets[2 * k - 1]!],
      [`bookSession spread at ${padded} bookings`, spreadSets[2 * k]!],
    ] as const) {
      const spread = await load(name, SPREAD_BOOKINGS, CONCURRENCY, (k2) => {
        const pair = spreadPair(world, sessions, k2);
        return { body: bookBody(pair.sessionId, pair.id), token: pair.token };
      }, booked);
      spread.ratioToFloor = round(spread.reqPerSecond / floorNow.reqPerSecond, 3);
      results.growth.push(spread);
    }
  }
  if (PAD.length > 1) {
    const base = measures[2]!;
    print('cost growth: bookSession spread', [{ ...base, name: `${base.name} at ${prePadded} bookings` }, ...results.growth]);
  }
} finally {
  if (server) await stopServer(server);
  if (counter) await counter.close();
  await walReader?.end();
  agent.destroy();
  if (!env.KEEP_BENCH_DATABASE) await dropDatabase(databaseName);
}

function print(title: string, rows: Partial<Measure>[]) {
  console.log(`\n${title}`);
  console.table(
    rows.map((row) => ({
      request: row.name,
      ...(row.reqPerSecond !== undefined ? { 'req/s': row.reqPerSecond, p50: row.p50Ms, p99: row.p99Ms, 'vs floor': row.ratioToFloor } : {}),
      ...(row.statementsPerRequest !== undefined ? { statements: row.statementsPerRequest } : {}),
      ...(row.cpuMsPerRequest ? { 'server ms': row.cpuMsPerRequest.server, 'pg ms': row.cpuMsPerRequest.postgres, 'pg bg ms': row.cpuMsPerRequest.postgresBackground, 'bench ms': row.cpuMsPerRequest.bench } : {}),
      ...(row.walPerRequest ? { 'WAL B': row.walPerRequest.bytes, FPI: row.walPerRequest.fullPageImages } : {}),
      ...('perRequest' in row ? { statements: (row as { perRequest: number }).perRequest } : {}),
      ...(row.unexpected ? { unexpected: row.unexpected } : {}),
    })),
  );
}

const failures = [...results.measures, ...results.growth].filter((measure) => measure.unexpected > 0);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGb: round(totalmem() / 2 ** 30, 1), loadavg: loadavg().map((v) => round(v, 2)) },
      settings: { CONCURRENCY, FLOOR_REQUESTS, WARM_BOOKINGS, WARM_BOOKINGS_MAX, MEMBERS, BENEFICIARIES_PER_MEMBER, HOT_BOOKINGS, SPREAD_BOOKINGS, SPREAD_SESSIONS, SCHEDULE_SESSIONS, SCHEDULE_REQUESTS, RACE_MEMBERS, RACE_SEATS, RACES, PAD },
      seconds: round((performance.now() - runStarted) / 1000, 1),
      ...results,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwritten to ${OUT} (${round((performance.now() - runStarted) / 1000, 1)} s in all)`);
if (failures.length > 0) {
  console.error(`unexpected answers in: ${failures.map((measure) => measure.name).join(', ')}`);
  process.exitCode = 1;
}
