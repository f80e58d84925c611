import type { Context } from '../../context.js';
import { ownerOnly } from '../member/types.js';
import { SubscriptionRef } from './types.js';
import { builder } from '../builder.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';

const entitlementsDescription =
  "Credits of the member's beneficiaries: packs, subscription periods and carried-over lots. With `usableOnly`, the lots that still hold valid credits, in the order bookings use them (expiring first).";

/** The lots listed, in the same order for the list and the connection (`id` last: a total order). */
const entitlementsQuery = (args: { usableOnly?: boolean | null }, context: Context) =>
  args.usableOnly
    ? {
        where: {
          status: 'ACTIVE' as const,
          creditsRemaining: { gt: 0 },
          validUntil: { gt: context.clock.now() },
          // A suspended subscription's credits cannot book (unpaid past the grace period).
          OR: [{ subscriptionId: null }, { subscription: { status: { not: 'SUSPENDED' as const } } }],
        },
        orderBy: [{ validUntil: 'asc' as const }, { rolloverCount: 'desc' as const }, { validFrom: 'asc' as const }, { id: 'asc' as const }],
      }
    : { orderBy: [{ validFrom: 'desc' as const }, { rolloverCount: 'asc' as const }, { id: 'desc' as const }] };

const subscriptionsQuery = { orderBy: [{ startedAt: 'desc' as const }, { id: 'desc' as const }] };

builder.prismaObjectFields('Member', (t) => ({
  entitlements: t.relation('entitlements', {
    authScopes: ownerOnly,
    description: entitlementsDescription,
    // Every pack bought and every subscription period adds lots: the history has no bound.
    deprecationReason: useConnection('entitlementsConnection'),
    args: { usableOnly: t.arg.boolean({ required: false, description: 'Only lots with credits that can still be used.' }) },
    query: entitlementsQuery,
  }),
  entitlementsConnection: t.relatedConnection(
    'entitlements',
    {
      authScopes: ownerOnly,
      description: `${entitlementsDescription} Only the member (others get FORBIDDEN).`,
      args: { usableOnly: t.arg.boolean({ required: false, description: 'Only lots with credits that can still be used.' }) },
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: entitlementsQuery,
    },
    {
      name: 'MemberEntitlementsConnection',
      description: "A page of a member's credit lots.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many lots match `usableOnly`, on every page.')) }),
    },
    { name: 'MemberEntitlementsEdge', description: 'A credit lot with its cursor.' },
  ),
  subscriptions: t.relation('subscriptions', {
    type: SubscriptionRef,
    authScopes: ownerOnly,
    description: "The member's subscriptions, newest first.",
    deprecationReason: useConnection('subscriptionsConnection'),
    query: subscriptionsQuery,
  }),
  subscriptionsConnection: t.relatedConnection(
    'subscriptions',
    {
      type: SubscriptionRef,
      authScopes: ownerOnly,
      description: "The member's subscriptions, newest first. Only the member (others get FORBIDDEN).",
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: subscriptionsQuery,
    },
    {
      name: 'MemberSubscriptionsConnection',
      description: "A page of a member's subscriptions.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many subscriptions the member has (ended ones included), on every page.')) }),
    },
    { name: 'MemberSubscriptionsEdge', description: 'A subscription with its cursor.' },
  ),
}));
