import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { prisma } from '../../src/db/client.js';
import { createMailer, MAX_ATTEMPTS, sendDueEmails, type Mailer } from '../../src/mail/outbox.js';
import { renderEmail } from '../../src/mail/templates.js';
import type { App } from '../../src/server.js';
import { execute, startApp, success } from '../support/app.js';
import { addBeneficiary, book, buyCredits, createCatalogue, createMember, createOffer, scheduleSession, unique } from '../support/factories.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';
import { countStatements } from '../support/sql-statements.js';

// The email outbox sender (SPEC §8): due rows become .eml files without SMTP_URL, or SMTP messages
// with it; a refused attempt is retried later with backoff, then given up; concurrent senders send
// each row exactly once; and the test clock's advanceClock sends what real use cases queued.
// sendDueEmails sends every due row of its database, so this file has a database of its own
// (like test-clock.test.ts) and each test works at instants of its own choosing.

const PUBLIC_URL = 'https://book.example.org';
const summary = {
  sessionId: '00000000-0000-7000-8000-000000000000',
  activity: 'Bébés nageurs',
  startsAt: '2030-03-31T08:30:00.000Z',
  timeZone: 'Europe/Paris',
  venue: { name: 'Piscine Jean Bouin', address: '12 rue des Lilas', city: 'Paris', postalCode: '75012' },
};

let app: App;
let databaseName: string;
let dataDir: string;
let smtp: SMTPServer;
let smtpUrl: string;
/** Messages the SMTP server accepted. */
const received: { to: string[]; raw: string }[] = [];
/** Recipients whose next message the SMTP server refuses (once each), or always. */
const refuseOnce = new Set<string>();
const refuseAlways = new Set<string>();

beforeAll(async () => {
  databaseName = await createDatabase('mail');
  dataDir = await mkdtemp(join(tmpdir(), 'mail-test-'));
  app = await startApp({ databaseUrl: databaseUrl(databaseName), testClock: true, dataDir, jobIntervalMs: 0 });
  smtp = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const refused = to.find((address) => refuseAlways.has(address) || refuseOnce.delete(address));
        if (refused) {
          const error = Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        received.push({ to, raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  if (databaseName) await dropDatabase(databaseName);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function queue(due: Date, fields: { to?: string; locale?: string; template?: string; payload?: object; attempts?: number } = {}) {
  return prisma.outboxEmail.create({
    data: {
      toAddress: fields.to ?? `${unique('mail')}@example.com`,
      locale: fields.locale ?? 'fr',
      template: fields.template ?? 'booking-confirmed',
      payload: fields.payload ?? { bookingId: 'b1', beneficiary: 'Léa', ...summary },
      nextAttemptAt: due,
      attempts: fields.attempts ?? 0,
    },
  });
}

const row = (id: string) => prisma.outboxEmail.findUniqueOrThrow({ where: { id } });
const messagesTo = (address: string) => received.filter((m) => m.to.includes(address));
const settings = { from: 'Class booking <no-reply@localhost>', publicUrl: PUBLIC_URL };

/** One header of a raw message, unfolded and with RFC 2047 encoded words decoded. */
function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  if (!line) throw new Error(`no ${name} header`);
  const value = line.slice(name.length + 1).trim();
  // Adjacent encoded words are one text: join their bytes before decoding UTF-8.
  return value.replace(/(=\?UTF-8\?[QB]\?[^?]*\?=\s*)+/gi, (run) => {
    const bytes: number[] = [];
    for (const [, encoding, data] of run.matchAll(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi)) {
      if (encoding!.toUpperCase() === 'B') bytes.push(...Buffer.from(data!, 'base64'));
      else bytes.push(...Buffer.from(data!.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1'));
    }
    return Buffer.from(bytes).toString('utf8') + (/\s$/.test(run) ? ' ' : '');
  }).trim();
}

/** The decoded text/plain part of a raw message. */
function textPart(raw: string): string {
  const match = /Content-Type: text\/plain; charset=utf-8\r?\nContent-Transfer-Encoding: (\S+)\r?\n\r?\n([\s\S]*?)\r?\n--/i.exec(raw);
  if (!match) throw new Error('no text part');
  const [, encoding, body] = match;
  if (encoding!.toLowerCase() === 'base64') return Buffer.from(body!, 'base64').toString('utf8');
  if (encoding!.toLowerCase() === 'quoted-printable') {
    return Buffer.from(body!.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
  }
  return body!;
}

const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('sendDueEmails', () => {
  it('without SMTP_URL, writes each due row as <DATA_DIR>/mail/<id>.eml and marks it SENT', async () => {
    const filesDir = await mkdtemp(join(tmpdir(), 'mail-files-'));
    try {
      const config = loadConfig({ DATA_DIR: filesDir });
      expect(config.smtpUrl).toBeUndefined();
      expect(config.mailFrom).toBe('Class booking <no-reply@localhost>');
      const mailer = createMailer(config);
      expect(mailer.kind).toBe('files');
      const now = new Date('2030-01-01T10:00:00Z');
      const organization = await prisma.organization.create({ data: { slug: unique('mail-org'), name: 'Aquakids' } });
      const due = await prisma.outboxEmail.create({
        data: {
          organizationId: organization.id,
          toAddress: `${unique('files')}@example.com`,
          template: 'booking-confirmed',
          payload: { bookingId: 'b1', beneficiary: 'Léa', ...summary },
          nextAttemptAt: now,
        },
      });
      const later = await queue(new Date(now.getTime() + 60_000));

      expect(await sendDueEmails(mailer, now, { from: config.mailFrom, publicUrl: PUBLIC_URL })).toEqual({ sent: 1, failed: 0 });
      expect(await readdir(join(filesDir, 'mail'))).toEqual([`${due.id}.eml`]);
      const raw = await readFile(join(filesDir, 'mail', `${due.id}.eml`), 'utf8');
      expect(header(raw, 'Subject')).toBe('Réservation confirmée : Bébés nageurs, dim. 31 mars, 10:30');
      expect(header(raw, 'To')).toBe(due.toAddress);
      expect(header(raw, 'From')).toBe('Class booking <no-reply@localhost>');
      expect(header(raw, 'Message-ID')).toBe(`<${due.id}@localhost>`);
      const text = plain(textPart(raw));
      for (const fact of ['Léa', 'Dimanche 31 mars 2030 à 10:30', 'Piscine Jean Bouin', '12 rue des Lilas', '75012 Paris', 'Aquakids']) {
        expect(text).toContain(fact);
      }
      expect(await row(due.id)).toMatchObject({ status: 'SENT', attempts: 1, sentAt: now, lastError: null });
      expect(await row(later.id)).toMatchObject({ status: 'PENDING', attempts: 0 });

      // Sent rows are not sent again; the later one goes when it is due, even if someone has
      // removed the folder meanwhile.
      await rm(join(filesDir, 'mail'), { recursive: true });
      const then = new Date(now.getTime() + 60_000);
      expect(await sendDueEmails(mailer, then, settings)).toEqual({ sent: 1, failed: 0 });
      expect(await readdir(join(filesDir, 'mail'))).toEqual([`${later.id}.eml`]);
      expect(await sendDueEmails(mailer, then, settings)).toEqual({ sent: 0, failed: 0 });
      mailer.close();
    } finally {
      await rm(filesDir, { recursive: true, force: true });
    }
  });

  it('with SMTP_URL, delivers to the recipient with the subject of its language and MAIL_FROM', async () => {
    const config = loadConfig({ SMTP_URL: smtpUrl, MAIL_FROM: 'Aquakids <bonjour@aquakids.example>' });
    const mailer = createMailer(config);
    expect(mailer.kind).toBe('smtp');
    const now = new Date('2030-02-01T10:00:00Z');
    const french = await queue(now);
    const english = await queue(now, { locale: 'en', template: 'order-paid', payload: { orderId: 'o1', invoiceNumber: 7, totalCents: 4_500, currency: 'EUR' } });

    expect(await sendDueEmails(mailer, now, { from: config.mailFrom, publicUrl: PUBLIC_URL })).toEqual({ sent: 2, failed: 0 });
    const [toFrench] = messagesTo(french.toAddress);
    expect(messagesTo(french.toAddress)).toHaveLength(1);
    expect(header(toFrench!.raw, 'Subject')).toBe('Réservation confirmée : Bébés nageurs, dim. 31 mars, 10:30');
    expect(header(toFrench!.raw, 'From')).toBe('Aquakids <bonjour@aquakids.example>');
    expect(header(toFrench!.raw, 'Message-ID')).toBe(`<${french.id}@aquakids.example>`);
    const [toEnglish] = messagesTo(english.toAddress);
    expect(messagesTo(english.toAddress)).toHaveLength(1);
    expect(header(toEnglish!.raw, 'Subject')).toBe('Payment received: invoice no. 7');
    expect(plain(textPart(toEnglish!.raw))).toContain('Total: €45.00');
    for (const sent of [french, english]) expect(await row(sent.id)).toMatchObject({ status: 'SENT', attempts: 1, sentAt: now });
    mailer.close();
  });

  it('keeps a refused email PENDING with its error, and sends it at the next attempt after the backoff', async () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: smtpUrl }));
    const now = new Date('2030-03-01T10:00:00Z');
    const email = await queue(now);
    refuseOnce.add(email.toAddress);

    expect(await sendDueEmails(mailer, now, settings)).toEqual({ sent: 0, failed: 1 });
    const failed = await row(email.id);
    expect(failed).toMatchObject({ status: 'PENDING', attempts: 1, sentAt: null });
    expect(failed.lastError).toMatch(/451|try again later/);
    expect(failed.nextAttemptAt).toEqual(new Date(now.getTime() + 60_000));
    expect(messagesTo(email.toAddress)).toHaveLength(0);

    // Not before the backoff (1 minute after the first failure)…
    expect(await sendDueEmails(mailer, new Date(now.getTime() + 30_000), settings)).toEqual({ sent: 0, failed: 0 });
    // …then it goes.
    const retry = new Date(now.getTime() + 60_000);
    expect(await sendDueEmails(mailer, retry, settings)).toEqual({ sent: 1, failed: 0 });
    expect(await row(email.id)).toMatchObject({ status: 'SENT', attempts: 2, sentAt: retry, lastError: null });
    expect(messagesTo(email.toAddress)).toHaveLength(1);
    mailer.close();
  });

  it('backs off 1, 2, 4 … minutes and gives up (FAILED) after the 8th failed attempt', async () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: smtpUrl }));
    let now = new Date('2030-04-01T10:00:00Z');
    const email = await queue(now);
    refuseAlways.add(email.toAddress);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      expect(await sendDueEmails(mailer, now, settings)).toEqual({ sent: 0, failed: 1 });
      const after = await row(email.id);
      expect(after.attempts).toBe(attempt);
      delays.push((after.nextAttemptAt.getTime() - now.getTime()) / 60_000);
      now = after.nextAttemptAt;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    expect(await row(email.id)).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS });
    expect(await sendDueEmails(mailer, new Date('2031-01-01T00:00:00Z'), settings)).toEqual({ sent: 0, failed: 0 });
    expect(messagesTo(email.toAddress)).toHaveLength(0);
    mailer.close();
  });

  it('records an unrenderable row as a failed attempt instead of stopping the others', async () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: smtpUrl }));
    const now = new Date('2030-05-01T10:00:00Z');
    const broken = await queue(now, { template: 'not-a-template' });
    const fine = await queue(new Date(now.getTime() + 1));
    expect(await sendDueEmails(mailer, new Date(now.getTime() + 1), settings)).toEqual({ sent: 1, failed: 1 });
    expect(await row(broken.id)).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'unknown email template: not-a-template' });
    expect(await row(fine.id)).toMatchObject({ status: 'SENT' });
    // Out of the way of the tests that follow.
    await prisma.outboxEmail.update({ where: { id: broken.id }, data: { status: 'FAILED' } });
    mailer.close();
  });

  it('sends each of 20 due rows exactly once when three senders run at the same time', async () => {
    const mailers: Mailer[] = [0, 1, 2].map(() => createMailer(loadConfig({ SMTP_URL: smtpUrl })));
    const now = new Date('2030-06-01T10:00:00Z');
    const rows = await Promise.all(Array.from({ length: 20 }, () => queue(now)));

    const results = await Promise.all(mailers.map((mailer) => sendDueEmails(mailer, now, settings)));
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(20);
    expect(results.every((r) => r.failed === 0)).toBe(true);
    for (const email of rows) {
      expect(messagesTo(email.toAddress)).toHaveLength(1);
      expect(await row(email.id)).toMatchObject({ status: 'SENT', attempts: 1, sentAt: now });
    }
    for (const mailer of mailers) mailer.close();
  });

  it('claims due rows together: 30 emails cost a handful of statements, not five each', async () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: smtpUrl }));
    const now = new Date('2030-07-01T10:00:00Z');
    const rows = await Promise.all(Array.from({ length: 30 }, () => queue(now)));
    const { result, statements } = await countStatements(() => sendDueEmails(mailer, now, settings));
    expect(result).toEqual({ sent: 30, failed: 0 });
    for (const email of rows) expect(await row(email.id)).toMatchObject({ status: 'SENT', attempts: 1, sentAt: now });
    // Two claims of 20 and 10 (BEGIN, the claim, one UPDATE, COMMIT), then an empty claim.
    expect(statements.length).toBeLessThanOrEqual(11);
    mailer.close();
  });

  it('sends a backlog of any size in one call, a claim at a time, until its time budget is spent', async () => {
    const filesDir = await mkdtemp(join(tmpdir(), 'mail-backlog-'));
    const mailer = createMailer(loadConfig({ DATA_DIR: filesDir }));
    try {
      const now = new Date('2030-07-15T10:00:00Z');
      const rows = await Promise.all(Array.from({ length: 130 }, () => queue(now)));
      // No time left after the first claim: one claim of 20 goes, the rest waits for the next pass.
      expect(await sendDueEmails(mailer, now, { ...settings, batch: Number.POSITIVE_INFINITY, budgetMs: 0 })).toEqual({ sent: 20, failed: 0 });
      // Time enough: every due row, beyond the default batch of 100, in claims of 20.
      expect(await sendDueEmails(mailer, now, { ...settings, batch: Number.POSITIVE_INFINITY, budgetMs: 60_000 })).toEqual({ sent: 110, failed: 0 });
      expect((await readdir(join(filesDir, 'mail'))).sort()).toEqual(rows.map((email) => `${email.id}.eml`).sort());
      const states = await prisma.outboxEmail.findMany({ where: { id: { in: rows.map((email) => email.id) } }, select: { status: true, attempts: true } });
      expect(states.every((state) => state.status === 'SENT' && state.attempts === 1)).toBe(true);
    } finally {
      mailer.close();
      await rm(filesDir, { recursive: true, force: true });
    }
  });

  it('stops a claim at a refused send: the rows after it go in the next claim of the same pass', async () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: smtpUrl }));
    const now = new Date('2030-08-01T10:00:00Z');
    const first = await queue(now);
    const refused = await queue(new Date(now.getTime() + 1));
    const third = await queue(new Date(now.getTime() + 2));
    refuseOnce.add(refused.toAddress);
    expect(await sendDueEmails(mailer, new Date(now.getTime() + 2), settings)).toEqual({ sent: 2, failed: 1 });
    expect(await row(first.id)).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(await row(refused.id)).toMatchObject({ status: 'PENDING', attempts: 1, sentAt: null });
    expect(await row(third.id)).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(messagesTo(third.toAddress)).toHaveLength(1);
    mailer.close();
  });
});

type AdvanceResult = { advanceClock: { __typename: 'AdvanceClockSuccess'; now: string } | { __typename: string; code: string; message: string } };

const MailAdvanceClock = parse(`
  mutation MailAdvanceClock($input: AdvanceClockInput!) {
    advanceClock(input: $input) {
      __typename
      ... on AdvanceClockSuccess { now }
      ... on Error { code message }
    }
  }
`) as TypedDocumentNode<AdvanceResult, { input: { to: string } }>;

describe('advanceClock (TEST_CLOCK=1)', () => {
  it('sends the emails that real use cases queued, as .eml files under DATA_DIR/mail', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { startsInHours: 72 });
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member, '1990-05-17', 'Léa');
    await buyCredits(app, catalogue, member, await createOffer(app, catalogue, { priceCents: 12_550 }), beneficiaryId);
    await book(app, member, session.id, beneficiaryId);
    const queued = await prisma.outboxEmail.findMany({
      where: { toAddress: member.email, template: { in: ['order-paid', 'booking-confirmed'] } },
      // Both are stamped with the test clock's now, which has not moved: order them by template.
      orderBy: { template: 'desc' },
    });
    expect(queued.map((e) => [e.template, e.status])).toEqual([
      ['order-paid', 'PENDING'],
      ['booking-confirmed', 'PENDING'],
    ]);

    // Rows are due from when they were written (the test clock's now): moving it on sends them.
    const to = new Date(Date.now() + 60_000).toISOString();
    success((await execute(app, MailAdvanceClock, { input: { to } })).advanceClock, 'AdvanceClockSuccess');

    for (const email of queued) {
      expect(await row(email.id)).toMatchObject({ status: 'SENT', attempts: 1 });
      const raw = await readFile(join(dataDir, 'mail', `${email.id}.eml`), 'utf8');
      expect(header(raw, 'To')).toBe(member.email);
      const expected = renderEmail(email.template, email.locale, email.payload as Record<string, unknown>, { publicUrl: PUBLIC_URL });
      expect(header(raw, 'Subject')).toBe(expected.subject);
    }
    const [paid, confirmed] = queued;
    expect(plain(header(await readFile(join(dataDir, 'mail', `${paid!.id}.eml`), 'utf8'), 'Subject'))).toMatch(/^Paiement reçu : facture n° 1$/);
    const confirmation = plain(textPart(await readFile(join(dataDir, 'mail', `${confirmed!.id}.eml`), 'utf8')));
    expect(confirmation).toContain('La réservation de Léa est confirmée.');
    expect(confirmation).toContain('Aquagym');
    expect(confirmation).toContain('Pool');
    expect(confirmation).toContain('1 rue de l’Eau');
  });
});
