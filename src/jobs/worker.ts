import { prisma } from '../db/client.js';
import { type AfterCommit, transaction, type Tx } from '../db/transaction.js';
import type { DueJob } from '../generated/prisma/client.js';
import type { DueJobKind } from '../generated/prisma/enums.js';
import { logger } from '../logger.js';

/** Something to do once the job's transaction has committed (publishing an event). */
export type { AfterCommit };

/**
 * Runs one due job inside the worker's transaction: whatever it writes commits together with the
 * job's DONE mark, or not at all. `now` is the worker's clock (at least the job's runAt).
 */
export type JobHandler = (tx: Tx, job: DueJob, now: Date) => Promise<AfterCommit[] | void>;

/** From this many failed attempts on, a job's failures are logged as errors (to alert on). */
export const ALERT_AFTER_ATTEMPTS = 5;

/**
 * Backoff after a failure: 1, 2, 4 … minutes, then hourly. A job is never given up: a renewal that
 * failed during an outage must still happen (and queue the next one) once the cause is fixed.
 */
function retryDelayMs(attempts: number): number {
  return Math.min(60, 2 ** (attempts - 1)) * 60_000;
}

/**
 * Runs every job due at `now`, oldest first, one transaction each. Each job is taken with
 * `FOR UPDATE SKIP LOCKED`, so any number of instances can run this at once: a job another
 * instance holds is skipped, and one already DONE is never selected again. Jobs that a job
 * enqueues and that are already due run in the same call, in order.
 */
export async function runDueJobs(
  handlers: Partial<Record<DueJobKind, JobHandler>>,
  now: Date,
  { maxJobs = 10_000 }: { maxJobs?: number } = {},
): Promise<number> {
  let ran = 0;
  while (ran < maxJobs) {
    let taken: DueJob | undefined;
    const afterCommit: AfterCommit[] = [];
    try {
      const done = await transaction(async (tx) => {
        // A retried attempt starts over: nothing of a rolled-back one is published.
        afterCommit.length = 0;
        const [job] = await tx.$queryRaw<DueJob[]>`
          SELECT * FROM "DueJob"
           WHERE "status" = 'PENDING' AND "runAt" <= ${now}
             -- Sent outside any transaction by src/webhooks/delivery.ts (leased, not locked).
             AND "kind" <> 'WEBHOOK_DELIVERY'
           ORDER BY "runAt", "createdAt", "id"
           LIMIT 1
             FOR UPDATE SKIP LOCKED`;
        if (!job) return false;
        taken = job;
        const handler = handlers[job.kind];
        if (!handler) throw new Error(`no handler for ${job.kind} jobs`);
        afterCommit.push(...((await handler(tx, job, now)) ?? []));
        await tx.dueJob.update({
          where: { id: job.id },
          data: { status: 'DONE', doneAt: now, attempts: { increment: 1 }, lastError: null },
        });
        return true;
      });
      if (!done) break;
      ran += 1;
      for (const action of afterCommit) action();
    } catch (error) {
      if (!taken) throw error;
      await recordFailure(taken, error, now);
      ran += 1;
    }
  }
  return ran;
}

async function recordFailure(job: DueJob, error: unknown, now: Date): Promise<void> {
  const attempts = job.attempts + 1;
  const message = error instanceof Error ? error.message : String(error);
  const level = attempts >= ALERT_AFTER_ATTEMPTS ? 'error' : 'warn';
  logger[level]({ jobId: job.id, kind: job.kind, attempts, err: message }, 'due job failed; retrying later');
  await prisma.dueJob.updateMany({
    where: { id: job.id, status: 'PENDING' },
    data: { attempts, lastError: message.slice(0, 2000), runAt: new Date(now.getTime() + retryDelayMs(attempts)) },
  });
}

/** The earliest pending job due at or before `until`, if any (the test clock steps through them). */
export async function nextDueAt(until: Date): Promise<Date | null> {
  const next = await prisma.dueJob.findFirst({
    where: { status: 'PENDING', runAt: { lte: until } },
    orderBy: [{ runAt: 'asc' }, { createdAt: 'asc' }],
    select: { runAt: true },
  });
  return next?.runAt ?? null;
}
