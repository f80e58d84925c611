import { TestClock } from '../clock.js';
import type { Context } from '../context.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import { jobHandlers } from '../jobs/handlers.js';
import { nextDueAt, runDueJobs } from '../jobs/worker.js';
import { getMailer, sendDueEmails } from '../mail/outbox.js';
import { deliverDueWebhooks } from '../webhooks/delivery.js';

/**
 * Moves the test clock to `to`, stopping at each due job's instant on the way so that every job
 * runs in order and sees "now" as the moment it was due (a renewal on 1 April runs on 1 April,
 * then the rollover it enqueued, …), then sends the emails due at `to`. Only servers started
 * with TEST_CLOCK=1 have this.
 */
export async function advanceClock(context: Context, input: { to: Date }): Promise<{ now: Date; jobsRun: number }> {
  const clock = context.clock;
  if (!(clock instanceof TestClock)) throw new ForbiddenError();
  if (input.to.getTime() < clock.now().getTime()) {
    throw new ValidationError([{ field: ['to'], messageKey: 'validation.clockBackwards' }]);
  }
  let jobsRun = 0;
  for (;;) {
    const next = await nextDueAt(input.to);
    if (!next) break;
    clock.advanceTo(next);
    // Webhooks due at this instant too (those the jobs just emitted included), before moving on.
    const ran = (await runDueJobs(jobHandlers, clock.now())) + (await deliverDueWebhooks(clock, { batch: 10_000 }));
    jobsRun += ran;
    // A failing job moves its runAt later; stop when nothing could run at this instant.
    if (ran === 0) break;
  }
  clock.advanceTo(input.to);
  // The timer is off under the test clock: emails due by now (those the jobs queued included) go here.
  const mail = getMailer();
  if (mail) await sendDueEmails(mail.mailer, clock.now(), mail);
  return { now: clock.now(), jobsRun };
}
