import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
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
import { SqlStatementCounter } from '../support/sql-statement-counter.js';

// Issue 14 point 4: every connection has `totalCount`, and the lists that grow without bound have
// a connection beside them (`<list>Connection`). For each: pages of 2 walk the whole set (no
// duplicate, no gap, in the order of its list), `totalCount` is the number of rows on every page,
// the access rules are the list's, and a page of 2 costs the same SQL statements as a page of 50.

let app: App;
let counter: SqlStatementCounter;
beforeAll(async () => {
  counter = await SqlStatementCounter.start(inject('databaseUrl'));
  app = await startApp({ databaseUrl: counter.url });
});
afterAll(async () => {
  await app?.close();
  await counter?.close();
});

// ---------------------------------------------------------------------------------------------
// Writes that build the data (through the public API).

const RefundOrder = graphql(`
  mutation ConnectionsRefund($input: RefundOrderInput!) {
    refundOrder(input: $input) { __typename ... on RefundOrderSuccess { order { id } } ... on Error { code message } }
  }
`);
const SubmitRegistration = graphql(`
  mutation ConnectionsSubmitRegistration($input: SubmitRegistrationInput!) {
    submitRegistration(input: $input) { __typename ... on SubmitRegistrationSuccess { registration { id } } ... on Error { code message } }
  }
`);
const JoinWaitlist = graphql(`
  mutation ConnectionsJoinWaitlist($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) { __typename ... on JoinWaitlistSuccess { waitlistEntry { id } } ... on Error { code message } }
  }
`);
const CancelBooking = graphql(`
  mutation ConnectionsCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) { __typename ... on CancelBookingSuccess { booking { id status } } ... on Error { code message } }
  }
`);
const CloseVenue = graphql(`
  mutation ConnectionsCloseVenue($input: CloseVenueInput!) {
    closeVenue(input: $input) { __typename ... on CloseVenueSuccess { closure { id } } ... on Error { code message } }
  }
`);
const CreatePromoCode = graphql(`
  mutation ConnectionsCreatePromoCode($input: CreatePromoCodeInput!) {
    createPromoCode(input: $input) { __typename ... on CreatePromoCodeSuccess { promoCode { id } } ... on Error { code message } }
  }
`);

// ---------------------------------------------------------------------------------------------
// Reads: each connection aliased `page` (nodes with a nested relation, so that a page that loads
// per item would show in the statement count), and its list aliased `all`.

const MemberBookings = graphql(`
  query ConnectionsMemberBookings($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: bookings(first: $first, after: $after) { totalCount edges { cursor node { id session { activity { name } } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberOrders = graphql(`
  query ConnectionsMemberOrders($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: orders(first: $first, after: $after) { totalCount edges { cursor node { id offer { name } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberCreditNotes = graphql(`
  query ConnectionsMemberCreditNotes($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: creditNotesConnection(first: $first, after: $after) { totalCount edges { cursor node { id remaining { amountCents } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberCreditNotesList = graphql(`
  query ConnectionsMemberCreditNotesList($id: ID!) { node(id: $id) { ... on Member { all: creditNotes { id } } } }
`);
const MemberEntitlements = graphql(`
  query ConnectionsMemberEntitlements($id: ID!, $first: Int, $after: String, $usableOnly: Boolean) {
    node(id: $id) { ... on Member {
      page: entitlementsConnection(first: $first, after: $after, usableOnly: $usableOnly) { totalCount edges { cursor node { id offer { name } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberEntitlementsList = graphql(`
  query ConnectionsMemberEntitlementsList($id: ID!, $usableOnly: Boolean) { node(id: $id) { ... on Member { all: entitlements(usableOnly: $usableOnly) { id } } } }
`);
const MemberSubscriptions = graphql(`
  query ConnectionsMemberSubscriptions($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: subscriptionsConnection(first: $first, after: $after) { totalCount edges { cursor node { id offer { name } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberSubscriptionsList = graphql(`
  query ConnectionsMemberSubscriptionsList($id: ID!) { node(id: $id) { ... on Member { all: subscriptions { id } } } }
`);
const MemberRegistrations = graphql(`
  query ConnectionsMemberRegistrations($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: registrationsConnection(first: $first, after: $after) { totalCount edges { cursor node { id beneficiary { firstName } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberRegistrationsList = graphql(`
  query ConnectionsMemberRegistrationsList($id: ID!) { node(id: $id) { ... on Member { all: registrations { id } } } }
`);
const MemberWaitlistEntries = graphql(`
  query ConnectionsMemberWaitlistEntries($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: waitlistEntriesConnection(first: $first, after: $after) { totalCount edges { cursor node { id session { startsAt } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberWaitlistEntriesList = graphql(`
  query ConnectionsMemberWaitlistEntriesList($id: ID!) { node(id: $id) { ... on Member { all: waitlistEntries { id } } } }
`);
const MemberWaitlistOffers = graphql(`
  query ConnectionsMemberWaitlistOffers($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member {
      page: waitlistOffersConnection(first: $first, after: $after) { totalCount edges { cursor node { id status session { startsAt } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const MemberWaitlistOffersList = graphql(`
  query ConnectionsMemberWaitlistOffersList($id: ID!) { node(id: $id) { ... on Member { all: waitlistOffers { id } } } }
`);
const EntitlementLedger = graphql(`
  query ConnectionsEntitlementLedger($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Entitlement {
      page: ledger(first: $first, after: $after) { totalCount edges { cursor node { id delta booking { id } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const SubscriptionEntitlements = graphql(`
  query ConnectionsSubscriptionEntitlements($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Member { subscriptionsConnection(first: 1) { edges { node {
      page: entitlementsConnection(first: $first, after: $after) { totalCount edges { cursor node { id offer { name } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } } } } }
  }
`);
const SubscriptionEntitlementsList = graphql(`
  query ConnectionsSubscriptionEntitlementsList($id: ID!) {
    node(id: $id) { ... on Member { subscriptionsConnection(first: 1) { edges { node { all: entitlements { id } } } } } }
  }
`);
const OrganizationPromoCodes = graphql(`
  query ConnectionsOrganizationPromoCodes($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Organization {
      page: promoCodesConnection(first: $first, after: $after) { totalCount edges { cursor node { id code } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const OrganizationPromoCodesList = graphql(`
  query ConnectionsOrganizationPromoCodesList($id: ID!) { node(id: $id) { ... on Organization { all: promoCodes { id } } } }
`);
const OrganizationPendingRegistrations = graphql(`
  query ConnectionsOrganizationPendingRegistrations($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Organization {
      page: registrations(first: $first, after: $after, status: PENDING_REVIEW) { totalCount edges { cursor node { id beneficiary { firstName } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const OrganizationPendingRegistrationsList = graphql(`
  query ConnectionsOrganizationPendingRegistrationsList($id: ID!) { node(id: $id) { ... on Organization { all: pendingRegistrations { id } } } }
`);
const VenueClosures = graphql(`
  query ConnectionsVenueClosures($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Venue {
      page: closuresConnection(first: $first, after: $after) { totalCount edges { cursor node { id from venue { name } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const VenueClosuresList = graphql(`
  query ConnectionsVenueClosuresList($id: ID!) { node(id: $id) { ... on Venue { all: closures { id } } } }
`);
const SessionRegister = graphql(`
  query ConnectionsSessionRegister($id: ID!, $first: Int, $after: String, $includeCancelled: Boolean) {
    node(id: $id) { ... on Session {
      page: bookingsConnection(first: $first, after: $after, includeCancelled: $includeCancelled) { totalCount edges { cursor node { id status beneficiary { firstName } } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    } }
  }
`);
const SessionRegisterList = graphql(`
  query ConnectionsSessionRegisterList($id: ID!, $includeCancelled: Boolean) { node(id: $id) { ... on Session { all: bookings(includeCancelled: $includeCancelled) { id } } } }
`);
const Sessions = graphql(`
  query ConnectionsSessions($organizationId: ID!, $first: Int, $after: String, $onlyAvailable: Boolean) {
    page: sessions(filter: { organizationId: $organizationId, onlyAvailable: $onlyAvailable }, first: $first, after: $after) {
      totalCount edges { cursor node { id activity { name } venue { name } } } pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
`);
const SessionsCountOnly = graphql(`
  query ConnectionsSessionsCount($organizationId: ID!, $onlyAvailable: Boolean) {
    sessions(filter: { organizationId: $organizationId, onlyAvailable: $onlyAvailable }) { totalCount }
  }
`);
const SessionsRange = graphql(`
  query ConnectionsSessionsRange($filter: SessionFilter!, $withPage: Boolean!) {
    sessions(filter: $filter) { totalCount edges @include(if: $withPage) { node { id } } }
  }
`);
const Ids = graphql(`
  query ConnectionsIds {
    viewer { entitlements { id offer { id } } }
  }
`);
const MemberEntitlementsNoCount = graphql(`
  query ConnectionsMemberEntitlementsNoCount($id: ID!, $first: Int) {
    node(id: $id) { ... on Member { page: entitlementsConnection(first: $first) { edges { cursor node { id offer { name } } } pageInfo { hasNextPage endCursor } } } }
  }
`);
const SessionsNoCount = graphql(`
  query ConnectionsSessionsNoCount($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId }, first: 5) { edges { node { id } } }
  }
`);
const SessionsWithCount = graphql(`
  query ConnectionsSessionsWithCount($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId }, first: 5) { totalCount edges { node { id } } }
  }
`);

// ---------------------------------------------------------------------------------------------
// The data: one organisation, one member with a history of every kind, a few rows of each.

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor?: string | null };
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDocument = TypedDocumentNode<any, any>;

interface Case {
  name: string;
  page: AnyDocument;
  /** The list this connection stands beside: the walk must give its rows, in its order. */
  list?: AnyDocument;
  /** Or the rows themselves, in order, when there is no list (the two older connections). None: count only. */
  expected?: () => string[];
  variables: () => Record<string, unknown>;
  /** Who may read it, and how many rows it has in this data. */
  reader: () => TestMember;
  rows: number;
  /** Someone the list refuses, and how: the connection must refuse them the same way. */
  refused: () => TestMember;
  /** FORBIDDEN: they see the parent, not this list. HIDDEN: they do not see the parent (node is null). */
  refusal: 'FORBIDDEN' | 'HIDDEN';
}

let catalogue: Awaited<ReturnType<typeof createCatalogue>>;
let member: TestMember & { beneficiaryId: string };
let holder: TestMember & { beneficiaryId: string };
let outsider: TestMember;
const sessionIds: string[] = [];
const bookingIds: string[] = [];
const orderIds: string[] = [];
let firstLotId: string;
let registerSessionId: string;

/** The parent of `page` and `all` in a document: the root, `node`, or a member's first subscription. */
function parentOf(data: unknown): { page?: Page; all?: { id: string }[] } | null {
  const root = data as { page?: Page; node?: { page?: Page; subscriptionsConnection?: { edges: { node: object }[] } } | null };
  if (root.page) return root;
  return root.node?.subscriptionsConnection?.edges[0]?.node ?? root.node ?? null;
}

function pageOf(data: unknown): Page | null {
  return parentOf(data)?.page ?? null;
}

function listOf(data: unknown): string[] {
  return (parentOf(data)?.all ?? []).map((row) => row.id);
}

beforeAll(async () => {
  catalogue = await createCatalogue(app);
  const admin = catalogue.admin;
  outsider = await createMember(app);

  // One pack first: the five bookings all use it, so its ledger has six entries.
  const account = await createMember(app);
  const firstPackId = await createOffer(app, catalogue, { credits: 10 });
  member = { ...account, beneficiaryId: await addBeneficiary(app, account) };
  orderIds.unshift(await buyCredits(app, catalogue, member, firstPackId, member.beneficiaryId));
  for (let k = 0; k < 5; k += 1) {
    const session = await scheduleSession(app, catalogue, { startsInHours: 48 + k });
    sessionIds.push(session.id);
    bookingIds.unshift(await book(app, member, session.id, member.beneficiaryId));
  }
  // Four more packs and three subscriptions: eight orders, eight lots, three subscriptions.
  const packId = await createOffer(app, catalogue, { credits: 5 });
  for (let k = 0; k < 4; k += 1) orderIds.unshift(await buyCredits(app, catalogue, member, packId, member.beneficiaryId));
  const passId = await createOffer(app, catalogue, { kind: 'SUBSCRIPTION', period: 'MONTH', credits: 4, priceCents: 4_000 });
  for (let k = 0; k < 3; k += 1) orderIds.unshift(await buyCredits(app, catalogue, member, passId, member.beneficiaryId));
  const ids = await execute(app, Ids, {}, { token: member.token });
  firstLotId = ids.viewer!.entitlements.find((lot) => lot.offer.id === firstPackId)!.id;

  // Three credit notes: part of three packs' orders given back as an "avoir".
  for (const orderId of orderIds.slice(3, 6)) {
    success(
      (await execute(app, RefundOrder, { input: { orderId, amountCents: 100, as: 'CREDIT_NOTE', reason: 'Geste commercial' } }, { token: admin.token }))
        .refundOrder,
      'RefundOrderSuccess',
    );
  }

  // Five registrations, one per beneficiary.
  const details = { sex: 'FEMALE' as const, address: '1 rue de la Paix', postalCode: '75002', city: 'Paris', phone: '0600000000' };
  const beneficiaries = [member.beneficiaryId];
  for (let k = 0; k < 4; k += 1) beneficiaries.push(await addBeneficiary(app, member, '2015-03-0' + (k + 1), `Child${k}`));
  for (const beneficiaryId of beneficiaries) {
    success(
      (await execute(app, SubmitRegistration, { input: { organizationId: catalogue.organization.id, beneficiaryId, details } }, { token: member.token }))
        .submitRegistration,
      'SubmitRegistrationSuccess',
    );
  }

  // Three waitlist places, each then offered a seat: three entries, three offers.
  holder = await memberWithCredits(app, catalogue);
  for (let k = 0; k < 3; k += 1) {
    const full = await scheduleSession(app, catalogue, { startsInHours: 72 + k, capacity: 1 });
    sessionIds.push(full.id);
    const seat = await book(app, holder, full.id, holder.beneficiaryId);
    success(
      (await execute(app, JoinWaitlist, { input: { sessionId: full.id, beneficiaryId: member.beneficiaryId } }, { token: member.token })).joinWaitlist,
      'JoinWaitlistSuccess',
    );
    success((await execute(app, CancelBooking, { input: { bookingId: seat } }, { token: holder.token })).cancelBooking, 'CancelBookingSuccess');
  }

  // A register of five bookings: booked and cancelled four times, then booked.
  const register = await scheduleSession(app, catalogue, { startsInHours: 96 });
  registerSessionId = register.id;
  sessionIds.push(register.id);
  for (let k = 0; k < 4; k += 1) {
    const bookingId = await book(app, holder, register.id, holder.beneficiaryId);
    success((await execute(app, CancelBooking, { input: { bookingId } }, { token: holder.token })).cancelBooking, 'CancelBookingSuccess');
  }
  await book(app, holder, register.id, holder.beneficiaryId);

  // Five promo codes and five closures (far ahead, on days without sessions).
  for (let k = 0; k < 5; k += 1) {
    success(
      (await execute(app, CreatePromoCode, { input: { organizationId: catalogue.organization.id, code: `CONN${k}`, percentOff: 10 } }, { token: admin.token }))
        .createPromoCode,
      'CreatePromoCodeSuccess',
    );
    const day = new Date(Date.now() + (200 + 10 * k) * 86_400_000).toISOString().slice(0, 10);
    success(
      (await execute(app, CloseVenue, { input: { venueId: catalogue.venue.id, from: day, until: day, reason: `Travaux ${k}` } }, { token: admin.token }))
        .closeVenue,
      'CloseVenueSuccess',
    );
  }
}, 240_000);

const CASES: Case[] = [
  {
    name: 'Member.bookings',
    page: MemberBookings,
    expected: () => bookingIds,
    variables: () => ({ id: member.id }),
    reader: () => member,
    rows: 5,
    refused: () => catalogue.admin,
    refusal: 'FORBIDDEN',
  },
  {
    name: 'Member.orders',
    page: MemberOrders,
    expected: () => orderIds,
    variables: () => ({ id: member.id }),
    reader: () => member,
    rows: 8,
    refused: () => catalogue.admin,
    refusal: 'FORBIDDEN',
  },
  { name: 'Member.creditNotesConnection', page: MemberCreditNotes, list: MemberCreditNotesList, variables: () => ({ id: member.id }), reader: () => member, rows: 3, refused: () => catalogue.admin, refusal: 'FORBIDDEN' },
  { name: 'Member.entitlementsConnection', page: MemberEntitlements, list: MemberEntitlementsList, variables: () => ({ id: member.id }), reader: () => member, rows: 8, refused: () => catalogue.admin, refusal: 'FORBIDDEN' },
  {
    name: 'Member.entitlementsConnection(usableOnly)',
    page: MemberEntitlements,
    list: MemberEntitlementsList,
    variables: () => ({ id: member.id, usableOnly: true }),
    reader: () => member,
    rows: 8,
    refused: () => catalogue.admin,
    refusal: 'FORBIDDEN',
  },
  { name: 'Member.subscriptionsConnection', page: MemberSubscriptions, list: MemberSubscriptionsList, variables: () => ({ id: member.id }), reader: () => member, rows: 3, refused: () => catalogue.admin, refusal: 'FORBIDDEN' },
  { name: 'Member.registrationsConnection', page: MemberRegistrations, list: MemberRegistrationsList, variables: () => ({ id: member.id }), reader: () => member, rows: 5, refused: () => catalogue.admin, refusal: 'FORBIDDEN' },
  { name: 'Member.waitlistEntriesConnection', page: MemberWaitlistEntries, list: MemberWaitlistEntriesList, variables: () => ({ id: member.id }), reader: () => member, rows: 3, refused: () => catalogue.admin, refusal: 'FORBIDDEN' },
  { name: 'Member.waitlistOffersConnection', page: MemberWaitlistOffers, list: MemberWaitlistOffersList, variables: () => ({ id: member.id }), reader: () => member, rows: 3, refused: () => catalogue.admin, refusal: 'FORBIDDEN' },
  // Purchase and five bookings.
  { name: 'Entitlement.ledger', page: EntitlementLedger, variables: () => ({ id: firstLotId }), reader: () => member, rows: 6, refused: () => outsider, refusal: 'HIDDEN' },
  // One lot until it renews (the renewals are subscription-billing.test.ts's).
  {
    name: 'MemberSubscription.entitlementsConnection',
    page: SubscriptionEntitlements,
    list: SubscriptionEntitlementsList,
    variables: () => ({ id: member.id }),
    reader: () => member,
    rows: 1,
    refused: () => catalogue.admin,
    refusal: 'FORBIDDEN',
  },
  {
    name: 'Organization.promoCodesConnection',
    page: OrganizationPromoCodes,
    list: OrganizationPromoCodesList,
    variables: () => ({ id: catalogue.organization.id }),
    reader: () => catalogue.admin,
    rows: 5,
    refused: () => member,
    refusal: 'FORBIDDEN',
  },
  {
    name: 'Organization.registrations(status: PENDING_REVIEW)',
    page: OrganizationPendingRegistrations,
    list: OrganizationPendingRegistrationsList,
    variables: () => ({ id: catalogue.organization.id }),
    reader: () => catalogue.admin,
    rows: 5,
    refused: () => member,
    refusal: 'FORBIDDEN',
  },
  { name: 'Venue.closuresConnection', page: VenueClosures, list: VenueClosuresList, variables: () => ({ id: catalogue.venue.id }), reader: () => catalogue.admin, rows: 5, refused: () => member, refusal: 'FORBIDDEN' },
  {
    name: 'Session.bookingsConnection(includeCancelled)',
    page: SessionRegister,
    list: SessionRegisterList,
    variables: () => ({ id: registerSessionId, includeCancelled: true }),
    reader: () => catalogue.admin,
    rows: 5,
    refused: () => member,
    refusal: 'FORBIDDEN',
  },
  {
    name: 'Session.bookingsConnection',
    page: SessionRegister,
    list: SessionRegisterList,
    variables: () => ({ id: registerSessionId }),
    reader: () => catalogue.admin,
    rows: 1,
    refused: () => member,
    refusal: 'FORBIDDEN',
  },
];

/** Every page of 2, following `endCursor`, with the totalCount each page reported. */
async function walk(c: Case, token: string) {
  const ids: string[] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 50; pages += 1) {
    const data: unknown = await execute(app, c.page, { ...c.variables(), first: 2, after }, { token });
    const page: Page = pageOf(data)!;
    totals.push(page.totalCount);
    expect(page.edges.length).toBeLessThanOrEqual(2);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    ids.push(...page.edges.map((edge) => edge.node.id));
    if (!page.pageInfo.hasNextPage) return { ids, totals };
    after = page.pageInfo.endCursor!;
  }
  throw new Error(`${c.name}: more than 50 pages`);
}

describe('connections: pages of 2 walk the whole set, with totalCount', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const token = c.reader().token;
      const { ids, totals } = await walk(c, token);
      const expected = c.list ? listOf(await execute(app, c.list, c.variables(), { token })) : c.expected?.();
      // Every row once, none missing (in the order of the list, when there is one).
      expect(ids).toHaveLength(c.rows);
      expect(new Set(ids).size).toBe(ids.length);
      if (expected) expect(ids).toEqual(expected);
      expect(totals).toHaveLength(Math.max(1, Math.ceil(c.rows / 2)));
      expect(totals.every((total) => total === c.rows)).toBe(true);
    });
  }

  it('Query.sessions: every session of the filter, and totalCount follows the filter (onlyAvailable)', async () => {
    const organizationId = catalogue.organization.id;
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Page = (await execute(app, Sessions, { organizationId, first: 2, after })).page;
      pages += 1;
      expect(page.totalCount).toBe(sessionIds.length);
      ids.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    // Scheduled in time order: the walk gives them back in that order, each once.
    expect(ids).toEqual(sessionIds);
    expect(pages).toBe(Math.ceil(sessionIds.length / 2));
    // onlyAvailable: the count follows the filter. At least the six sessions with seats to spare.
    const available: Page = (await execute(app, Sessions, { organizationId, first: 200, onlyAvailable: true })).page;
    const counted = (await execute(app, SessionsCountOnly, { organizationId, onlyAvailable: true })).sessions.totalCount;
    expect(available.totalCount).toBe(available.edges.length);
    expect(counted).toBe(available.edges.length);
    expect(counted).toBeGreaterThanOrEqual(6);
  });
});

// The README's example (section "The API by example"), as written there.
const ReadmeExample = graphql(`
  query ConnectionsReadmeExample {
    viewer {
      entitlementsConnection(usableOnly: true, first: 2) {
        totalCount
        edges { cursor node { creditsRemaining validUntil offer { name } } }
        pageInfo { hasNextPage endCursor }
      }
      bookings(filter: { upcoming: true }, first: 2) {
        totalCount
        edges { node { status session { startsAt } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

describe('the README example', () => {
  it("answers a member's first two usable lots and upcoming bookings, with their totals", async () => {
    const viewer = (await execute(app, ReadmeExample, {}, { token: member.token })).viewer!;
    expect(viewer.entitlementsConnection).toMatchObject({ totalCount: 8, pageInfo: { hasNextPage: true } });
    expect(viewer.entitlementsConnection.edges).toHaveLength(2);
    expect(viewer.bookings).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
    expect(viewer.bookings.edges.map((edge) => edge.node.status)).toEqual(['CONFIRMED', 'CONFIRMED']);
  });
});

describe('connections: the same access rules as their lists', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const token = c.refused().token;
      const connection = await request(app, c.page, { ...c.variables(), first: 2 }, { token });
      const answer = (result: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] }) => ({
        codes: (result.errors ?? []).map((error) => error.extensions?.code),
        node: (result.data as { node?: unknown } | null | undefined)?.node ?? null,
      });
      const refusedConnection = answer(connection);
      expect(refusedConnection).toEqual({ codes: c.refusal === 'FORBIDDEN' ? ['FORBIDDEN'] : [], node: null });
      if (c.list) expect(answer(await request(app, c.list, c.variables(), { token }))).toEqual(refusedConnection);
    });
  }

  it('Query.sessions: an inverted range is the same typed VALIDATION for the count as for the page', async () => {
    const filter = { from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' };
    const count = await request(app, SessionsRange, { filter, withPage: false }, { locale: 'en' });
    const page = await request(app, SessionsRange, { filter, withPage: true }, { locale: 'en' });
    for (const result of [count, page]) {
      expect(result.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([['VALIDATION', "The filter's end must be after its start."]]);
    }
  });

  it('Query.sessions stays public: no login, the same totalCount', async () => {
    const organizationId = catalogue.organization.id;
    const anonymous = (await execute(app, SessionsCountOnly, { organizationId })).sessions.totalCount;
    expect(anonymous).toBe(sessionIds.length);
  });
});

describe('connections: a page of 2 and a page of 50 cost the same SQL statements', () => {
  const counted = async (work: () => Promise<unknown>) => (await counter.during(work)).count;

  for (const c of CASES) {
    it(c.name, async () => {
      const token = c.reader().token;
      // Warm: the first request of a shape may prepare what the next ones reuse.
      await execute(app, c.page, { ...c.variables(), first: 2 }, { token });
      let small!: Page;
      let large!: Page;
      const two = await counted(async () => (small = pageOf(await execute(app, c.page, { ...c.variables(), first: 2 }, { token }))!));
      const fifty = await counted(async () => (large = pageOf(await execute(app, c.page, { ...c.variables(), first: 50 }, { token }))!));
      expect(small.edges).toHaveLength(Math.min(2, c.rows));
      expect(large.edges).toHaveLength(c.rows);
      expect(fifty).toBe(two);
    });
  }

  it('Query.sessions', async () => {
    const organizationId = catalogue.organization.id;
    // Warmed in English: the same anonymous request again would be answered from the response
    // cache (src/response-cache.ts) without SQL, and these count an execution.
    await execute(app, Sessions, { organizationId, first: 2 }, { locale: 'en' });
    const two = await counted(() => execute(app, Sessions, { organizationId, first: 2 }));
    const fifty = await counted(() => execute(app, Sessions, { organizationId, first: 50 }));
    expect(fifty).toBe(two);
  });

  it('totalCount costs nothing when not selected, and one COUNT at most when it is', async () => {
    const organizationId = catalogue.organization.id;
    await execute(app, SessionsNoCount, { organizationId }, { locale: 'en' });
    const without = await counter.during(() => execute(app, SessionsNoCount, { organizationId }));
    const withCount = await counter.during(() => execute(app, SessionsWithCount, { organizationId }));
    expect(without.statements.some((sql) => /count\(/i.test(sql))).toBe(false);
    expect(withCount.count).toBe(without.count + 1);
    // A relation's count is folded into the query of its parent: no statement more.
    const token = member.token;
    await execute(app, MemberEntitlementsNoCount, { id: member.id, first: 50 }, { token });
    const relationWithout = await counted(() => execute(app, MemberEntitlementsNoCount, { id: member.id, first: 50 }, { token }));
    const relationWith = await counted(() => execute(app, MemberEntitlements, { id: member.id, first: 50 }, { token }));
    expect(relationWith).toBe(relationWithout);
  });
});

const SubscriptionNode = graphql(`
  query ConnectionsSubscriptionNode($id: ID!) { node(id: $id) { __typename id ... on MemberSubscription { status offer { name } } } }
`);

describe('node(id) of a MemberSubscription', () => {
  it('loads it for its member (the ID it was minted with), and for no one else', async () => {
    const listed = (await execute(app, MemberSubscriptionsList, { id: member.id }, { token: member.token })).node as { all: { id: string }[] };
    expect(listed.all).toHaveLength(3);
    for (const { id } of listed.all) {
      expect((await execute(app, SubscriptionNode, { id }, { token: member.token })).node).toMatchObject({ __typename: 'MemberSubscription', id });
      expect((await execute(app, SubscriptionNode, { id }, { token: outsider.token })).node).toBeNull();
    }
  });
});
