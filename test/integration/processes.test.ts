import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TEST_JWT_SECRET } from '../support/app.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';

// The server as `npm start` runs it: separate processes, real ports, real signals.

const children: ChildProcess[] = [];
const databases: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(databases.map((name) => dropDatabase(name)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  port: number;
  logs: string[];
}

function startServer(env: Record<string, string | undefined>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', JWT_SECRET: TEST_JWT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('')}`)), 45_000);
    const onData = (chunk: Buffer) => {
      logs.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('server ready')) continue;
        clearTimeout(timer);
        resolve({ child, port: (JSON.parse(line) as { port: number }).port, logs });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('')}`));
    });
  });
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('exit');
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGTERM');
  });
}

async function post(port: number, query: string, token?: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe('two instances on one PostgreSQL', () => {
  it('start at the same time on an empty database, migrate it once, serve, and stop gracefully', async () => {
    const name = await createDatabase('booking_instances');
    databases.push(name);
    const env = { DATABASE_URL: databaseUrl(name), REDIS_URL: inject('redisUrl') };
    const [a, b] = await Promise.all([startServer(env), startServer(env)]);

    const client = new pg.Client({ connectionString: databaseUrl(name) });
    await client.connect();
    const rows = await client.query('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL');
    await client.end();
    // Every migration in prisma/migrations, each recorded exactly once.
    const migrations = readdirSync('prisma/migrations', { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(migrations.length).toBeGreaterThanOrEqual(3);
    expect(rows.rows.map((row) => row.migration_name).sort()).toEqual(migrations);

    for (const server of [a, b]) {
      // Events count as up once the Redis subscriber connection is ready, which can follow
      // "server ready" by a moment: health is checked until then.
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${server.port}/health`)).json(), { timeout: 10_000 })
        .toMatchObject({ status: 'ok', database: { kind: 'postgresql', up: true } });
    }
    expect(await stop(a)).toBe(0);
    expect(await stop(b)).toBe(0);
  }, 90_000);
});

describe('the embedded default (no DATABASE_URL, no REDIS_URL)', () => {
  it('runs on PGlite under DATA_DIR with the demo organisations, and keeps data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'booking-embedded-'));
    dirs.push(dataDir);
    // As after `npm ci && npm start`: no JWT_SECRET, so the development key signs, with a warning.
    const env = { DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, JWT_SECRET: undefined };
    const first = await startServer(env);
    expect(first.logs.join('')).toContain('JWT_SECRET is not set: tokens are signed with the development key');
    const health = await fetch(`http://127.0.0.1:${first.port}/health`);
    expect(await health.json()).toMatchObject({ database: { kind: 'pglite', up: true }, events: { kind: 'in-process', up: true } });

    const demo = await post(first.port, '{ organization(slug: "aquababyclub") { name activities { name cancellationNoticeHours } } }');
    expect(demo.data?.organization).toMatchObject({ name: 'Aquababyclub' });

    const signUp = await post(
      first.port,
      'mutation { signUp(input: { email: "Embedded@Example.com", password: "embedded-pw", firstName: "E", lastName: "M" }) { __typename } }',
    );
    expect(signUp.data?.signUp).toEqual({ __typename: 'SignUpSuccess' });

    // The demo member books with the pack the demo data bought them: row locks, compare-and-swap
    // and the ledger trigger work on PGlite too.
    const login = await post(first.port, 'mutation { logIn(input: { email: "member@example.com", password: "demo-password" }) { ... on LogInSuccess { token } } }');
    const token = (login.data?.logIn as { token: string }).token;
    const mine = await post(
      first.port,
      '{ viewer { beneficiaries { id firstName } entitlements(usableOnly: true) { creditsRemaining offer { organization { slug } } } } organization(slug: "club-kalisport") { id } }',
      token,
    );
    const viewer = mine.data?.viewer as { beneficiaries: { id: string; firstName: string }[]; entitlements: { creditsRemaining: number; offer: { organization: { slug: string } } }[] };
    const adult = viewer.beneficiaries.find((b) => b.firstName === 'Camille')!;
    expect(viewer.entitlements.length).toBe(8); // what `memberHolds` lists in src/demo/seed.ts
    const organizationId = (mine.data?.organization as { id: string }).id;
    // Relations load by JOIN (lateral joins and JSON aggregation): PGlite answers them too.
    const schedule = await post(first.port, `{ sessions(filter: { organizationId: "${organizationId}" }, first: 1) { edges { node { id seatsLeft activity { name } venue { name } } } } }`);
    const session = (schedule.data?.sessions as { edges: { node: { id: string; seatsLeft: number; activity: { name: string }; venue: { name: string } } }[] }).edges[0]!.node;
    expect(session.activity.name).not.toBe('');
    expect(session.venue.name).not.toBe('');
    const booked = await post(
      first.port,
      `mutation { bookSession(input: { sessionId: "${session.id}", beneficiaryId: "${adult.id}" }) { __typename ... on BookSessionSuccess { booking { session { seatsLeft } entitlement { creditsRemaining } } } } }`,
      token,
    );
    expect(booked.data?.bookSession).toEqual({
      __typename: 'BookSessionSuccess',
      booking: { session: { seatsLeft: session.seatsLeft - 1 }, entitlement: { creditsRemaining: 35 } },
    });
    // The timetable from now on, before and after a restart: the restart's top-up adds nothing.
    const from = new Date().toISOString();
    const timetable = async (port: number) => {
      const ids = await post(port, '{ organization(slug: "sport-sante") { id } }');
      const organization = (ids.data?.organization as { id: string }).id;
      const page = await post(port, `{ sessions(filter: { organizationId: "${organization}", from: "${from}" }, first: 200) { edges { node { id } } } }`);
      return (page.data?.sessions as { edges: { node: { id: string } }[] }).edges.map((edge) => edge.node.id);
    };
    const before = await timetable(first.port);
    expect(before.length).toBeGreaterThan(0);
    expect(await stop(first)).toBe(0);

    const second = await startServer(env);
    expect(await timetable(second.port)).toEqual(before);
    const again = await post(
      second.port,
      'mutation { signUp(input: { email: "embedded@example.com", password: "embedded-pw", firstName: "E", lastName: "M" }) { __typename } }',
    );
    expect(again.data?.signUp).toEqual({ __typename: 'EmailTakenError' });
    expect(await stop(second)).toBe(0);
  }, 90_000);
});
