import type { Prisma } from '../generated/prisma/client.js';
import { prisma } from './client.js';

export type Tx = Prisma.TransactionClient;

/**
 * Runs `work` in one PostgreSQL transaction (READ COMMITTED; rows that decide a rule are locked
 * with FOR UPDATE or changed by compare-and-swap inside). Bursts of parallel bookings queue for
 * pool connections and row locks, so the waits are longer than Prisma's defaults.
 */
export function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
  return prisma.$transaction(work, { maxWait: 20_000, timeout: 30_000 });
}
