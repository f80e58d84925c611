import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { pdfText } from '../support/pdf.js';
import { execute, request, success } from '../support/app.js';
import { clockApp, ms, paris, testClock } from '../support/clock.js';
import { startFakeStripe, TEST_WEBHOOK_SECRET, type FakeStripe } from '../support/fake-stripe.js';
import { subscribe, wsClient } from '../support/ws.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  memberWithCredits,
  scheduleSession,
  type TestMember,
} from '../support/factories.js';

// Personal data (SPEC §10, 003 §15): the export of everything about a member behind a signed
// one-hour link, and the erasure of an account, which follows the booking, waitlist and
// subscription rules, keeps invoices, payments, bookings and the ledger, and blanks the rest.
// The server runs the test clock (TEST_CLOCK=1, a database of its own), so that the link's hour
// can pass; it stays within an hour of the real time, before every session the tests schedule.

// Stripe is the local stand-in, for the seats held while paying online (pay-per-session).
let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake?.close();
});
const server = clockApp('personal', {
  stripeSecretKey: 'sk_test_x',
  stripeWebhookSecret: TEST_WEBHOOK_SECRET,
  get stripeApiBase() {
    return fake.url;
  },
});
const { clockNow, advanceTo } = testClock(server);
let app: App;
let base: string;
beforeAll(async () => {
  app = server();
  base = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
});

const ExportMyData = graphql(`
  mutation PdExport {
    exportMyData {
      __typename
      ... on ExportMyDataSuccess { url expiresAt }
      ... on Error { code message }
    }
  }
`);

const RequestDeletion = graphql(`
  mutation PdDelete($input: RequestAccountDeletionInput!) {
    requestAccountDeletion(input: $input) {
      __typename
      ... on RequestAccountDeletionSuccess { erasedAt }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const Viewer = graphql(`
  query PdViewer { viewer { id email firstName erased beneficiaries { id firstName erased } } }
`);

const LogIn = graphql(`
  mutation PdLogIn($input: LogInInput!) {
    logIn(input: $input) { __typename ... on LogInSuccess { token } ... on Error { code message } }
  }
`);

const SignUp = graphql(`
  mutation PdSignUp($input: SignUpInput!) {
    signUp(input: $input) { __typename ... on SignUpSuccess { token viewer { email } } ... on Error { code message } }
  }
`);

const JoinWaitlist = graphql(`
  mutation PdJoin($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) { __typename ... on JoinWaitlistSuccess { waitlistEntry { id status } } ... on Error { code message } }
  }
`);

const BookSession = graphql(`
  mutation PdBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { clientSecret booking { id status } }
      ... on BookSessionWaitlisted { waitlistEntry { id } }
      ... on Error { code message }
    }
  }
`);

const MyOffers = graphql(`
  query PdMyOffers { viewer { waitlistOffers { id status } } }
`);

const Claim = graphql(`
  mutation PdClaim($input: ClaimWaitlistOfferInput!) {
    claimWaitlistOffer(input: $input) { __typename ... on ClaimWaitlistOfferSuccess { booking { id status } } ... on Error { code message } }
  }
`);

const Availability = graphql(`
  subscription PdAvailability($filter: SessionFilter!) {
    sessionAvailability(filter: $filter) { seatsLeft waitlistLength session { id } }
  }
`);

const OrderInvoice = graphql(`
  query PdOrder($id: ID!) {
    node(id: $id) { ... on Order { invoiceNumber invoiceUrl beneficiary { erased firstName } } }
  }
`);

const Register = graphql(`
  query PdRegister($id: ID!) {
    node(id: $id) { ... on Session { waitlistLength bookings(includeCancelled: true) { id status beneficiary { id erased firstName lastName } } } }
  }
`);

const uuid = (globalId: string) => decodeGlobalID(globalId).id;


async function invoiceText(url: string): Promise<string> {
  const link = new URL(url);
  const response = await fetch(`${base}${link.pathname}${link.search}`);
  expect(response.status).toBe(200);
  return pdfText(Buffer.from(await response.arrayBuffer()));
}

async function exportLink(member: TestMember) {
  return success((await execute(app, ExportMyData, {}, { token: member.token })).exportMyData, 'ExportMyDataSuccess');
}

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  return [];
}

/** Entitlements of a member whose balance is not the sum of their ledger (none, ever). */
async function ledgerMismatches(memberId: string) {
  const rows = await prisma.$queryRaw<{ id: string; creditsRemaining: number; total: number }[]>`
    SELECT e."id", e."creditsRemaining", COALESCE(SUM(l."delta"), 0)::int AS total
      FROM "Entitlement" e LEFT JOIN "CreditLedgerEntry" l ON l."entitlementId" = e."id"
     WHERE e."memberId" = ${memberId}::uuid
     GROUP BY e."id"`;
  expect(rows.length).toBeGreaterThan(0);
  return rows.filter((row) => row.creditsRemaining !== row.total);
}

describe('exportMyData', () => {
  it('links to one JSON document with the profile, beneficiaries, bookings, orders and payments, credits and their ledger, subscriptions and emails; nothing of Stripe or cards', async () => {
    const club = await createCatalogue(app);
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member, '1988-02-03', 'Zélie');
    const offerId = await createOffer(app, club, { credits: 5, priceCents: 9_000 });
    const orderId = await buyCredits(app, club, member, offerId, beneficiaryId);
    const subscriptionOfferId = await createOffer(app, club, { kind: 'SUBSCRIPTION', credits: 4, priceCents: 4_000 });
    await buyCredits(app, club, member, subscriptionOfferId, beneficiaryId);
    const session = await scheduleSession(app, club);
    const bookingId = await book(app, member, session.id, beneficiaryId);

    const link = await exportLink(member);
    expect(link.url).toMatch(/\/exports\/me\.json\?token=/);
    // One hour of the server's clock (to the second the token counts in).
    const lifetime = ms(link.expiresAt) - (await clockNow()).toMillis();
    expect(lifetime).toBeGreaterThan(3_599_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000);

    const url = new URL(link.url);
    // No login needed: the link is the key.
    const response = await fetch(`${base}${url.pathname}${url.search}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const data = (await response.json()) as any;

    expect(data.member).toMatchObject({ id: member.id, email: member.email, firstName: 'Ada', lastName: 'Lovelace', marketingConsent: false });
    expect(data.beneficiaries).toEqual([expect.objectContaining({ id: beneficiaryId, firstName: 'Zélie', lastName: 'Lovelace', birthDate: '1988-02-03' })]);
    expect(data.memberships).toEqual([expect.objectContaining({ role: 'MEMBER', organization: { id: club.organization.id, name: `Club ${club.organization.slug}` } })]);
    expect(data.bookings).toEqual([
      expect.objectContaining({ id: bookingId, beneficiaryId, status: 'CONFIRMED', session: expect.objectContaining({ id: session.id, activity: 'Aquagym' }) }),
    ]);
    const order = data.orders.find((o: any) => o.id === orderId);
    expect(order).toMatchObject({ status: 'PAID', totalCents: 9_000, invoiceNumber: expect.any(Number) });
    expect(order.payments).toEqual([expect.objectContaining({ method: 'CASH', status: 'SUCCEEDED', amountCents: 9_000, recordedByStaff: true })]);
    expect(data.orders).toHaveLength(2);
    // Every lot with its whole ledger, which sums to its balance; the booking's DEBIT among them.
    expect(data.entitlements).toHaveLength(2);
    for (const lot of data.entitlements) {
      expect(lot.ledger.reduce((sum: number, entry: any) => sum + entry.delta, 0)).toBe(lot.creditsRemaining);
      expect(lot.ledger[0]).toMatchObject({ reason: 'GRANT' });
    }
    expect(data.entitlements.flatMap((lot: any) => lot.ledger)).toContainEqual(expect.objectContaining({ reason: 'DEBIT', bookingId, delta: -1 }));
    expect(data.subscriptions).toEqual([expect.objectContaining({ status: 'ACTIVE', beneficiaryId, pauses: [] })]);
    expect(data.waitlistEntries).toEqual([]);
    expect(data.emails.map((email: any) => email.template)).toEqual(expect.arrayContaining(['order-paid', 'booking-confirmed']));
    expect(data.emails[0]).not.toHaveProperty('payload');
    expect(data.logins.length).toBeGreaterThan(0);

    // No Stripe identifier, no card field, no password hash, no one else's id.
    const keys = keysOf(data);
    expect(keys.filter((key) => /stripe|card|cvc|cvv|expMonth|expYear|fingerprint|passwordHash|actorId|recordedById|dedupe/i.test(key))).toEqual([]);
    expect(JSON.stringify(data)).not.toContain(uuid(club.admin.id));
  });

  it('is a 404 without details for a forged, missing or foreign token, and once the hour has passed (test clock)', async () => {
    const member = await createMember(app);
    const link = await exportLink(member);
    const url = new URL(link.url);
    const token = url.searchParams.get('token')!;
    const get = (query: string) => fetch(`${base}/exports/me.json${query}`);

    expect((await get(url.search)).status).toBe(200);
    // Change a character inside the signature: the last one carries bits that decoding may ignore.
    const at = token.length - 5;
    const forged = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    for (const query of [`?token=${forged}`, '', '?token=', `?token=${member.token}`]) {
      const response = await get(query);
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('Not found\n');
    }

    await advanceTo(paris(link.expiresAt).minus({ seconds: 1 }));
    expect((await get(url.search)).status).toBe(200);
    await advanceTo(paris(link.expiresAt));
    const expired = await get(url.search);
    expect(expired.status).toBe(404);
    expect(await expired.text()).toBe('Not found\n');
  });
});

describe('requestAccountDeletion', () => {
  it('erases at once by the rules: booking cancelled with its credit back, waitlist left, subscription terminated, logins dead, email free; invoices, ledger and registers kept', async () => {
    const club = await createCatalogue(app);
    const staff = { token: club.admin.token };
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member, '1985-09-09', 'Zoé');
    const offerId = await createOffer(app, club, { credits: 5, priceCents: 12_000 });
    // Paid at the desk by staff (recordPayment, CASH): PAID and invoiced.
    const orderId = await buyCredits(app, club, member, offerId, beneficiaryId);
    const subscriptionOfferId = await createOffer(app, club, { kind: 'SUBSCRIPTION', credits: 4, priceCents: 4_000 });
    await buyCredits(app, club, member, subscriptionOfferId, beneficiaryId);

    // A booking well before its notice (4 h), and a place in the line of a full session.
    const session = await scheduleSession(app, club, { startsInHours: 72 });
    const bookingId = await book(app, member, session.id, beneficiaryId);
    const full = await scheduleSession(app, club, { startsInHours: 96, capacity: 1 });
    const other = await memberWithCredits(app, club);
    await book(app, other, full.id, other.beneficiaryId);
    const entry = success(
      (await execute(app, JoinWaitlist, { input: { sessionId: full.id, beneficiaryId } }, { token: member.token })).joinWaitlist,
      'JoinWaitlistSuccess',
    ).waitlistEntry;

    const invoice = (await execute(app, OrderInvoice, { id: orderId }, { token: member.token })).node as { invoiceUrl: string };
    const before = await invoiceText(invoice.invoiceUrl);
    expect(before).toContain('Client : Ada Lovelace');
    expect(before).toContain('Bénéficiaire : Zoé Lovelace');
    const exportUrl = new URL((await exportLink(member)).url);

    // A wrong password changes nothing.
    for (const password of ['wrong password', '']) {
      const refused = (await execute(app, RequestDeletion, { input: { password } }, { token: member.token })).requestAccountDeletion;
      expect(refused).toMatchObject({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS' });
    }
    const tooLong = (await execute(app, RequestDeletion, { input: { password: 'x'.repeat(129) } }, { token: member.token })).requestAccountDeletion;
    expect(tooLong).toMatchObject({ __typename: 'ValidationError', field: ['password'] });
    expect((await execute(app, Viewer, {}, { token: member.token })).viewer).toMatchObject({ email: member.email, erased: false });
    expect(await prisma.booking.findUniqueOrThrow({ where: { id: uuid(bookingId) } })).toMatchObject({ status: 'CONFIRMED' });
    expect(await prisma.waitlistEntry.findUniqueOrThrow({ where: { id: uuid(entry.id) } })).toMatchObject({ status: 'WAITING' });
    expect(await prisma.member.findUniqueOrThrow({ where: { id: uuid(member.id) } })).toMatchObject({ erasedAt: null, firstName: 'Ada' });

    const erased = success(
      (await execute(app, RequestDeletion, { input: { password: member.password } }, { token: member.token })).requestAccountDeletion,
      'RequestAccountDeletionSuccess',
    );
    expect(ms(erased.erasedAt)).toBe((await clockNow()).toMillis());

    // The future booking was cancelled in time: credit back (RECREDIT), seat freed.
    expect(await prisma.booking.findUniqueOrThrow({ where: { id: uuid(bookingId) } })).toMatchObject({ status: 'CANCELLED' });
    expect(await prisma.creditLedgerEntry.findMany({ where: { bookingId: uuid(bookingId) }, select: { reason: true, delta: true } })).toEqual(
      expect.arrayContaining([{ reason: 'DEBIT', delta: -1 }, { reason: 'RECREDIT', delta: 1 }]),
    );
    // The line was left and its credit released.
    expect(await prisma.waitlistEntry.findUniqueOrThrow({ where: { id: uuid(entry.id) } })).toMatchObject({ status: 'LEFT' });
    expect(await prisma.creditLedgerEntry.findMany({ where: { waitlistEntryId: uuid(entry.id) }, select: { reason: true } })).toEqual(
      expect.arrayContaining([{ reason: 'HOLD' }, { reason: 'RELEASE' }]),
    );
    // The subscription ends by the notice rule, as if the member had asked.
    const subscription = await prisma.subscription.findFirstOrThrow({ where: { memberId: uuid(member.id) } });
    expect(subscription.terminationRequestedAt).not.toBeNull();
    expect(subscription.endsAt!.getTime()).toBeGreaterThan(Date.now());
    // Every balance is still the sum of its ledger.
    expect(await ledgerMismatches(uuid(member.id))).toEqual([]);

    // Logins are dead: the old token is refused, never anonymous.
    const dead = await request(app, Viewer, {}, { token: member.token });
    expect(dead.errors?.[0]?.extensions?.code).toBe('INVALID_TOKEN');
    const login = (await execute(app, LogIn, { input: { email: member.email, password: member.password } })).logIn;
    expect(login).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    // The export link made before is dead too.
    expect((await fetch(`${base}${exportUrl.pathname}${exportUrl.search}`)).status).toBe(404);

    // The personal fields are blank; the address is free for a new account.
    const row = await prisma.member.findUniqueOrThrow({ where: { id: uuid(member.id) } });
    expect(row).toMatchObject({
      email: `erased-${uuid(member.id)}@erased.invalid`,
      firstName: '',
      lastName: '',
      phone: null,
      passwordHash: null,
      marketingConsent: false,
    });
    expect(row.erasedAt).not.toBeNull();
    const person = await prisma.beneficiary.findUniqueOrThrow({ where: { id: uuid(beneficiaryId) } });
    expect(person).toMatchObject({ firstName: '', lastName: '', sex: null, nationality: null, birthplace: null, birthDate: new Date('1900-01-01T00:00:00Z') });
    expect(await prisma.outboxEmail.count({ where: { toAddress: member.email } })).toBe(0);
    expect(await prisma.outboxEmail.count({ where: { toAddress: row.email, status: 'PENDING' } })).toBe(0);
    const again = success((await execute(app, SignUp, { input: { email: member.email, password: 'a brand new password', firstName: 'New', lastName: 'Owner' } })).signUp, 'SignUpSuccess');
    expect(again.viewer.email).toBe(member.email);

    // The invoice reads exactly as it was issued.
    expect(await invoiceText(invoice.invoiceUrl)).toBe(before);
    // Staff still see the order and the register, with the person shown as erased.
    expect((await execute(app, OrderInvoice, { id: orderId }, staff)).node).toMatchObject({ beneficiary: { erased: true, firstName: '' } });
    const register = (await execute(app, Register, { id: session.id }, staff)).node as {
      bookings: { id: string; status: string; beneficiary: { id: string; erased: boolean; firstName: string } }[];
    };
    expect(register.bookings).toContainEqual({ id: bookingId, status: 'CANCELLED', beneficiary: { id: beneficiaryId, erased: true, firstName: '', lastName: '' } });
    expect(((await execute(app, Register, { id: full.id }, staff)).node as { waitlistLength: number }).waitlistLength).toBe(0);
  });

  it('releases a seat held while paying online: the hold is CANCELLED, its unpaid order cancelled, the seat goes to the waitlist and the change is published; the hold’s expiry then does nothing', async () => {
    const club = await createCatalogue(app);
    const session = await scheduleSession(app, club, { startsInHours: 48, capacity: 1 });
    await prisma.session.update({ where: { id: uuid(session.id) }, data: { priceCents: 2_000 } });
    const member = await createMember(app);
    const beneficiaryId = await addBeneficiary(app, member);
    const held = success(
      (await execute(app, BookSession, { input: { sessionId: session.id, beneficiaryId, payWith: 'ONLINE' } }, { token: member.token })).bookSession,
      'BookSessionSuccess',
    );
    expect(held.booking.status).toBe('PENDING_PAYMENT');
    const waiting = await memberWithCredits(app, club, 1);
    const line = (
      await execute(app, BookSession, { input: { sessionId: session.id, beneficiaryId: waiting.beneficiaryId, joinWaitlistIfFull: true } }, { token: waiting.token })
    ).bookSession;
    expect(line.__typename).toBe('BookSessionWaitlisted');

    const client = wsClient(base.replace('http', 'ws') + '/graphql');
    const feed = subscribe(client, Availability, { filter: { ids: [session.id] } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      success(
        (await execute(app, RequestDeletion, { input: { password: member.password } }, { token: member.token })).requestAccountDeletion,
        'RequestAccountDeletionSuccess',
      );
      // Published after commit: the seat, freed, is held for the line (so never shown as free).
      const [event] = await feed.waitFor(1);
      expect(event!.data?.sessionAvailability).toEqual({ seatsLeft: 0, waitlistLength: 1, session: { id: session.id } });
    } finally {
      feed.dispose();
      await client.dispose();
    }
    const booking = await prisma.booking.findUniqueOrThrow({ where: { id: uuid(held.booking.id) }, include: { order: true } });
    expect(booking).toMatchObject({ status: 'CANCELLED', order: { status: 'CANCELLED', paidCents: 0 } });
    // The member in line is offered the seat and wins it.
    const [offer] = (await execute(app, MyOffers, {}, { token: waiting.token })).viewer!.waitlistOffers;
    expect(offer).toMatchObject({ status: 'OPEN' });
    const claimed = success((await execute(app, Claim, { input: { offerId: offer!.id } }, { token: waiting.token })).claimWaitlistOffer, 'ClaimWaitlistOfferSuccess');
    expect(claimed.booking.status).toBe('CONFIRMED');
    expect(await prisma.session.findUniqueOrThrow({ where: { id: uuid(session.id) } })).toMatchObject({ seatsTaken: 1 });

    // The hold's own expiry comes and changes nothing: no second seat freed, no second offer.
    await advanceTo((await clockNow()).plus({ minutes: 16 }));
    expect(await prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).toMatchObject({ status: 'CANCELLED' });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: uuid(session.id) } })).toMatchObject({ seatsTaken: 1 });
    expect(await prisma.waitlistOffer.count({ where: { sessionId: uuid(session.id) } })).toBe(1);
  });

  it('an account without a password cannot pass', async () => {
    const member = await createMember(app);
    await prisma.member.update({ where: { id: uuid(member.id) }, data: { passwordHash: null } });
    for (const password of [member.password, '']) {
      const refused = (await execute(app, RequestDeletion, { input: { password } }, { token: member.token })).requestAccountDeletion;
      expect(refused).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    }
    expect((await prisma.member.findUniqueOrThrow({ where: { id: uuid(member.id) } })).erasedAt).toBeNull();
  });

  it('racing bookings by the same member leave no active future booking, and no ledger out of balance', async () => {
    const club = await createCatalogue(app);
    for (let round = 0; round < 3; round += 1) {
      const member = await memberWithCredits(app, club, 10);
      const sessions = await Promise.all(Array.from({ length: 4 }, (_, i) => scheduleSession(app, club, { startsInHours: 24 + i })));
      const [deletion, ...bookings] = await Promise.all([
        request(app, RequestDeletion, { input: { password: member.password } }, { token: member.token }),
        ...sessions.map((session) => request(app, BookSession, { input: { sessionId: session.id, beneficiaryId: member.beneficiaryId } }, { token: member.token })),
      ]);
      expect(deletion!.data?.requestAccountDeletion).toMatchObject({ __typename: 'RequestAccountDeletionSuccess' });
      // Each booking either committed first (then the erasure cancelled it) or was refused.
      for (const result of bookings) {
        const answer = result.data?.bookSession;
        if (answer) expect(['BookSessionSuccess', 'NotFoundError']).toContain(answer.__typename);
        else expect(result.errors?.[0]?.extensions?.code).toBe('INVALID_TOKEN');
      }
      const memberId = uuid(member.id);
      expect(await prisma.booking.count({ where: { memberId, status: 'CONFIRMED', session: { startsAt: { gt: new Date() } } } })).toBe(0);
      expect(await ledgerMismatches(memberId)).toEqual([]);
      for (const session of sessions) {
        const row = await prisma.session.findUniqueOrThrow({ where: { id: uuid(session.id) } });
        expect(row.seatsTaken).toBe(await prisma.booking.count({ where: { sessionId: row.id, status: 'CONFIRMED' } }));
      }
    }
  });
});
