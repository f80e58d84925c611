import { ownedOrStaffed } from '../common/visibility.js';
import type { EntitlementStatus, LedgerReason, SubscriptionStatus } from '../../generated/prisma/enums.js';
import { builder } from '../builder.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';

export const EntitlementStatusEnum = builder.enumType('EntitlementStatus', {
  description: 'Whether an entitlement can still be used.',
  values: {
    ACTIVE: { description: 'Usable until `validUntil` while it has credits.' },
    EXPIRED: { description: 'Past its validity (or rolled over into a newer lot): its remaining credits expired.' },
    REVOKED: { description: 'Withdrawn (refunded order): its credits were removed.' },
  } satisfies Record<EntitlementStatus, unknown>,
});

export const LedgerReasonEnum = builder.enumType('LedgerReason', {
  description: 'Why a credit balance changed.',
  values: {
    GRANT: { description: 'Credits bought (a pack, or a subscription period).' },
    DEBIT: { description: 'A booking used a credit.' },
    RECREDIT: { description: 'A credit came back: cancelled in time, session cancelled, or restored by staff.' },
    FORFEIT: {
      description:
        'Credits lost by a rule: a late cancellation (recorded with delta 0, the booking’s debit stands) or credits beyond the rollover cap.',
    },
    EXPIRE: { description: 'End of validity: the remaining credits expired.' },
    ROLLOVER: { description: 'Unused subscription credits carried into the next period (out of one lot, into a new one).' },
    HOLD: { description: 'A credit held while waiting on a waitlist.' },
    RELEASE: { description: 'A held credit released (left the waitlist, or it closed).' },
    ADJUSTMENT: { description: 'A correction by staff, with a note.' },
    REFUND: { description: 'Credits taken back by a staff refund of the order that bought them (`refundOrder`).' },
  } satisfies Record<LedgerReason, unknown>,
});

export const SubscriptionStatusEnum = builder.enumType('SubscriptionStatus', {
  description: 'Where a subscription stands.',
  values: {
    ACTIVE: { description: 'Renewed at each period.' },
    SUSPENDED: { description: 'Booking with it is suspended (a renewal left unpaid past the grace period).' },
    TERMINATED: { description: 'Ended.' },
  } satisfies Record<SubscriptionStatus, unknown>,
});

export const CreditLedgerEntryRef = builder.prismaObject('CreditLedgerEntry', {
  description: 'One change of a credit balance. The ledger is append-only and the balance is the sum of its entries.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Identifier of the entry.' }),
    delta: t.exposeInt('delta', { description: 'Credits added (positive) or removed (negative).' }),
    reason: t.expose('reason', { type: LedgerReasonEnum, description: 'Why.' }),
    note: t.exposeString('note', { nullable: true, description: 'Details (e.g. the medical certificate, a staff note).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When.' }),
    booking: t.relation('booking', { nullable: true, description: 'The booking concerned, if any.' }),
  }),
});

export const ValidityExtensionRef = builder.prismaObject('ValidityExtension', {
  description: 'A validity extension granted by staff (pool closure, medical inability).',
  fields: (t) => ({
    previousValidUntil: t.expose('previousValidUntil', { type: 'DateTime', description: 'End of validity before.' }),
    newValidUntil: t.expose('newValidUntil', { type: 'DateTime', description: 'End of validity after.' }),
    reason: t.exposeString('reason', { description: 'Why it was granted.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When.' }),
  }),
});

export const EntitlementRef = builder.prismaNode('Entitlement', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: ownedOrStaffed,
  nullable: true,
  description:
    "Credits a beneficiary can spend: a pack, one subscription period, or credits carried over from the previous period. Visible to the member and to the organization's staff.",
  authScopes: (entitlement) => ({ self: entitlement.memberId, staffOf: entitlement.organizationId }),
  fields: (t) => ({
    offer: t.relation('offer', { description: 'What was bought.' }),
    beneficiary: t.relation('beneficiary', { description: 'Whose credits these are (packs are nominative).' }),
    creditsRemaining: t.exposeInt('creditsRemaining', { description: 'Balance: the sum of the ledger entries, never negative.' }),
    validFrom: t.expose('validFrom', { type: 'DateTime', description: 'Sessions starting from this instant can be booked with it.' }),
    validUntil: t.expose('validUntil', {
      type: 'DateTime',
      description: 'Sessions must start before this instant; the remaining credits expire then.',
    }),
    status: t.expose('status', { type: EntitlementStatusEnum, description: 'Whether it can still be used.' }),
    carriedOver: t.boolean({
      description: 'True for credits carried over from the previous subscription period (used first, 003 §9.2).',
      select: { rolloverCount: true },
      resolve: (entitlement) => entitlement.rolloverCount > 0,
    }),
    carriedFrom: t.relation('carriedFrom', { nullable: true, description: 'The lot these credits were carried from.' }),
    subscription: t.relation('subscription', { type: SubscriptionRef, nullable: true, description: 'The subscription this period belongs to.' }),
    ledger: t.relatedConnection(
      'ledger',
      {
        cursor: 'id',
        description: 'Every change of the balance, oldest first.',
        query: { orderBy: [{ sequence: 'asc' }] },
        totalCount: true,
        defaultSize: 100,
        maxSize: 500,
      },
      {
        name: 'CreditLedgerConnection',
        description: 'A page of ledger entries.',
        fields: (c) => ({ totalCount: c.int(totalCountField('How many entries the ledger holds, on every page.')) }),
      },
      { name: 'CreditLedgerEdge', description: 'A ledger entry with its cursor.' },
    ),
    extensions: t.relation('extensions', {
      description: 'Validity extensions granted by staff.',
      query: { orderBy: { createdAt: 'asc' } },
    }),
  }),
});

const subscriptionLotsQuery = {
  orderBy: [{ validFrom: 'desc' as const }, { rolloverCount: 'desc' as const }, { id: 'desc' as const }],
};

// Named MemberSubscription in GraphQL: `Subscription` is the schema's root type for live updates.
export const SubscriptionRef = builder.prismaNode('Subscription', {
  variant: 'MemberSubscription',
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: ownedOrStaffed,
  nullable: true,
  description: "A subscription (Pass): K credits per period, renewed automatically. Visible to the member and the organization's staff.",
  authScopes: (subscription) => ({ self: subscription.memberId, staffOf: subscription.organizationId }),
  fields: (t) => ({
    status: t.expose('status', { type: SubscriptionStatusEnum, description: 'Where it stands.' }),
    offer: t.relation('offer', { description: 'The subscription offer.' }),
    beneficiary: t.relation('beneficiary', { description: 'Who it is for.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'Start of the first period (the billing date, local midnight).' }),
    currentPeriodIndex: t.exposeInt('currentPeriodIndex', { description: 'Index of the current period (0 for the first).' }),
    currentPeriodStart: t.expose('currentPeriodStart', { type: 'DateTime', description: 'Start of the current period.' }),
    currentPeriodEnd: t.expose('currentPeriodEnd', { type: 'DateTime', description: 'End of the current period: the next renewal.' }),
    commitmentEndsAt: t.expose('commitmentEndsAt', { type: 'DateTime', nullable: true, description: 'End of the commitment, if any.' }),
    entitlements: t.relation('entitlements', {
      description: 'Its credit lots, period by period (carried-over lots included), newest first.',
      // One or two lots a period, renewed until it ends: no bound.
      deprecationReason: useConnection('entitlementsConnection'),
      query: subscriptionLotsQuery,
    }),
    entitlementsConnection: t.relatedConnection(
      'entitlements',
      {
        description: 'Its credit lots, period by period (carried-over lots included), newest first.',
        cursor: 'id',
        totalCount: true,
        defaultSize: DEFAULT_PAGE,
        maxSize: MAX_PAGE,
        query: subscriptionLotsQuery,
      },
      {
        name: 'MemberSubscriptionEntitlementsConnection',
        description: "A page of a subscription's credit lots.",
        fields: (c) => ({ totalCount: c.int(totalCountField('How many lots the subscription has, on every page.')) }),
      },
      { name: 'MemberSubscriptionEntitlementsEdge', description: 'A credit lot with its cursor.' },
    ),
  }),
});
