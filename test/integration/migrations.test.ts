import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../src/db/migrate.js';
import { pgConnection } from '../../src/db/sql.js';
import { schemaSql } from '../../scripts/schema-sql.mjs';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';

const quiet = { info: () => {}, warn: () => {} };
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = await createDatabase('booking_migrations');
  created.push(name);
  return databaseUrl(name);
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

interface CatalogItem {
  kind: 'column' | 'enum' | 'index' | 'constraint' | 'trigger' | 'function';
  key: string;
  definition: string;
}

/** Everything that defines the public schema, as comparable lines. */
async function catalog(client: pg.Client): Promise<CatalogItem[]> {
  const items: CatalogItem[] = [];
  const columns = await client.query(`
    SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
           character_maximum_length, numeric_precision, datetime_precision
      FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
  for (const c of columns.rows) {
    items.push({ kind: 'column', key: `${c.table_name}.${c.column_name}`, definition: JSON.stringify(c) });
  }
  const enums = await client.query(`
    SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
      JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' GROUP BY t.typname`);
  for (const e of enums.rows) items.push({ kind: 'enum', key: e.typname, definition: e.labels.join(',') });
  const indexes = await client.query(`
    SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`);
  for (const i of indexes.rows) items.push({ kind: 'index', key: i.indexname, definition: i.indexdef });
  const constraints = await client.query(`
    SELECT conrelid::regclass::text AS tbl, conname, contype, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'`);
  for (const c of constraints.rows) {
    items.push({ kind: 'constraint', key: `${c.tbl}.${c.conname}`, definition: `${c.contype} ${c.def}` });
  }
  const triggers = await client.query(`
    SELECT tgrelid::regclass::text AS tbl, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal`);
  for (const t of triggers.rows) items.push({ kind: 'trigger', key: `${t.tbl}.${t.tgname}`, definition: t.def });
  const functions = await client.query(`
    SELECT p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`);
  for (const f of functions.rows) items.push({ kind: 'function', key: f.proname, definition: f.def });
  return items;
}

/** Objects Prisma's schema language cannot express, which the invariants migration may add. */
function isAllowedExtra(item: CatalogItem): boolean {
  if (item.kind === 'trigger' || item.kind === 'function') return true;
  if (item.kind === 'constraint') return item.definition.startsWith('c ');
  if (item.kind === 'index') return / WHERE /.test(item.definition);
  return false;
}

afterAll(async () => {
  await Promise.all(created.map((name) => dropDatabase(name)));
});

describe('migrations and schema.prisma', () => {
  let fromMigrations: CatalogItem[];
  let fromSchema: CatalogItem[];

  beforeAll(async () => {
    const migrated = await freshDatabase();
    await withClient(migrated, (client) => migrate(pgConnection(client), quiet));
    fromMigrations = await withClient(migrated, catalog);

    const target = await freshDatabase();
    const sql = schemaSql();
    await withClient(target, (client) => client.query(sql));
    fromSchema = await withClient(target, catalog);
  }, 120_000);

  it('build exactly the tables, columns, enums, indexes and foreign keys schema.prisma describes', () => {
    const migratedByKey = new Map(fromMigrations.map((item) => [`${item.kind} ${item.key}`, item.definition]));
    const missingOrDifferent = fromSchema
      .filter((item) => migratedByKey.get(`${item.kind} ${item.key}`) !== item.definition)
      .map((item) => `${item.kind} ${item.key}: expected ${item.definition}, migrations give ${migratedByKey.get(`${item.kind} ${item.key}`)}`);
    expect(missingOrDifferent).toEqual([]);
    expect(fromSchema.filter((item) => item.kind === 'column').length).toBeGreaterThan(100);
  });

  it('add on top only CHECK constraints, partial indexes and triggers (the invariants)', () => {
    const schemaKeys = new Set(fromSchema.map((item) => `${item.kind} ${item.key}`));
    const extras = fromMigrations.filter((item) => !schemaKeys.has(`${item.kind} ${item.key}`));
    expect(extras.filter((item) => !isAllowedExtra(item)).map((item) => `${item.kind} ${item.key}`)).toEqual([]);
    const extraKeys = extras.map((item) => item.key);
    expect(extraKeys).toContain('Booking_active_per_session_key');
    expect(extraKeys).toContain('"Entitlement".Entitlement_creditsRemaining_check');
    expect(extraKeys).toContain('"CreditLedgerEntry".CreditLedgerEntry_append_only');
  });
});

describe('the migration runner', () => {
  it('records each migration in Prisma’s _prisma_migrations format, with its checksum', async () => {
    const url = await freshDatabase();
    const applied = await withClient(url, (client) => migrate(pgConnection(client), quiet));
    const files = await readMigrations();
    expect(applied).toEqual(files.map((file) => file.name));
    const rows = await withClient(url, (client) =>
      client.query('SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name'),
    );
    expect(rows.rows).toHaveLength(files.length);
    for (const [index, row] of rows.rows.entries()) {
      const sql = readFileSync(join(MIGRATIONS_DIR, files[index]!.name, 'migration.sql'));
      expect(row).toMatchObject({
        migration_name: files[index]!.name,
        checksum: createHash('sha256').update(sql).digest('hex'),
        rolled_back_at: null,
        applied_steps_count: 1,
      });
      expect(row.finished_at).toBeInstanceOf(Date);
    }
    // A second start applies nothing.
    expect(await withClient(url, (client) => migrate(pgConnection(client), quiet))).toEqual([]);
  });

  it('lets several instances start at once: each migration runs exactly once', async () => {
    const url = await freshDatabase();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => withClient(url, (client) => migrate(pgConnection(client), quiet))),
    );
    const files = await readMigrations();
    expect(runs.flat().sort()).toEqual(files.map((file) => file.name).sort());
    const count = await withClient(url, (client) => client.query('SELECT count(*)::int AS n FROM "_prisma_migrations"'));
    expect(count.rows[0].n).toBe(files.length);
  });

  it('rolls a failing migration back whole and records it, so a fixed one can run later', async () => {
    const url = await freshDatabase();
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    mkdirSync(join(dir, '001_ok'));
    writeFileSync(join(dir, '001_ok', 'migration.sql'), 'CREATE TABLE a (id int);');
    mkdirSync(join(dir, '002_broken'));
    writeFileSync(join(dir, '002_broken', 'migration.sql'), 'CREATE TABLE b (id int); SELECT * FROM missing_table;');
    await expect(withClient(url, (client) => migrate(pgConnection(client), quiet, dir))).rejects.toThrow(/002_broken/);
    const tables = await withClient(url, (client) =>
      client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('a', 'b')`),
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(['a']);
    writeFileSync(join(dir, '002_broken', 'migration.sql'), 'CREATE TABLE b (id int);');
    expect(await withClient(url, (client) => migrate(pgConnection(client), quiet, dir))).toEqual(['002_broken']);
  });
});
