import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { SqlConnection } from './sql.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

/** The advisory lock Prisma Migrate takes, so that our runner and `prisma migrate deploy` exclude each other. */
const MIGRATION_LOCK_KEY = 72707369;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies pending migrations, each in its own transaction, and records them in Prisma's
 * `_prisma_migrations` table exactly as `prisma migrate deploy` would, so that Prisma's CLI agrees
 * with this runner on machines where its native engine is available. Several instances may start
 * at once: the advisory lock makes the later ones wait, then find nothing left to do.
 */
export async function migrate(
  conn: SqlConnection,
  log: Pick<Logger, 'info' | 'warn'>,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const migrations = await readMigrations(dir);
  await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await conn.exec(`
      CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
        "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
        "checksum"              VARCHAR(64) NOT NULL,
        "finished_at"           TIMESTAMPTZ,
        "migration_name"        VARCHAR(255) NOT NULL,
        "logs"                  TEXT,
        "rolled_back_at"        TIMESTAMPTZ,
        "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
        "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
      )`);
    const rows = await conn.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `Migration ${failed.migration_name} failed earlier and was not rolled back; resolve it before starting (see prisma migrate resolve).`,
      );
    }
    const applied = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
    const known = new Set(migrations.map((m) => m.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) log.warn({ migration: name }, 'database has a migration this code does not know');
    }

    const done: string[] = [];
    for (const migration of migrations) {
      const previous = applied.get(migration.name);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          log.warn({ migration: migration.name }, 'applied migration was modified since it ran');
        }
        continue;
      }
      const id = randomUUID();
      await conn.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
        [id, migration.checksum, migration.name],
      );
      try {
        await conn.exec('BEGIN');
        await conn.exec(migration.sql);
        await conn.exec('COMMIT');
      } catch (error) {
        await conn.exec('ROLLBACK');
        const message = error instanceof Error ? error.message : String(error);
        // Rolled back as a whole, so a later start may simply try again.
        await conn.query('UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1', [
          id,
          message,
        ]);
        throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`);
      }
      await conn.query(
        'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
        [id],
      );
      log.info({ migration: migration.name }, 'migration applied');
      done.push(migration.name);
    }
    return done;
  } finally {
    await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
