import type { Tx } from '../db/transaction.js';

/** Transactional emails (SPEC §8). The outbox worker renders and sends them with retries. */
export type EmailTemplate =
  | 'booking-confirmed'
  | 'booking-cancelled'
  | 'booking-rescheduled'
  | 'session-cancelled'
  | 'closure-credit-note'
  | 'session-changed'
  | 'order-paid'
  | 'order-refunded'
  | 'payment-link'
  | 'subscription-renewed'
  | 'subscription-suspended'
  | 'waitlist-offer'
  | 'waitlist-closed'
  | 'account-created'
  | 'password-reset'
  | 'password-changed';

/**
 * Queues an email in the caller's transaction, so it exists exactly when its cause committed.
 * The dedupe key names the cause: work retried after a failure never queues it twice.
 */
export async function queueEmail(
  tx: Tx,
  email: {
    /** Null for account emails that belong to no organisation (password reset, welcome). */
    organizationId: string | null;
    to: string;
    locale: string;
    template: EmailTemplate;
    payload: Record<string, unknown>;
    dedupeKey: string;
    /** The injected clock's now: the email is due from then. */
    at: Date;
  },
): Promise<void> {
  await tx.outboxEmail.createMany({
    data: [
      {
        organizationId: email.organizationId,
        toAddress: email.to,
        locale: email.locale,
        template: email.template,
        payload: email.payload as object,
        dedupeKey: email.dedupeKey,
        nextAttemptAt: email.at,
        createdAt: email.at,
      },
    ],
    skipDuplicates: true,
  });
}

/**
 * Queues an email to a member, in their language (see `queueEmail`). An erased account has no
 * address any more (SPEC §10): what still happens to its records (a renewal until the
 * termination date, a session cancelled by staff) is not emailed.
 */
export async function notifyMember(
  tx: Tx,
  memberId: string,
  email: Omit<Parameters<typeof queueEmail>[1], 'to' | 'locale'>,
): Promise<void> {
  const member = await tx.member.findUniqueOrThrow({ where: { id: memberId }, select: { email: true, locale: true, erasedAt: true } });
  if (member.erasedAt) return;
  await queueEmail(tx, { ...email, to: member.email, locale: member.locale });
}
