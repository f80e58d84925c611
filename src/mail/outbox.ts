import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import { transaction, type Tx } from '../db/transaction.js';
import { logger } from '../logger.js';
import { renderEmail } from './templates.js';
import { passwordLinkToken } from '../auth/tokens.js';
import { passwordLink } from '../links.js';

// The outbox sender (SPEC §8). Each email is a row written in the same transaction as its cause;
// this worker claims due rows with FOR UPDATE SKIP LOCKED, sends them and marks them SENT in that
// same transaction, so any number of instances can run it at once and no two send the
// same row. A send whose outcome is unknown (the relay accepted, then this process died before
// committing) is sent again later: the Message-ID is the row's id, so mail clients can drop the
// duplicate.

/** One email as the sender hands it to a mailer. */
export interface OutgoingEmail {
  /** The outbox row's id (names the `.eml` file; the Message-ID is built from it). */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where emails go: an SMTP relay, or `.eml` files on disk. */
export interface Mailer {
  readonly kind: 'smtp' | 'files';
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** SMTP waits (35 s at worst), kept inside the 60 s transaction that holds the rows while they are sent. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 };

/**
 * `SMTP_URL` set: nodemailer's SMTP transport to that URL (its query parameters override the
 * timeouts above). Unset: each message is written as `<dataDir>/mail/<outbox id>.eml` and logged;
 * writing the same row again overwrites its file, so a retried send leaves one file.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'dataDir'>): Mailer {
  if (config.smtpUrl) {
    const transport = createTransport({ url: config.smtpUrl, ...SMTP_TIMEOUTS });
    return {
      kind: 'smtp',
      send: async (email) => {
        const info = await transport.sendMail(message(email));
        logger.info({ outboxEmailId: email.id, to: email.to, subject: email.subject, response: info.response }, 'email sent');
      },
      close: () => transport.close(),
    };
  }
  const directory = join(config.dataDir, 'mail');
  const transport = createTransport({ streamTransport: true, buffer: true });
  // The folder is made before the first message (not before each), and again if it was removed since.
  let made: Promise<unknown> | undefined;
  const makeDirectory = () =>
    (made = mkdir(directory, { recursive: true }).catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
  return {
    kind: 'files',
    send: async (email) => {
      const info = await transport.sendMail(message(email));
      const file = join(directory, `${email.id}.eml`);
      await (made ?? makeDirectory());
      try {
        await writeFile(file, info.message as Buffer);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await makeDirectory();
        await writeFile(file, info.message as Buffer);
      }
      logger.info({ outboxEmailId: email.id, to: email.to, subject: email.subject, file }, 'email written');
    },
    close: () => transport.close(),
  };
}

function message(email: OutgoingEmail) {
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: `<${email.id}@${domainOf(email.from)}>`,
  };
}

function domainOf(address: string): string {
  return /@([^\s<>@]+)>?\s*$/.exec(address)?.[1] ?? 'localhost';
}

/** The mailer and settings of this process, for `advanceClock` (the test clock sends due emails). */
export interface MailSetup {
  mailer: Mailer;
  from: string;
  publicUrl: string;
}

let current: MailSetup | null = null;

export function setMailer(setup: MailSetup | null): void {
  current = setup;
}

export function getMailer(): MailSetup | null {
  return current;
}

/** After this many failed attempts a row is given up (FAILED) and logged as an error. */
export const MAX_ATTEMPTS = 8;

/** Backoff after a failed attempt: 1, 2, 4 … minutes, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60, 2 ** (attempts - 1)) * 60_000;
}

export interface SendResult {
  sent: number;
  /** Attempts that failed this time (the row is retried later, or FAILED after MAX_ATTEMPTS). */
  failed: number;
}

/** Rows claimed together; the relay's waits (35 s at worst) fit the transaction with what came before. */
const CLAIM = 20;
/** Once a transaction has sent for this long, the rows it has not reached are left to the next one. */
const SEND_BUDGET_MS = 20_000;

interface DueEmail {
  id: string;
  template: string;
  locale: string;
  toAddress: string;
  payload: unknown;
  attempts: number;
  organizationName: string | null;
  timeZone: string | null;
}

/**
 * Sends the emails due at `now`: at most `batch` attempts per call, and no new claim once
 * `budgetMs` have passed (the job timer's pass sends a backlog of any size, a slice at a time, so
 * that a rush of bookings is confirmed in seconds while due jobs still run every pass). Each transaction claims up to
 * CLAIM due rows with their organisation in one statement (FOR UPDATE SKIP LOCKED: other instances
 * take other rows), sends them one by one and marks the sent ones SENT in one statement, so an
 * email costs a fraction of a statement rather than five. A failed send is recorded on its row
 * (pushed later than `now`, so not retried in the same call) and ends the transaction early, as
 * does SEND_BUDGET_MS: the rows not reached stay PENDING, unlocked, for the next transaction.
 */
export async function sendDueEmails(
  mailer: Mailer,
  now: Date,
  { from, publicUrl, batch = 100, budgetMs = Number.POSITIVE_INFINITY }: { from: string; publicUrl: string; batch?: number; budgetMs?: number },
): Promise<SendResult> {
  const result: SendResult = { sent: 0, failed: 0 };
  const started = performance.now();
  while (result.sent + result.failed < batch && (result.sent + result.failed === 0 || performance.now() - started < budgetMs)) {
    const take = Math.min(CLAIM, batch - result.sent - result.failed);
    const outcome = await transaction(async (tx) => {
      const rows = await tx.$queryRaw<DueEmail[]>`
        SELECT e."id", e."template", e."locale", e."toAddress", e."payload", e."attempts",
               o."name" AS "organizationName", o."timeZone"
          FROM "OutboxEmail" e
          LEFT JOIN "Organization" o ON o."id" = e."organizationId"
         WHERE e."status" = 'PENDING' AND e."nextAttemptAt" <= ${now}
         ORDER BY e."nextAttemptAt", e."id"
         LIMIT ${take}
           FOR UPDATE OF e SKIP LOCKED`;
      if (rows.length === 0) return null;
      const started = Date.now();
      const sent: string[] = [];
      let failed = 0;
      for (const row of rows) {
        if (Date.now() - started > SEND_BUDGET_MS) break;
        let rendered;
        try {
          rendered = renderEmail(row.template, row.locale, withSecretLinks((row.payload ?? {}) as Record<string, unknown>), {
            publicUrl,
            organizationName: row.organizationName ?? undefined,
            timeZone: row.timeZone ?? undefined,
          });
        } catch (error) {
          // This row's own fault: the others still go.
          await recordFailure(tx, row, error, now);
          failed += 1;
          continue;
        }
        try {
          await mailer.send({ id: row.id, from, to: row.toAddress, ...rendered });
        } catch (error) {
          // The relay's trouble, likely the next rows' too: record it and stop here.
          await recordFailure(tx, row, error, now);
          failed += 1;
          break;
        }
        sent.push(row.id);
      }
      if (sent.length > 0) {
        await tx.$executeRaw`
          UPDATE "OutboxEmail"
             SET "status" = 'SENT', "sentAt" = ${now}, "attempts" = "attempts" + 1, "lastError" = NULL
           WHERE "id" = ANY(${sent}::uuid[])`;
      }
      return { sent: sent.length, failed };
      // Longer than the send budget and one more send's SMTP timeouts together (20 + 35 s).
    }, { timeoutMs: 60_000 });
    if (!outcome || outcome.sent + outcome.failed === 0) break;
    result.sent += outcome.sent;
    result.failed += outcome.failed;
  }
  return result;
}

/**
 * A password link's token is never stored (the row names the link); it is recomputed here, at the
 * last moment, from the link's id and the signing secret.
 */
function withSecretLinks(payload: Record<string, unknown>): Record<string, unknown> {
  const linkId = payload.passwordLinkId;
  if (typeof linkId !== 'string') return payload;
  return { ...payload, link: passwordLink(passwordLinkToken(linkId)) };
}

async function recordFailure(
  tx: Tx,
  row: { id: string; template: string; attempts: number },
  error: unknown,
  now: Date,
): Promise<void> {
  const attempts = row.attempts + 1;
  const message = error instanceof Error ? error.message : String(error);
  const givenUp = attempts >= MAX_ATTEMPTS;
  const log = { outboxEmailId: row.id, template: row.template, attempts, err: message };
  if (givenUp) logger.error(log, 'email failed; giving up');
  else logger.warn(log, 'email failed; retrying later');
  await tx.outboxEmail.update({
    where: { id: row.id },
    data: {
      attempts,
      lastError: message.slice(0, 2000),
      nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts)),
      ...(givenUp ? { status: 'FAILED' as const } : {}),
    },
  });
}
