import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { logger } from '../logger.js';
import { migrate } from './migrate.js';
import { pgConnection, pgliteConnection, pgPreparedQuery } from './sql.js';

export type { PrismaClient } from '../generated/prisma/client.js';

/**
 * The one Prisma client of the process. Import it from here; it is set by `openDatabase` before
 * the server accepts anything (Pothos docs: keep the client out of the GraphQL context).
 */
export let prisma: PrismaClient;

/**
 * The driver under Prisma, on Prisma's own connections, for the few hot statements that are raw SQL
 * anyway (a booking's read and call, the login check): Prisma's handling of a raw query (its
 * parameters, its result) cost 150-300 µs of CPU a statement, several times what node-postgres
 * spends on the same statement (bench/README.md, "Where a booking's time goes"). On PostgreSQL they
 * are named prepared statements (`pgPreparedQuery`): pass fixed texts. Not for anything that
 * needs a transaction: use `prisma` there. Set by `openDatabase`.
 */
export let driverQuery: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface Database {
  kind: 'postgresql' | 'pglite';
  prisma: PrismaClient;
  /** Answers true when a trivial query succeeds. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the database the configuration names and applies pending migrations first:
 * `DATABASE_URL` set → that PostgreSQL through node-postgres; unset → PGlite under `<dataDir>/pglite`.
 */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Database> {
  const { query, ...db } = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(config.dataDir);
  prisma = db.prisma;
  driverQuery = query;
  return db;
}

type Opened = Database & { query: typeof driverQuery };

async function openPostgres(connectionString: string): Promise<Opened> {
  const migrator = new pg.Client({ connectionString });
  await migrator.connect();
  try {
    await migrate(pgConnection(migrator), logger);
  } finally {
    await migrator.end();
  }
  const pool = new pg.Pool({ connectionString, max: poolSize() });
  pool.on('error', (error) => logger.warn({ err: error }, 'an idle database connection failed'));
  const client = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: 'postgresql',
    prisma: client,
    query: pgPreparedQuery(pool),
    ping: () => ping(client),
    close: async () => {
      await client.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string): Promise<Opened> {
  const dir = join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const pglite = new PGlite(dir);
  await pglite.waitReady;
  await migrate(pgliteConnection(pglite), logger);
  const client = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma: client,
    // PGlite runs one statement at a time and waits for an open transaction to end first.
    query: pgliteConnection(pglite).query,
    ping: () => ping(client),
    close: async () => {
      await client.$disconnect();
      await pglite.close();
    },
  };
}

function poolSize(): number {
  const size = Number(process.env.DATABASE_POOL_SIZE ?? 10);
  return Number.isInteger(size) && size > 0 ? size : 10;
}

async function ping(client: PrismaClient): Promise<boolean> {
  try {
    await client.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
