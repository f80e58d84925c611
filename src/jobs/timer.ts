import type { Clock } from '../clock.js';
import { logger } from '../logger.js';
import { type MailSetup, sendDueEmails } from '../mail/outbox.js';
import { jobHandlers } from './handlers.js';
import { runDueJobs } from './worker.js';
import { deliverDueWebhooks, type WebhookAttemptListener } from '../webhooks/delivery.js';

/**
 * Every `intervalMs`: runs due jobs, then sends due emails (those the jobs just queued included),
 * and, beside them, sends due webhooks.
 * One pass at a time per instance; other instances share the work through SKIP LOCKED.
 */
export function startJobTimer(clock: Clock, intervalMs: number, mail: MailSetup, onWebhookAttempt?: WebhookAttemptListener): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  // Emails due are sent until none is left or half an interval has gone, whichever comes first:
  // a backlog (a rush of bookings) drains within seconds, and the next pass's due jobs still run.
  const emailBudgetMs = Math.max(1_000, intervalMs / 2);
  const pass = async () => {
    try {
      const ran = await runDueJobs(jobHandlers, clock.now());
      if (ran > 0) logger.info({ jobs: ran }, 'due jobs processed');
    } catch (error) {
      logger.error({ err: error }, 'due job pass failed');
    }
    try {
      const { sent, failed } = await sendDueEmails(mail.mailer, clock.now(), { ...mail, batch: Number.POSITIVE_INFINITY, budgetMs: emailBudgetMs });
      if (sent + failed > 0) logger.info({ sent, failed }, 'due emails processed');
    } catch (error) {
      logger.error({ err: error }, 'email pass failed');
    }
  };
  const tick = () => {
    if (running) return;
    running = pass().finally(() => {
      running = null;
    });
  };
  // Webhooks go on a pass of their own: a slow endpoint (up to 10 s a request) must not hold up
  // renewals and emails.
  let delivering: Promise<void> | null = null;
  const deliver = () => {
    if (delivering) return;
    delivering = deliverDueWebhooks(clock, { onAttempt: onWebhookAttempt })
      .then((handled) => {
        if (handled > 0) logger.info({ webhooks: handled }, 'due webhooks processed');
      })
      .catch((error) => logger.error({ err: error }, 'webhook pass failed'))
      .finally(() => {
        delivering = null;
      });
  };
  const timer = setInterval(() => {
    tick();
    deliver();
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all([running, delivering]);
    },
  };
}
