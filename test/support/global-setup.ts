import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.js';
import { pgConnection } from '../../src/db/sql.js';

/** Server that hosts the throwaway test databases (trust auth on these machines). */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new database: empty, or a copy of `template` (which nobody may be connected to meanwhile). */
export async function createDatabase(prefix: string, template?: string): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/**
 * One fresh, migrated database for the whole run; test files share it through factories. A copy of
 * it, taken before any file connects and never connected to, is the template of the files that
 * need a database of their own with the migrations already applied (`createDatabase(prefix,
 * inject('templateDatabase'))`): copying is much cheaper than migrating again.
 */
export default async function setup(project: TestProject) {
  const name = await createDatabase('booking_test');
  const url = databaseUrl(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await migrate(pgConnection(client), { info: () => {}, warn: console.warn });
  await client.end();
  const template = await createDatabase('booking_template', name);
  project.provide('databaseUrl', url);
  project.provide('templateDatabase', template);
  project.provide('redisUrl', REDIS_URL);
  return async () => {
    if (!process.env.KEEP_TEST_DATABASE) await dropDatabase(name);
    await dropDatabase(template);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** A migrated database nobody connects to: copy it with `createDatabase(prefix, template)`. */
    templateDatabase: string;
    redisUrl: string;
  }
}
