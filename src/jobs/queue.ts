import type { Tx } from '../db/transaction.js';
import type { DueJobKind } from '../generated/prisma/enums.js';

/**
 * Stores work due at an instant, in the caller's transaction, so that it exists exactly when its
 * cause does. The dedupe key names the cause (one expiry per entitlement and end date, one
 * renewal per subscription period): enqueueing it again is a no-op.
 */
export async function enqueue(
  tx: Tx,
  job: { kind: DueJobKind; runAt: Date; dedupeKey: string; organizationId?: string | null; payload: Record<string, unknown> },
): Promise<void> {
  // INSERT … ON CONFLICT DO NOTHING: safe when two transactions enqueue the same cause at once.
  await tx.dueJob.createMany({
    data: [
      {
        kind: job.kind,
        runAt: job.runAt,
        dedupeKey: job.dedupeKey,
        organizationId: job.organizationId ?? null,
        payload: job.payload as object,
      },
    ],
    skipDuplicates: true,
  });
}
