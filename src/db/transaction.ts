import { Prisma } from '../generated/prisma/client.js';
import { prisma } from './client.js';

export type Tx = Prisma.TransactionClient;

/**
 * Runs `work` in one PostgreSQL transaction (READ COMMITTED; rows that decide a rule are locked
 * with FOR UPDATE or changed by compare-and-swap inside). Bursts of parallel bookings queue for
 * pool connections and row locks, so the waits are longer than Prisma's defaults.
 */
export async function transaction<T>(work: (tx: Tx) => Promise<T>, { timeoutMs = 30_000 } = {}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await prisma.$transaction(work, { maxWait: 20_000, timeout: timeoutMs });
    } catch (error) {
      // PostgreSQL broke a deadlock or a serialization conflict by aborting this transaction,
      // which rolled back whole: running it again is safe. The fixed lock order makes it rare.
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
    }
  }
}

const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === 'P2034') return true;
  return /\b(40P01|40001)\b|deadlock detected|could not serialize/.test(error.message);
}

/** Work to do once a transaction has committed: publish an event, wake a subscriber. */
export type AfterCommit = () => void;

/**
 * `transaction`, with a list the work fills with what to do after commit. The list starts empty on
 * each attempt (a retried transaction must not publish twice), and runs only once the transaction
 * committed: a rolled-back one publishes nothing.
 */
export async function transactionThen<T>(
  work: (tx: Tx, afterCommit: AfterCommit[]) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  let afterCommit: AfterCommit[] = [];
  const result = await transaction((tx) => {
    afterCommit = [];
    return work(tx, afterCommit);
  }, options);
  for (const effect of afterCommit) effect();
  return result;
}
