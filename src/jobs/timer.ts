import type { Clock } from '../clock.js';
import { logger } from '../logger.js';
import { type MailSetup, sendDueEmails } from '../mail/outbox.js';
import { jobHandlers } from './handlers.js';
import { runDueJobs } from './worker.js';

/**
 * Every `intervalMs`: runs due jobs, then sends due emails (those the jobs just queued included).
 * One pass at a time per instance; other instances share the work through SKIP LOCKED.
 */
export function startJobTimer(clock: Clock, intervalMs: number, mail: MailSetup): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const pass = async () => {
    try {
      const ran = await runDueJobs(jobHandlers, clock.now());
      if (ran > 0) logger.info({ jobs: ran }, 'due jobs processed');
    } catch (error) {
      logger.error({ err: error }, 'due job pass failed');
    }
    try {
      const { sent, failed } = await sendDueEmails(mail.mailer, clock.now(), mail);
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
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
