import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prisma } from '../../src/db/client.js';
import { settlePasswordWork } from '../../src/services/member/passwords.js';

// Emails as members receive them, for test-clock servers whose `dataDir` is the test's (as
// demoScenarioApp's): moving the clock runs the outbox, which (without SMTP_URL) writes each email
// as `<dataDir>/mail/<id>.eml`.

export interface Email {
  /** The text, decoded (quoted-printable, UTF-8). */
  text: string;
  subject: string;
}

/** Emails queued for an address with a template, oldest first (the outbox the mail worker sends from). */
export async function emailsTo(email: string, template: string) {
  return prisma.outboxEmail.findMany({ where: { toAddress: email.toLowerCase(), template }, orderBy: { createdAt: 'asc' } });
}

/** Runs `send` (a step of the test clock) once password links are queued; fails when no such email was queued. */
async function sendAndList(send: () => Promise<unknown>, to: string, template: string) {
  // Password links are issued after the answer: let them be queued first.
  await settlePasswordWork();
  await send();
  const rows = await emailsTo(to, template);
  if (rows.length === 0) throw new Error(`no ${template} email to ${to}`);
  return rows;
}

/** An outbox email as its .eml file shows it; fails when it is unsent. */
async function readEmail(dataDir: string, row: Awaited<ReturnType<typeof emailsTo>>[number]): Promise<Email> {
  if (row.status !== 'SENT') throw new Error(`the ${row.template} email to ${row.toAddress} is ${row.status}`);
  const eml = await readFile(join(dataDir, 'mail', `${row.id}.eml`), 'utf8');
  const decoded = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const headers = eml.slice(0, eml.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  const rawSubject = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
  // RFC 2047 "Q" words, as nodemailer writes non-ASCII subjects.
  const subject = rawSubject.replace(/=\?UTF-8\?Q\?(.*?)\?=\s*/gi, (_, word: string) =>
    Buffer.from(word.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  );
  return { text: Buffer.from(decoded, 'latin1').toString('utf8'), subject };
}

/** The newest email of `template` sent to `to`, once `send` has run the outbox. Fails when there is none or it is unsent. */
export async function lastEmail(dataDir: string, send: () => Promise<unknown>, to: string, template: string): Promise<Email> {
  const rows = await sendAndList(send, to, template);
  return readEmail(dataDir, rows[rows.length - 1]!);
}

/** Every email of `template` sent to `to`, oldest first, once `send` has run the outbox. Fails when there is none or one is unsent. */
export async function sentEmails(dataDir: string, send: () => Promise<unknown>, to: string, template: string): Promise<Email[]> {
  const rows = await sendAndList(send, to, template);
  return Promise.all(rows.map((row) => readEmail(dataDir, row)));
}

/** The token of the first `/reset-password?token=…` link of an email's text. */
export function resetLinkToken(text: string): string {
  const match = /\/reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match) throw new Error(`no reset link in: ${text}`);
  return decodeURIComponent(match[1]!);
}
