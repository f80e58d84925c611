import type { Clock } from '../clock.js';
import { logger } from '../logger.js';
import { jobHandlers } from './handlers.js';
import { runDueJobs } from './worker.js';

/** Runs due jobs every `intervalMs`; one pass at a time per instance. */
export function startJobTimer(clock: Clock, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = runDueJobs(jobHandlers, clock.now())
      .then((ran) => {
        if (ran > 0) logger.info({ jobs: ran }, 'due jobs processed');
      })
      .catch((error) => logger.error({ err: error }, 'due job pass failed'))
      .finally(() => {
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
