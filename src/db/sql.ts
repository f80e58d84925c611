import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

/** The little the migration runner, and the hot statements sent past Prisma (`driverQuery`), need from PostgreSQL. */
export interface SqlConnection {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

export function pgConnection(client: pg.Client | pg.PoolClient | pg.Pool): SqlConnection {
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

/**
 * The hot statements sent past Prisma (`driverQuery`) as named prepared statements: each
 * connection parses and plans one the first time it runs it, then only binds and executes it
 * (an unnamed statement is parsed and planned again every time). Names come from the text, so
 * the same text is the same statement; at most `MAX_PREPARED` texts are named, after which the
 * rest run unnamed, so that a connection never holds an unbounded number of statements.
 */
export function pgPreparedQuery(pool: pg.Pool): SqlConnection['query'] {
  const names = new Map<string, string>();
  return async <T>(sql: string, params?: unknown[]) => {
    let name = names.get(sql);
    if (name === undefined && names.size < MAX_PREPARED) {
      name = `hot_${names.size}`;
      names.set(sql, name);
    }
    return (await pool.query(name === undefined ? { text: sql, values: params } : { name, text: sql, values: params })).rows as T[];
  };
}

const MAX_PREPARED = 32;

export function pgliteConnection(db: PGlite): SqlConnection {
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await db.exec(sql);
    },
  };
}
