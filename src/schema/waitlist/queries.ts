import { ownerOnly } from '../member/types.js';
import { prisma } from '../../db/client.js';
import type { WaitlistOfferStatus } from '../../generated/prisma/enums.js';
import { builder } from '../builder.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';
import { WaitlistEntryRef, WaitlistOfferRef, WaitlistOfferStatusEnum } from './types.js';

const entriesDescription = "The member's places in waitlists, WAITING ones first, then newest first.";
const entriesQuery = (args: { onlyWaiting?: boolean | null }) => ({
  where: args.onlyWaiting ? { status: 'WAITING' as const } : {},
  orderBy: [{ status: 'asc' as const }, { createdAt: 'desc' as const }, { id: 'desc' as const }],
});

const offersDescription =
  "Seats offered to the member's beneficiaries, newest first (the current state of `myWaitlistOffers`, e.g. after a reconnect).";
const offersWhere = (memberId: string, args: { status?: WaitlistOfferStatus | null }) => ({
  waitlistEntry: { memberId },
  ...(args.status ? { status: args.status } : {}),
});

builder.prismaObjectFields('Member', (t) => ({
  waitlistEntries: t.relation('waitlistEntries', {
    type: WaitlistEntryRef,
    authScopes: ownerOnly,
    description: entriesDescription,
    // Every waitlist joined stays in the history: no bound.
    deprecationReason: useConnection('waitlistEntriesConnection'),
    args: { onlyWaiting: t.arg.boolean({ required: false, description: 'Only the places still in line.' }) },
    query: entriesQuery,
  }),
  waitlistEntriesConnection: t.relatedConnection(
    'waitlistEntries',
    {
      type: WaitlistEntryRef,
      authScopes: ownerOnly,
      description: `${entriesDescription} Only the member (others get FORBIDDEN).`,
      args: { onlyWaiting: t.arg.boolean({ required: false, description: 'Only the places still in line.' }) },
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: entriesQuery,
    },
    {
      name: 'MemberWaitlistEntriesConnection',
      description: "A page of a member's places in waitlists.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many places match `onlyWaiting`, on every page.')) }),
    },
    { name: 'MemberWaitlistEntriesEdge', description: 'A place in a waitlist with its cursor.' },
  ),
  waitlistOffers: t.prismaField({
    type: ['WaitlistOffer'],
    authScopes: ownerOnly,
    description: offersDescription,
    // Every seat ever offered stays in the history: no bound.
    deprecationReason: useConnection('waitlistOffersConnection'),
    args: { status: t.arg({ type: WaitlistOfferStatusEnum, required: false, description: 'Only offers in this state (e.g. OPEN).' }) },
    resolve: (query, member, args) =>
      prisma.waitlistOffer.findMany({ ...query, where: offersWhere(member.id, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
  waitlistOffersConnection: t.prismaConnection(
    {
      type: WaitlistOfferRef,
      authScopes: ownerOnly,
      description: `${offersDescription} Only the member (others get FORBIDDEN).`,
      args: { status: t.arg({ type: WaitlistOfferStatusEnum, required: false, description: 'Only offers in this state (e.g. OPEN).' }) },
      cursor: 'id',
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      resolve: (query, member, args) =>
        prisma.waitlistOffer.findMany({ ...query, where: offersWhere(member.id, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      // Only when selected: one COUNT beside the page.
      totalCount: (member, args) => prisma.waitlistOffer.count({ where: offersWhere(member.id, args) }),
    },
    {
      name: 'MemberWaitlistOffersConnection',
      description: "A page of the seats offered to a member's beneficiaries.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many offers match `status`, on every page.')) }),
    },
    { name: 'MemberWaitlistOffersEdge', description: 'A waitlist offer with its cursor.' },
  ),
}));
