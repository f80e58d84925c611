import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prisma } from '../../src/db/client.js';
import { settlePasswordWork } from '../../src/services/passwords.js';

// Emails as members receive them, for test-clock servers whose `dataDir` is the test's: moving the
// clock runs the outbox, which (without SMTP_URL) writes each email as `<dataDir>/mail/<id>.eml`.

/**
 * The newest email of `template` sent to `to`, its text decoded (quoted-printable, UTF-8), once
 * `send` (a step of the test clock) has run the outbox. Fails when there is none or it is unsent.
 */
export async function lastEmail(dataDir: string, send: () => Promise<unknown>, to: string, template: string): Promise<{ text: string; subject: string }> {
  // Password links are issued after the answer: let them be queued first.
  await settlePasswordWork();
  await send();
  const row = await prisma.outboxEmail.findFirst({ where: { toAddress: to.toLowerCase(), template }, orderBy: { createdAt: 'desc' } });
  if (!row) throw new Error(`no ${template} email to ${to}`);
  if (row.status !== 'SENT') throw new Error(`the ${template} email to ${to} is ${row.status}`);
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

/** The token of the first `/reset-password?token=…` link of an email's text. */
export function resetLinkToken(text: string): string {
  const match = /\/reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match) throw new Error(`no reset link in: ${text}`);
  return decodeURIComponent(match[1]!);
}
