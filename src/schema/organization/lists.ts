import { createContextCache } from '@pothos/core';
import { queryFromInfo } from '@pothos/plugin-prisma';
import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import type { OrderStatus } from '../../generated/prisma/enums.js';
import { ValidationError } from '../../domain/errors.js';
import { decodeListCursor, encodeListCursor, MAX_SEARCH_LENGTH, searchPattern } from '../../domain/staff-lists.js';
import { countMembers, memberPage, nextBookingIdsOf, usableCreditsOf } from '../../services/organization/staff-lists.js';
import { builder } from '../builder.js';
import { totalCountField } from '../common/connections.js';
import { checkedFilter, decodeId } from '../common/ids.js';
import { OrderStatusEnum } from '../order/types.js';
import { RegistrationStatusEnum } from '../order/registrations.js';
import { MembershipRef } from './roles.js';

// Staff's lists (SPEC §11, issue 12): members found by name, email or beneficiary name; orders by
// status (what is due, unpaid renewals included); registrations. Relay connections with a total,
// staff only. A page costs a bounded number of SQL statements whatever its size: the page and its
// nested relations are folded into a few queries (Prisma plugin), per-item figures are batched
// (DataLoader), and so are the type scopes of the items (schema/builder.ts).

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** The orders `Organization.orders` lists; a malformed or wrongly typed `memberId` is VALIDATION. */
function ordersWhere(organizationId: string, args: { status?: OrderStatus[] | null; memberId?: string | null }) {
  return {
    organizationId,
    ...(args.status?.length ? { status: { in: args.status } } : {}),
    ...(args.memberId ? { memberId: decodeId(args.memberId, 'Member', 'memberId') } : {}),
  };
}

/** When `memberId` is given: it must name a member of the organization (staff see only theirs). */
function memberOf(organizationId: string, args: { memberId?: string | null }) {
  if (!args.memberId) return null;
  const memberId = decodeId(args.memberId, 'Member', 'memberId');
  return {
    key: `member:${organizationId}:${memberId}`,
    entity: 'entity.member' as const,
    field: 'memberId',
    exists: async () => (await prisma.membership.count({ where: { organizationId, memberId } })) > 0,
  };
}

/** Per request, one loader per (organization, figure): a page's members are read in one statement. */
const pageLoaders = createContextCache(() => new Map<string, DataLoader<string, unknown>>());

function pageLoader<V>(context: Context, key: string, batch: (ids: readonly string[]) => Promise<Map<string, V>>): DataLoader<string, V | null> {
  const loaders = pageLoaders(context);
  let loader = loaders.get(key) as DataLoader<string, V | null> | undefined;
  if (!loader) {
    loader = new DataLoader<string, V | null>(async (ids) => {
      const found = await batch(ids);
      return ids.map((id) => found.get(id) ?? null);
    });
    loaders.set(key, loader as DataLoader<string, unknown>);
  }
  return loader;
}

/** `first` of a forward-only page: 1 to MAX_PAGE (default DEFAULT_PAGE); `last`/`before` are refused. */
function forwardPageSize(args: { first?: number | null; last?: number | null; before?: string | null }): number {
  if (args.last != null || args.before != null) {
    throw new ValidationError([{ field: [args.last != null ? 'last' : 'before'], messageKey: 'validation.forwardOnly' }]);
  }
  const first = args.first ?? DEFAULT_PAGE;
  if (first < 1) throw new ValidationError([{ field: ['first'], messageKey: 'validation.tooSmall', params: { min: 1 } }]);
  if (first > MAX_PAGE) throw new ValidationError([{ field: ['first'], messageKey: 'validation.tooLarge', params: { max: MAX_PAGE } }]);
  return first;
}

builder.prismaObjectFields('Organization', (t) => ({
  members: t.connection(
    {
      type: MembershipRef,
      description: `The organization's members (every role; erased accounts left out), by last name then first name. \`search\` finds a part of a member's name or email, or of one of their beneficiaries' names, ignoring case and accents (at most ${MAX_SEARCH_LENGTH} characters). Forward paging only (\`first\` at most ${MAX_PAGE}, \`after\`). Staff only (others get FORBIDDEN).`,
      authScopes: (organization) => ({ staffOf: organization.id }),
      // The search reads the organisation's members and their beneficiaries: a query, not a lookup.
      complexity: 20,
      args: {
        search: t.arg.string({
          required: false,
          description: `Part of a first or last name ("mart", "Léa Mar"), of an email, or of a beneficiary's name; case and accents ignored. Blank: everyone.`,
        }),
      },
      resolve: async (organization, args, context, info) => {
        const first = forwardPageSize(args);
        const pattern = searchPattern(args.search);
        const after = args.after ? decodeListCursor(args.after, 2) : null;
        const rows = await memberPage(organization.id, pattern, first + 1, after);
        const page = rows.slice(0, first);
        const query = queryFromInfo({ context, info, typeName: 'Membership', path: ['edges', 'node'] });
        const memberships = page.length
          ? await prisma.membership.findMany({ ...query, where: { id: { in: page.map((row) => row.id) } } })
          : [];
        const byId = new Map(memberships.map((membership) => [membership.id, membership]));
        const edges = page.flatMap((row) => {
          const node = byId.get(row.id);
          return node ? [{ cursor: encodeListCursor([row.lastKey, row.firstKey], row.id), node }] : [];
        });
        return {
          edges,
          pageInfo: {
            hasNextPage: rows.length > first,
            hasPreviousPage: after !== null,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
          totalCount: () => countMembers(organization.id, pattern),
        };
      },
    },
    {
      name: 'OrganizationMembersConnection',
      description: "A page of an organization's members.",
      fields: (c) => ({
        totalCount: c.int({
          description: 'How many members match the search, on every page.',
          resolve: (connection) => connection.totalCount(),
        }),
      }),
    },
    { name: 'OrganizationMembersEdge', description: 'A member of the organization, with its cursor.' },
  ),

  orders: t.prismaConnection(
    {
      type: 'Order',
      description: `The organization's orders, newest first. \`status: [PENDING, PARTIALLY_PAID]\` lists what is due at the desk, unpaid subscription renewals included (\`Order.subscription\`, \`periodIndex\`); \`memberId\` keeps one member's (NOT_FOUND for an ID of no member of the organization). Staff only (others get FORBIDDEN).`,
      authScopes: (organization) => ({ staffOf: organization.id }),
      cursor: 'id',
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      args: {
        status: t.arg({
          type: [OrderStatusEnum],
          required: false,
          description: 'Only orders in one of these states (absent or empty: every state).',
          extensions: { maxItems: 6 },
        }),
        memberId: t.arg.id({ required: false, description: "Only this member's orders." }),
      },
      resolve: (query, organization, args, context) =>
        checkedFilter(
          context,
          memberOf(organization.id, args),
          prisma.order.findMany({ ...query, where: ordersWhere(organization.id, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
        ),
      // Only when selected: one COUNT beside the page.
      totalCount: (organization, args, context) =>
        checkedFilter(context, memberOf(organization.id, args), prisma.order.count({ where: ordersWhere(organization.id, args) })),
    },
    {
      name: 'OrganizationOrdersConnection',
      description: "A page of an organization's orders.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many orders match the filters, on every page.')) }),
    },
    { name: 'OrganizationOrdersEdge', description: 'An order with its cursor.' },
  ),

  registrations: t.relatedConnection(
    'registrations',
    {
      description:
        'Registrations (001) of the organization, oldest first (the review queue); `status` keeps one state. Staff only (others get FORBIDDEN).',
      authScopes: (organization) => ({ staffOf: organization.id }),
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      args: { status: t.arg({ type: RegistrationStatusEnum, required: false, description: 'Only registrations in this state.' }) },
      query: (args) => ({
        where: args.status ? { status: args.status } : {},
        orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
      }),
    },
    {
      name: 'OrganizationRegistrationsConnection',
      description: "A page of an organization's registrations.",
      fields: (c) => ({
        // Described here; the marker keeps the count folded into the page's query (Prisma plugin).
        totalCount: c.int({ description: 'How many registrations match the filter, on every page.', extensions: { pothosPrismaTotalCount: true }, resolve: (connection) => (connection as unknown as { totalCount: number }).totalCount }),
      }),
    },
    { name: 'OrganizationRegistrationsEdge', description: 'A registration with its cursor.' },
  ),
}));

builder.prismaObjectFields('Membership', (t) => ({
  usableCredits: t.int({
    description:
      "Credits the member's beneficiaries can book with now in this organization (valid lots with credits left; a subscription suspended for an unpaid renewal does not count).",
    resolve: async (membership, _args, context) => {
      const now = context.clock.now();
      const loader = pageLoader(context, `credits:${membership.organizationId}`, (ids) =>
        usableCreditsOf(membership.organizationId, ids, now),
      );
      return (await loader.load(membership.memberId)) ?? 0;
    },
  }),
  nextBooking: t.prismaField({
    type: 'Booking',
    nullable: true,
    description: "The member's next booking in this organization (any of their beneficiaries), or null.",
    resolve: async (query, membership, _args, context) => {
      const now = context.clock.now();
      // The page's members share one selection (`query`): one lookup of ids, one read of the bookings.
      const loader = pageLoader(context, `next-booking:${membership.organizationId}:${JSON.stringify(query)}`, async (memberIds) => {
        const ids = await nextBookingIdsOf(membership.organizationId, memberIds, now);
        const bookings = ids.size ? await prisma.booking.findMany({ ...query, where: { id: { in: [...ids.values()] } } }) : [];
        const byId = new Map(bookings.map((booking) => [booking.id, booking]));
        return new Map([...ids].flatMap(([memberId, bookingId]) => (byId.has(bookingId) ? [[memberId, byId.get(bookingId)!]] : [])));
      });
      return loader.load(membership.memberId);
    },
  }),
}));

builder.prismaObjectField('Order', 'member', (t) =>
  t.relation('member', { description: 'Who ordered: the account holder (staff see their name and email).' }),
);
