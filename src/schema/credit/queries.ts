import { ownerOnly } from '../member/types.js';
import { SubscriptionRef } from './types.js';
import { builder } from '../builder.js';

builder.prismaObjectFields('Member', (t) => ({
  entitlements: t.relation('entitlements', {
    authScopes: ownerOnly,
    description:
      "Credits of the member's beneficiaries: packs, subscription periods and carried-over lots. With `usableOnly`, the lots that still hold valid credits, in the order bookings use them (expiring first).",
    args: { usableOnly: t.arg.boolean({ required: false, description: 'Only lots with credits that can still be used.' }) },
    query: (args, context) =>
      args.usableOnly
        ? {
            where: {
              status: 'ACTIVE' as const,
              creditsRemaining: { gt: 0 },
              validUntil: { gt: context.clock.now() },
              // A suspended subscription's credits cannot book (unpaid past the grace period).
              OR: [{ subscriptionId: null }, { subscription: { status: { not: 'SUSPENDED' as const } } }],
            },
            orderBy: [{ validUntil: 'asc' as const }, { rolloverCount: 'desc' as const }, { validFrom: 'asc' as const }],
          }
        : { orderBy: [{ validFrom: 'desc' as const }, { rolloverCount: 'asc' as const }] },
  }),
  subscriptions: t.relation('subscriptions', {
    type: SubscriptionRef,
    authScopes: ownerOnly,
      description: "The member's subscriptions, newest first.",
    query: { orderBy: { startedAt: 'desc' as const } },
  }),
}));
