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
import { pgConnection, pgliteConnection } from './sql.js';

export type { PrismaClient } from '../generated/prisma/client.js';

/**
 * The one Prisma client of the process. Import it from here; it is set by `openDatabase` before
 * the server accepts anything (Pothos docs: keep the client out of the GraphQL context).
 */
export let prisma: PrismaClient;

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
  const db = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(config.dataDir);
  prisma = db.prisma;
  return db;
}

async function openPostgres(connectionString: string): Promise<Database> {
  const migrator = new pg.Client({ connectionString });
  await migrator.connect();
  try {
    await migrate(pgConnection(migrator), logger);
  } finally {
    await migrator.end();
  }
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString, max: poolSize() }) });
  return {
    kind: 'postgresql',
    prisma: client,
    ping: () => ping(client),
    close: () => client.$disconnect(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const dir = join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const pglite = new PGlite(dir);
  await pglite.waitReady;
  await migrate(pgliteConnection(pglite), logger);
  const client = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma: client,
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
