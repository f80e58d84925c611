import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCsvExportToken } from '../../src/auth/tokens.js';
import { prisma } from '../../src/db/client.js';
import { transaction } from '../../src/db/transaction.js';
import type { App } from '../../src/server.js';
import { crossPeriodBoundary } from '../../src/services/credit/subscriptions.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
import {
  createCatalogue,
  createMember,
  createOffer,
  scheduleSession,
  unique,
  type TestMember,
} from '../support/factories.js';
import { countStatements } from '../support/sql-statements.js';

// The staff's lists, report and CSV exports (SPEC §11, issue 12): members found by part of a name,
// orders due (unpaid renewals included), registrations, each page at a bounded number of SQL
// statements; a report whose sums are the payments recorded; CSV streamed through signed links.

let app: App;
let baseUrl: string;

beforeAll(async () => {
  app = await startApp();
  const port = await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await app?.close();
});

const uuid = (globalId: string) => decodeGlobalID(globalId).id;

const StaffCreateMember = graphql(`
  mutation ListsCreateMember($input: CreateMemberInput!) {
    createMember(input: $input) {
      __typename
      ... on CreateMemberSuccess { member { id beneficiaries { id } } }
      ... on Error { code message }
    }
  }
`);

const Purchase = graphql(`
  mutation ListsPurchase($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const Pay = graphql(`
  mutation ListsPay($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { order { id status } }
      ... on Error { code message }
    }
  }
`);

const Book = graphql(`
  mutation ListsBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id status } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation ListsCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) { __typename ... on Error { code message } }
  }
`);

const CancelSession = graphql(`
  mutation ListsCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) { __typename ... on Error { code message } }
  }
`);

const Attendance = graphql(`
  mutation ListsAttendance($input: MarkAttendanceInput!) {
    markAttendance(input: $input) { __typename ... on Error { code message } }
  }
`);

const Submit = graphql(`
  mutation ListsSubmitRegistration($input: SubmitRegistrationInput!) {
    submitRegistration(input: $input) { __typename ... on Error { code message } }
  }
`);

const IssueCreditNote = graphql(`
  mutation ListsIssueCreditNote($input: IssueCreditNoteInput!) {
    issueCreditNote(input: $input) {
      __typename
      ... on IssueCreditNoteSuccess { creditNote { id } }
      ... on Error { code message }
    }
  }
`);

const Withdraw = graphql(`
  mutation ListsWithdraw($input: RequestWithdrawalInput!) {
    requestWithdrawal(input: $input) { __typename ... on Error { code message } }
  }
`);

const GrantRole = graphql(`
  mutation ListsGrantRole($input: GrantRoleInput!) {
    grantRole(input: $input) { __typename ... on Error { code message } }
  }
`);

const Members = graphql(`
  query ListsMembers($slug: String!, $first: Int, $after: String, $search: String) {
    organization(slug: $slug) {
      members(first: $first, after: $after, search: $search) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node {
            role
            since
            usableCredits
            member { id firstName lastName email beneficiaries { id firstName lastName } }
            nextBooking {
              id
              status
              session { id startsAt activity { name } venue { name } }
              beneficiary { firstName lastName }
            }
          }
        }
      }
    }
  }
`);

const MembersBackward = graphql(`
  query ListsMembersBackward($slug: String!, $last: Int) {
    organization(slug: $slug) { members(last: $last) { totalCount } }
  }
`);

const Orders = graphql(`
  query ListsOrders($slug: String!, $first: Int, $after: String, $status: [OrderStatus!], $memberId: ID) {
    organization(slug: $slug) {
      orders(first: $first, after: $after, status: $status, memberId: $memberId) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            id
            status
            periodIndex
            total { amountCents }
            amountDue { amountCents }
            member { id firstName lastName email }
            beneficiary { firstName lastName }
            offer { name }
            subscription { id }
            payments { method amount { amountCents } }
          }
        }
      }
    }
  }
`);

const Registrations = graphql(`
  query ListsRegistrations($slug: String!, $first: Int, $after: String, $status: RegistrationStatus) {
    organization(slug: $slug) {
      registrations(first: $first, after: $after, status: $status) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id status submittedAt beneficiary { firstName lastName } } }
      }
    }
  }
`);

const Report = graphql(`
  query ListsReport($slug: String!, $from: Date!, $to: Date!) {
    organization(slug: $slug) {
      report(from: $from, to: $to) {
        from
        to
        startsAt
        endsAt
        revenue { amountCents currency }
        revenueByMethod { method count amount { amountCents } }
        refunds { amountCents }
        refundsByMethod { method count amount { amountCents } }
        netRevenue { amountCents }
        bookingsByStatus { status count }
        activities { activity { id name } sessions capacity seatsBooked attended noShows attendanceRate fillRate }
      }
    }
  }
`);

const ExportUrl = graphql(`
  query ListsExportUrl($slug: String!, $kind: CsvExportKind!, $from: Date!, $to: Date!) {
    organization(slug: $slug) { exportUrl(kind: $kind, from: $from, to: $to) }
  }
`);

/** Runs `tasks` a few at a time (the machine has two cores; other files run beside this one). */
async function inBatches<T>(count: number, task: (index: number) => Promise<T>, width = 4): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, k) => task(start + k)))));
  }
  return results;
}

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

/** A member created at the desk with one adult beneficiary; returns their ids. */
async function deskMember(catalogue: Catalogue, firstName: string, lastName: string, beneficiary = { firstName, lastName }) {
  const created = success(
    (
      await execute(
        app,
        StaffCreateMember,
        {
          input: {
            organizationId: catalogue.organization.id,
            email: `${unique(firstName.toLowerCase().normalize('NFD').replace(/[^a-z]/g, ''))}@example.com`,
            firstName,
            lastName,
            beneficiaries: [{ ...beneficiary, birthDate: '1990-03-04' }],
          },
        },
        { token: catalogue.admin.token },
      )
    ).createMember,
    'CreateMemberSuccess',
  ).member;
  return { memberId: created.id, beneficiaryId: created.beneficiaries[0]!.id };
}

async function staffPurchase(catalogue: Catalogue, offerId: string, beneficiaryId: string) {
  return success(
    (await execute(app, Purchase, { input: { offerId, beneficiaryId } }, { token: catalogue.admin.token })).purchaseOffer,
    'PurchaseOfferSuccess',
  ).order;
}

async function staffPay(catalogue: Catalogue, orderId: string, method: 'CASH' | 'CHEQUE' | 'ANCV' | 'SPORT_PASS' | 'CREDIT_NOTE', amountCents: number, creditNoteId?: string) {
  return success(
    (await execute(app, Pay, { input: { orderId, method, amountCents, creditNoteId } }, { token: catalogue.admin.token })).recordPayment,
    'RecordPaymentSuccess',
  ).order;
}

async function staffBook(catalogue: Catalogue, sessionId: string, beneficiaryId: string) {
  return success(
    (await execute(app, Book, { input: { sessionId, beneficiaryId } }, { token: catalogue.admin.token })).bookSession,
    'BookSessionSuccess',
  ).booking;
}

const details = { sex: 'FEMALE' as const, address: '1 rue des Bains', postalCode: '75011', city: 'Paris', phone: '0600000000' };

/** Today's and other local dates in Paris (the factories' organisations), as YYYY-MM-DD. */
function parisDate(offsetDays = 0): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(Date.now() + offsetDays * 86_400_000));
}

function forbidden(result: { errors?: { extensions?: Record<string, unknown> }[] }) {
  return result.errors?.map((error) => error.extensions?.code);
}

describe('lists that staff use', () => {
  // One organisation with 52 members, each with a paid pack, a booking and a registration, plus
  // the members the searches look for.
  let desk: Catalogue;
  let slug: string;
  let eloise: { memberId: string; beneficiaryId: string };
  let renewal: { id: string; memberId: string };
  const MEMBERS = 52;

  beforeAll(async () => {
    desk = await createCatalogue(app);
    slug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(desk.organization.id) } })).slug;
    const soon = await scheduleSession(app, desk, { startsInHours: 48, capacity: 100 });
    const later = await scheduleSession(app, desk, { startsInHours: 72, capacity: 100 });
    const offerId = await createOffer(app, desk, { credits: 10, priceCents: 10_000 });
    await inBatches(MEMBERS, async (i) => {
      const person = await deskMember(desk, `Prénom${String(i).padStart(2, '0')}`, `Nom${String(i).padStart(2, '0')}`);
      const order = await staffPurchase(desk, offerId, person.beneficiaryId);
      await staffPay(desk, order.id, 'CASH', 10_000);
      await staffBook(desk, later.id, person.beneficiaryId);
      if (i % 2 === 0) await staffBook(desk, soon.id, person.beneficiaryId);
      success(
        (await execute(app, Submit, { input: { organizationId: desk.organization.id, beneficiaryId: person.beneficiaryId, details } }, { token: desk.admin.token }))
          .submitRegistration,
        'SubmitRegistrationSuccess',
      );
    });
    eloise = await deskMember(desk, 'Éloïse', 'Dupré', { firstName: 'Zoé', lastName: 'Martin-Lefèvre' });

    // A subscription paid at the desk whose next period started unpaid: a renewal due at the desk.
    const subscriptionOffer = await createOffer(app, desk, { kind: 'SUBSCRIPTION', credits: 4, priceCents: 3_000 });
    const first = await staffPurchase(desk, subscriptionOffer, eloise.beneficiaryId);
    await staffPay(desk, first.id, 'CASH', 3_000);
    const { subscriptionId } = await prisma.order.findUniqueOrThrow({ where: { id: uuid(first.id) } });
    const boundary = await prisma.dueJob.findUniqueOrThrow({ where: { dedupeKey: `renewal:${subscriptionId}:1` } });
    await transaction((tx) => crossPeriodBoundary(tx, boundary, boundary.runAt));
    // Nothing of this subscription is left for another file's worker.
    await prisma.dueJob.updateMany({ where: { organizationId: uuid(desk.organization.id), status: 'PENDING' }, data: { status: 'DONE' } });
    const due = await prisma.order.findUniqueOrThrow({ where: { subscriptionId_periodIndex: { subscriptionId: subscriptionId!, periodIndex: 1 } } });
    expect(due.status).toBe('PENDING');
    renewal = { id: due.id, memberId: due.memberId };
  }, 240_000);

  const members = async (variables: { first?: number; after?: string; search?: string }, token = desk.admin.token) =>
    (await execute(app, Members, { slug, ...variables }, { token })).organization!.members;

  it('finds a member by part of a name, an email or a beneficiary name, whatever the case and accents', async () => {
    const found = async (search: string) => (await members({ search })).edges.map((edge) => edge.node.member.id);
    for (const search of ['eloise', 'ÉLOÏSE', 'dupre', 'Eloise Dup', 'dupré éloïse', '  eloïse   dupré ', 'zoe', 'martin-lefevre', 'Zoé Martin']) {
      expect(await found(search), search).toEqual([eloise.memberId]);
    }
    const page = await members({ search: 'dupre' });
    expect(page.totalCount).toBe(1);
    const email = page.edges[0]!.node.member.email;
    expect(await found(email.slice(0, 12).toUpperCase())).toEqual([eloise.memberId]);
    // LIKE's wildcards are text, not patterns.
    expect(await found('%')).toEqual([]);
    expect(await found('nom_1')).toEqual([]);
    // Two-digit names: "nom1" is a part of Nom10 … Nom19.
    expect((await members({ search: 'nom1' })).totalCount).toBe(10);
    // Blank: everyone (the admin, the 52, Éloïse).
    expect((await members({ search: '   ' })).totalCount).toBe(MEMBERS + 2);

    const tooLong = await request(app, Members, { slug, search: 'x'.repeat(101) }, { token: desk.admin.token, locale: 'en' });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: ['search'] });
    expect(tooLong.errors?.[0]?.message).toContain('100');
  });

  it('pages through every member in name order, with each one’s usable credits and next booking', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await members({ first: 20, after });
      pages += 1;
      expect(page.totalCount).toBe(MEMBERS + 2);
      seen.push(...page.edges.map((edge) => `${edge.node.member.lastName} ${edge.node.member.firstName}`));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(MEMBERS + 2);
    // By last name, accents folded: Dupré, Lovelace (the admin), Nom00 … Nom51.
    expect(seen.slice(0, 3)).toEqual(['Dupré Éloïse', 'Lovelace Ada', 'Nom00 Prénom00']);
    expect(seen.at(-1)).toBe('Nom51 Prénom51');

    const [even, odd] = (await members({ search: 'Nom0', first: 2 })).edges.map((edge) => edge.node);
    // 10 credits bought; one booked (Nom01), two (Nom00).
    expect(even).toMatchObject({ role: 'MEMBER', usableCredits: 8, member: { lastName: 'Nom00', beneficiaries: [{ firstName: 'Prénom00' }] } });
    expect(odd).toMatchObject({ usableCredits: 9, member: { lastName: 'Nom01' } });
    // The next booking is the soonest: Nom00 is booked in 48 h and 72 h, Nom01 in 72 h only.
    expect(new Date(even!.nextBooking!.session.startsAt).getTime()).toBeLessThan(new Date(odd!.nextBooking!.session.startsAt).getTime());
    expect(even!.nextBooking).toMatchObject({ status: 'CONFIRMED', beneficiary: { firstName: 'Prénom00' }, session: { activity: { name: 'Aquagym' } } });
    const [admin] = (await members({ search: 'lovelace' })).edges.map((edge) => edge.node);
    expect(admin).toMatchObject({ role: 'ADMIN', usableCredits: 0, nextBooking: null });

    const bad = await request(app, Members, { slug, after: 'not-a-cursor' }, { token: desk.admin.token });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: ['after'] });
    const tooMany = await request(app, Members, { slug, first: 201 }, { token: desk.admin.token });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: ['first'] });
    const backward = await request(app, MembersBackward, { slug, last: 5 }, { token: desk.admin.token, locale: 'en' });
    expect(backward.errors?.[0]).toMatchObject({ message: 'This list pages forward only (first and after).', extensions: { code: 'VALIDATION', field: ['last'] } });
  });

  it('costs the same number of SQL statements for a page of 5 as for a page of 50, for each list', async () => {
    const token = desk.admin.token;
    const statements = async (run: () => Promise<unknown>) => (await countStatements(run)).statements.length;

    const memberPage = (first: number) => () => execute(app, Members, { slug, first }, { token });
    const small = await statements(memberPage(5));
    const large = await statements(memberPage(50));
    expect((await memberPage(50)()).organization!.members.edges).toHaveLength(50);
    expect(large).toBe(small);
    // The login, the organisation, the viewer's role, the page, its count, each nested relation
    // level, each per-member figure and each batched type scope: 19 here, whatever the page size.
    expect(large).toBeLessThanOrEqual(20);

    const orderPage = (first: number) => () => execute(app, Orders, { slug, first }, { token });
    expect((await orderPage(50)()).organization!.orders.edges).toHaveLength(50);
    const ordersSmall = await statements(orderPage(5));
    expect(await statements(orderPage(50))).toBe(ordersSmall);
    expect(ordersSmall).toBeLessThanOrEqual(16);

    const registrationPage = (first: number) => () => execute(app, Registrations, { slug, first }, { token });
    expect((await registrationPage(50)()).organization!.registrations.edges).toHaveLength(50);
    const registrationsSmall = await statements(registrationPage(5));
    expect(await statements(registrationPage(50))).toBe(registrationsSmall);
    expect(registrationsSmall).toBeLessThanOrEqual(12);
  });

  it('lists the orders due, an unpaid subscription renewal among them, and one member’s orders', async () => {
    const due = (await execute(app, Orders, { slug, status: ['PENDING', 'PARTIALLY_PAID'] }, { token: desk.admin.token })).organization!.orders;
    expect(due.totalCount).toBe(1);
    expect(due.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({ status: 'PENDING', periodIndex: 1, amountDue: { amountCents: 3_000 }, member: expect.objectContaining({ lastName: 'Dupré' }), beneficiary: { firstName: 'Zoé', lastName: 'Martin-Lefèvre' }, subscription: expect.any(Object) }),
    ]);
    expect(uuid(due.edges[0]!.node.id)).toBe(renewal.id);

    const all = (await execute(app, Orders, { slug, first: 200 }, { token: desk.admin.token })).organization!.orders;
    expect(all.totalCount).toBe(MEMBERS + 2);
    // Newest first: the renewal, then the subscription's first order.
    expect(all.edges.slice(0, 2).map((edge) => [edge.node.status, edge.node.periodIndex])).toEqual([['PENDING', 1], ['PAID', 0]]);
    const paid = (await execute(app, Orders, { slug, status: ['PAID'], first: 10 }, { token: desk.admin.token })).organization!.orders;
    expect(paid.totalCount).toBe(MEMBERS + 1);
    expect(paid.edges[0]!.node.payments).toEqual([{ method: 'CASH', amount: { amountCents: 3_000 } }]);
    // Paging by cursor keeps the order and skips nothing.
    const next = (await execute(app, Orders, { slug, status: ['PAID'], first: 10, after: paid.pageInfo.endCursor! }, { token: desk.admin.token })).organization!.orders;
    const ids = [...paid.edges, ...next.edges].map((edge) => edge.node.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids).toEqual(all.edges.slice(1, 21).map((edge) => edge.node.id));

    const hers = (await execute(app, Orders, { slug, memberId: eloise.memberId }, { token: desk.admin.token })).organization!.orders;
    expect(hers.edges.map((edge) => edge.node.periodIndex)).toEqual([1, 0]);
    // A member of the organisation without orders (its admin) lists nothing.
    const none = (await execute(app, Orders, { slug, memberId: desk.admin.id }, { token: desk.admin.token })).organization!.orders;
    expect(none).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('answers memberId by the rule of ids: VALIDATION when malformed or of another type, NOT_FOUND when it names no member of the organisation', async () => {
    const outsider = await createCatalogue(app);
    const unknownMember = encodeGlobalID('Member', '01930000-0000-7000-8000-000000000000');
    const cases = [
      ['bm9ib2R5', 'VALIDATION'],
      [desk.organization.id, 'VALIDATION'],
      [unknownMember, 'NOT_FOUND'],
      // A real member, but of another organisation: staff cannot see them.
      [outsider.admin.id, 'NOT_FOUND'],
    ] as const;
    for (const [memberId, code] of cases) {
      const result = await request(app, Orders, { slug, memberId }, { token: desk.admin.token, locale: 'en' });
      expect(result.errors?.map((error) => error.extensions)).toEqual([expect.objectContaining({ code, field: ['memberId'] })]);
      expect(result.errors?.[0]?.path).toEqual(['organization', 'orders']);
    }
    const unknown = await request(app, Orders, { slug, memberId: unknownMember }, { token: desk.admin.token, locale: 'en' });
    expect(unknown.errors?.[0]?.message).toBe('Member not found.');
  });

  it('lists registrations, oldest first, by state', async () => {
    const pending = (await execute(app, Registrations, { slug, status: 'PENDING_REVIEW', first: 3 }, { token: desk.admin.token })).organization!.registrations;
    expect(pending.totalCount).toBe(MEMBERS);
    expect(pending.edges).toHaveLength(3);
    const times = pending.edges.map((edge) => new Date(edge.node.submittedAt).getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const verified = (await execute(app, Registrations, { slug, status: 'VERIFIED' }, { token: desk.admin.token })).organization!.registrations;
    expect(verified).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('gives staff of another organisation, and members, nothing', async () => {
    const outsider = await createCatalogue(app);
    const member = await createMember(app);
    for (const token of [outsider.admin.token, member.token]) {
      for (const [document, variables] of [
        [Members, { slug }],
        [Orders, { slug }],
        [Registrations, { slug }],
        [Report, { slug, from: parisDate(), to: parisDate() }],
        [ExportUrl, { slug, kind: 'PAYMENTS', from: parisDate(), to: parisDate() }],
      ] as const) {
        const result = await request(app, document as typeof Members, variables as { slug: string }, { token });
        expect(forbidden(result)).toEqual(['FORBIDDEN']);
        expect(result.data?.organization ?? null).toBeNull();
      }
    }
  });
});

describe('report and CSV exports', () => {
  let shop: Catalogue;
  let slug: string;
  const today = parisDate();
  const period = { from: parisDate(-1), to: parisDate(3) };

  // What the desk recorded: 280 € received in five methods, 40 € refunded in cash.
  const RECORDED = { CASH: 10_000, CHEQUE: 4_000, ANCV: 4_000, CREDIT_NOTE: 2_500, SPORT_PASS: 7_500 };

  beforeAll(async () => {
    shop = await createCatalogue(app);
    slug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(shop.organization.id) } })).slug;
    const pack = await createOffer(app, shop, { credits: 10, priceCents: 10_000 });
    const small = await createOffer(app, shop, { credits: 4, priceCents: 4_000 });
    const ada = await deskMember(shop, 'Ada', 'Aaron');
    const bea = await deskMember(shop, 'Béa', 'Bernard');
    const cyd = await deskMember(shop, 'Cyd', 'Colin');

    const o1 = await staffPurchase(shop, pack, ada.beneficiaryId);
    await staffPay(shop, o1.id, 'CASH', 6_000);
    await staffPay(shop, o1.id, 'CHEQUE', 4_000);
    const o2 = await staffPurchase(shop, small, bea.beneficiaryId);
    await staffPay(shop, o2.id, 'ANCV', 4_000);
    const beaEmail = (await prisma.member.findUniqueOrThrow({ where: { id: uuid(bea.memberId) } })).email;
    const note = success(
      (await execute(app, IssueCreditNote, { input: { organizationId: shop.organization.id, memberEmail: beaEmail, amountCents: 2_500, reason: 'Goodwill' } }, { token: shop.admin.token }))
        .issueCreditNote,
      'IssueCreditNoteSuccess',
    ).creditNote;
    const o3 = await staffPurchase(shop, pack, bea.beneficiaryId);
    await staffPay(shop, o3.id, 'CREDIT_NOTE', 2_500, note.id);
    await staffPay(shop, o3.id, 'SPORT_PASS', 7_500);
    const o4 = await staffPurchase(shop, small, cyd.beneficiaryId);
    await staffPay(shop, o4.id, 'CASH', 4_000);
    success((await execute(app, Withdraw, { input: { orderId: o4.id } }, { token: shop.admin.token })).requestWithdrawal, 'RequestWithdrawalSuccess');

    // Attendance is taken from an hour before the start: a session in 30 minutes, one in two days,
    // and a cancelled one, which the rates leave out.
    const now = await scheduleSession(app, shop, { startsInHours: 0.5, capacity: 4 });
    const later = await scheduleSession(app, shop, { startsInHours: 48, capacity: 10 });
    const cancelled = await scheduleSession(app, shop, { startsInHours: 50, capacity: 6 });
    const attended = await staffBook(shop, now.id, ada.beneficiaryId);
    const absent = await staffBook(shop, now.id, bea.beneficiaryId);
    await staffBook(shop, later.id, ada.beneficiaryId);
    const changedMind = await staffBook(shop, later.id, bea.beneficiaryId);
    for (const [booking, status] of [[attended, 'ATTENDED'], [absent, 'NO_SHOW']] as const) {
      success((await execute(app, Attendance, { input: { bookingId: booking.id, status } }, { token: shop.admin.token })).markAttendance, 'MarkAttendanceSuccess');
    }
    success((await execute(app, Cancel, { input: { bookingId: changedMind.id } }, { token: shop.admin.token })).cancelBooking, 'CancelBookingSuccess');
    success((await execute(app, CancelSession, { input: { sessionId: cancelled.id, reason: 'Pool closed' } }, { token: shop.admin.token })).cancelSession, 'CancelSessionSuccess');
  }, 60_000);

  it('sums revenue by payment method to the payments recorded, with refunds, bookings and rates', async () => {
    const report = (await execute(app, Report, { slug, ...period }, { token: shop.admin.token })).organization!.report;
    const byMethod = Object.fromEntries(report.revenueByMethod.map((m) => [m.method, m.amount.amountCents]));
    expect(byMethod).toEqual(RECORDED);
    expect(report.revenueByMethod.find((m) => m.method === 'CASH')?.count).toBe(2);
    expect(report.revenue).toEqual({ amountCents: 28_000, currency: 'EUR' });
    // The same sums as the payments the database holds for this organisation.
    const stored = await prisma.payment.groupBy({
      by: ['method'],
      where: { status: 'SUCCEEDED', order: { organizationId: uuid(shop.organization.id) } },
      _sum: { amountCents: true },
    });
    expect(Object.fromEntries(stored.map((s) => [s.method, s._sum.amountCents]))).toEqual(RECORDED);
    expect(report.refunds.amountCents).toBe(4_000);
    expect(report.refundsByMethod).toEqual([{ method: 'CASH', count: 1, amount: { amountCents: 4_000 } }]);
    expect(report.netRevenue.amountCents).toBe(24_000);

    expect(Object.fromEntries(report.bookingsByStatus.map((b) => [b.status, b.count]))).toEqual({ ATTENDED: 1, NO_SHOW: 1, CONFIRMED: 1, CANCELLED: 1 });
    expect(report.activities).toEqual([
      {
        activity: { id: shop.activity.id, name: 'Aquagym' },
        sessions: 2,
        capacity: 14,
        seatsBooked: 3,
        attended: 1,
        noShows: 1,
        attendanceRate: 0.5,
        fillRate: 3 / 14,
      },
    ]);
    // The period is whole local days in the organisation's zone.
    expect(report).toMatchObject({ from: period.from, to: period.to });
    expect(new Date(report.startsAt).toLocaleString('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' })).toBe('00:00');

    // Days with nothing recorded.
    const before = (await execute(app, Report, { slug, from: parisDate(-30), to: parisDate(-2) }, { token: shop.admin.token })).organization!.report;
    expect(before).toMatchObject({ revenue: { amountCents: 0 }, revenueByMethod: [], refunds: { amountCents: 0 }, bookingsByStatus: [], activities: [] });
  });

  it('refuses a period that ends before it starts or lasts over a year', async () => {
    for (const [from, to, message] of [
      [today, parisDate(-1), 'on or after'],
      ['2025-01-01', '2026-01-02', '366'],
    ] as const) {
      const result = await request(app, Report, { slug, from, to }, { token: shop.admin.token, locale: 'en' });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: ['to'] });
      expect(result.errors?.[0]?.message).toContain(message);
      const link = await request(app, ExportUrl, { slug, kind: 'ORDERS', from, to }, { token: shop.admin.token });
      expect(link.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: ['to'] });
    }
    // A full leap year is fine.
    expect((await execute(app, Report, { slug, from: '2028-01-01', to: '2028-12-31' }, { token: shop.admin.token })).organization!.report.revenue.amountCents).toBe(0);
  });

  const exportUrl = async (kind: 'ORDERS' | 'PAYMENTS' | 'BOOKINGS', token = shop.admin.token, on = slug) => {
    const url = (await execute(app, ExportUrl, { slug: on, kind, ...period }, { token })).organization!.exportUrl;
    // PUBLIC_URL names the default port; this test server listens elsewhere.
    const link = new URL(url);
    return `${baseUrl}${link.pathname}${link.search}`;
  };

  /** A CSV response as rows of cells (no cell of these tests holds a comma, a quote or a line break). */
  const rowsOf = async (response: Response) => {
    const bytes = new Uint8Array(await response.arrayBuffer());
    // UTF-8 with a byte-order mark, for spreadsheets.
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const body = new TextDecoder('utf-8').decode(bytes.slice(3));
    return body.trimEnd().split('\n').map((line) => line.split(','));
  };

  it('streams the payments as CSV, one row per payment, through a signed link', async () => {
    const url = await exportUrl('PAYMENTS');
    expect(url).toMatch(new RegExp(`/exports/[^/]+/payments\\.csv\\?token=`));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${slug}-payments-${period.from}-${period.to}.csv"`);
    // Streamed: no length known in advance.
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const [header, ...rows] = await rowsOf(response);
    expect(header).toEqual(['Received at', 'Payment', 'Method', 'Amount', 'Refunded', 'Currency', 'Reference', 'Order', 'Invoice number', 'Member', 'Email', 'Beneficiary']);
    const stored = await prisma.payment.findMany({ where: { status: 'SUCCEEDED', order: { organizationId: uuid(shop.organization.id) } } });
    expect(rows).toHaveLength(stored.length);
    expect(rows.map((row) => row[1]).sort()).toEqual(stored.map((p) => p.id).sort());
    const cell = (row: string[], name: string) => row[header!.indexOf(name)]!;
    expect(rows.reduce((sum, row) => sum + Math.round(Number(cell(row, 'Amount')) * 100), 0)).toBe(28_000);
    const sums: Record<string, number> = {};
    for (const row of rows) sums[cell(row, 'Method')] = (sums[cell(row, 'Method')] ?? 0) + Math.round(Number(cell(row, 'Amount')) * 100);
    expect(sums).toEqual(RECORDED);
    expect(rows.filter((row) => cell(row, 'Refunded') !== '0.00').map((row) => [cell(row, 'Method'), cell(row, 'Refunded')])).toEqual([['CASH', '40.00']]);
    expect(rows.find((row) => cell(row, 'Method') === 'ANCV')).toEqual(expect.arrayContaining(['Béa Bernard', '40.00', 'EUR']));
    // Received today, local time.
    expect(rows.every((row) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(cell(row, 'Received at')))).toBe(true);
  });

  it('exports orders and bookings too', async () => {
    const [orderHeader, ...orders] = await rowsOf(await fetch(await exportUrl('ORDERS')));
    expect(orderHeader!.slice(0, 3)).toEqual(['Ordered at', 'Order', 'Status']);
    expect(orders.map((row) => row[2]).sort()).toEqual(['PAID', 'PAID', 'PAID', 'REFUNDED']);
    const [bookingHeader, ...bookings] = await rowsOf(await fetch(await exportUrl('BOOKINGS')));
    expect(bookingHeader!.slice(0, 5)).toEqual(['Session starts at', 'Activity', 'Venue', 'Booking', 'Status']);
    expect(bookings).toHaveLength(4);
    // By session start: the one in 30 minutes first, then the one in two days.
    expect(bookings.slice(0, 2).map((row) => row[4]).sort()).toEqual(['ATTENDED', 'NO_SHOW']);
    expect(bookings.slice(2).map((row) => row[4]).sort()).toEqual(['CANCELLED', 'CONFIRMED']);
  });

  it('streams an export larger than a batch in order, without losing or repeating a row', async () => {
    const bulk = await createCatalogue(app);
    const bulkSlug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(bulk.organization.id) } })).slug;
    const person = await deskMember(bulk, 'Bulk', 'Buyer');
    const order = await staffPurchase(bulk, await createOffer(app, bulk, { priceCents: 100 }), person.beneficiaryId);
    // A volume fixture written straight to the table (1,234 desk payments through the API would
    // take minutes here): three instants shared by hundreds of rows each, across the batches.
    const at = [0, 1, 2].map((k) => new Date(Date.now() - 60_000 + k * 1_000));
    await prisma.payment.createMany({
      data: Array.from({ length: 1_234 }, (_, i) => ({
        orderId: uuid(order.id),
        method: 'CASH' as const,
        status: 'SUCCEEDED' as const,
        amountCents: 100 + i,
        succeededAt: at[i % 3]!,
      })),
    });
    const response = await fetch(await exportUrl('PAYMENTS', bulk.admin.token, bulkSlug));
    expect(response.status).toBe(200);
    const [, ...rows] = await rowsOf(response);
    expect(rows).toHaveLength(1_234);
    expect(new Set(rows.map((row) => row[1])).size).toBe(1_234);
    expect(rows.reduce((sum, row) => sum + Math.round(Number(row[3]) * 100), 0)).toBe(1_234 * 100 + (1_233 * 1_234) / 2);
    const times = rows.map((row) => row[0]!);
    expect([...times].sort()).toEqual(times);
  });

  it('refuses a link without its token (401), expired (401), altered, for another export or organisation, or of former staff (403)', async () => {
    const url = new URL(await exportUrl('PAYMENTS'));
    const token = url.searchParams.get('token')!;
    const withToken = (value: string | null, path = url.pathname) => `${baseUrl}${path}${value === null ? '' : `?token=${encodeURIComponent(value)}`}`;
    expect((await fetch(withToken(null))).status).toBe(401);

    // A character inside the signature changed (the last one carries bits decoding may ignore).
    const signatureAt = token.lastIndexOf('.') + 5;
    const altered = token.slice(0, signatureAt) + (token[signatureAt] === 'A' ? 'B' : 'A') + token.slice(signatureAt + 1);
    expect((await fetch(withToken(altered))).status).toBe(403);
    expect((await fetch(withToken(token, url.pathname.replace('payments.csv', 'orders.csv')))).status).toBe(403);

    const organizationId = uuid(shop.organization.id);
    const adminId = uuid(shop.admin.id);
    const grant = { organizationId, kind: 'payments', from: period.from, to: period.to, staffId: adminId };
    const expired = await signCsvExportToken(grant, new Date(Date.now() - 11 * 60_000));
    expect(expired.expiresAt.getTime()).toBeLessThan(Date.now());
    expect((await fetch(withToken(expired.token))).status).toBe(401);
    const fresh = await signCsvExportToken(grant, new Date());
    expect((await fetch(withToken(fresh.token))).status).toBe(200);

    // Another organisation's link opens only that organisation's export.
    const other = await createCatalogue(app);
    const otherSlug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(other.organization.id) } })).slug;
    const otherUrl = new URL(await exportUrl('PAYMENTS', other.admin.token, otherSlug));
    expect((await fetch(withToken(otherUrl.searchParams.get('token'), url.pathname))).status).toBe(403);

    // A link made by staff who are staff no more.
    const clerk: TestMember = await createMember(app);
    // Staff add an existing account to the organisation by its email, then make it STAFF.
    success(
      (await execute(app, StaffCreateMember, { input: { organizationId: shop.organization.id, email: clerk.email, firstName: 'Ada', lastName: 'Lovelace' } }, { token: shop.admin.token }))
        .createMember,
      'CreateMemberSuccess',
    );
    success((await execute(app, GrantRole, { input: { organizationId: shop.organization.id, memberId: clerk.id, role: 'STAFF' } }, { token: shop.admin.token })).grantRole, 'GrantRoleSuccess');
    const clerkUrl = await exportUrl('PAYMENTS', clerk.token);
    expect((await fetch(clerkUrl)).status).toBe(200);
    success((await execute(app, GrantRole, { input: { organizationId: shop.organization.id, memberId: clerk.id, role: 'MEMBER' } }, { token: shop.admin.token })).grantRole, 'GrantRoleSuccess');
    expect((await fetch(clerkUrl)).status).toBe(403);

    // An id that names no organisation.
    expect((await fetch(withToken(token, '/exports/bm9ib2R5/payments.csv'))).status).toBe(404);
  });
});
