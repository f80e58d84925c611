import { ownerOnly } from '../member/types.js';
import { prisma } from '../../db/client.js';
import { builder } from '../builder.js';
import { WaitlistEntryRef, WaitlistOfferStatusEnum } from './types.js';

builder.prismaObjectFields('Member', (t) => ({
  waitlistEntries: t.relation('waitlistEntries', {
    type: WaitlistEntryRef,
    authScopes: ownerOnly,
      description: "The member's places in waitlists, WAITING ones first, then newest first.",
    args: { onlyWaiting: t.arg.boolean({ required: false, description: 'Only the places still in line.' }) },
    query: (args) => ({
      where: args.onlyWaiting ? { status: 'WAITING' as const } : {},
      orderBy: [{ status: 'asc' as const }, { createdAt: 'desc' as const }],
    }),
  }),
  waitlistOffers: t.prismaField({
    type: ['WaitlistOffer'],
    authScopes: ownerOnly,
      description: "Seats offered to the member's beneficiaries, newest first (the current state of `myWaitlistOffers`, e.g. after a reconnect).",
    args: { status: t.arg({ type: WaitlistOfferStatusEnum, required: false, description: 'Only offers in this state (e.g. OPEN).' }) },
    resolve: (query, member, args) =>
      prisma.waitlistOffer.findMany({
        ...query,
        where: { waitlistEntry: { memberId: member.id }, ...(args.status ? { status: args.status } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
}));
