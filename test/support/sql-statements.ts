import pg from 'pg';

/**
 * Runs `work` and returns the SQL statements this process sent to PostgreSQL meanwhile (every
 * `query` of a node-postgres client: the Prisma adapter's, raw SQL, BEGIN/COMMIT). Test servers run
 * in-process, so a request made inside `work` is counted; test files run in their own workers, so
 * other files' servers are not. Run nothing else in parallel inside `work`.
 */
export async function countStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const statements: string[] = [];
  prototype.query = function query(this: unknown, ...args: unknown[]) {
    const [first] = args;
    statements.push(typeof first === 'string' ? first : String((first as { text?: string } | undefined)?.text ?? first));
    return original.apply(this, args);
  };
  try {
    return { result: await work(), statements };
  } finally {
    prototype.query = original;
  }
}
