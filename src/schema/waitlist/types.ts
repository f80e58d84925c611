import type { WaitlistEntryStatus, WaitlistOfferStatus, WaitlistPolicy } from '../../generated/prisma/enums.js';
import { claimLink } from '../../links.js';
import { builder } from '../builder.js';
import { prisma } from '../../db/client.js';
import { visibleWaitlistEntry, visibleWaitlistOffer } from '../common/visibility.js';

export const WaitlistPolicyEnum = builder.enumType('WaitlistPolicy', {
  description: "How an organization hands a freed seat to its waitlist.",
  values: {
    FIRST_CLICK_WINS: { description: 'Every waiting member gets an offer at once; the first to claim wins (002; the default).' },
    AUTO_PROMOTE: { description: 'The first in line is booked at once with the credit held for them.' },
    ONE_AT_A_TIME: { description: 'The first in line gets an offer for a window, then the next, and so on.' },
  } satisfies Record<WaitlistPolicy, unknown>,
});

export const WaitlistEntryStatusEnum = builder.enumType('WaitlistEntryStatus', {
  description: 'Where a place in a waitlist stands.',
  values: {
    WAITING: { description: 'In line, holding one credit.' },
    PROMOTED: { description: 'Got a seat: booked with the held credit.' },
    LEFT: { description: 'Left the list; the credit was released.' },
    EXPIRED: { description: 'Claims closed before the session; the credit was released.' },
    CANCELLED: { description: 'The session was cancelled; the credit was released.' },
  } satisfies Record<WaitlistEntryStatus, unknown>,
});

export const WaitlistOfferStatusEnum = builder.enumType('WaitlistOfferStatus', {
  description: 'Where an offer of a freed seat stands.',
  values: {
    OPEN: { description: 'The seat can be claimed now (`claimWaitlistOffer`).' },
    CLAIMED: { description: 'You won the seat: you are booked.' },
    TAKEN: { description: 'Someone else claimed it first; you stay on the waitlist.' },
    EXPIRED: { description: 'Closed: your window passed, claims closed, you left, or you won another seat.' },
  } satisfies Record<WaitlistOfferStatus, unknown>,
});

export const WaitlistEntryRef = builder.prismaNode('WaitlistEntry', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  nullable: true,
  description: "A beneficiary's place in a session's waitlist, holding one credit. Visible to the member and the organization's staff.",
  findUnique: visibleWaitlistEntry,
  authScopes: (entry) => ({ self: entry.memberId, staffOfSession: entry.sessionId }),
  fields: (t) => ({
    status: t.expose('status', { type: WaitlistEntryStatusEnum, description: 'Where it stands.' }),
    session: t.relation('session', { description: 'The full session.' }),
    beneficiary: t.relation('beneficiary', { description: 'Who waits.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When they joined (the order of the line).' }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true, description: 'When it stopped waiting.' }),
    position: t.int({
      nullable: true,
      description: 'Place in line (1 = first) while WAITING; null otherwise.',
      select: { id: true, status: true, sessionId: true, createdAt: true },
      // The line's order is (createdAt, id), as the services read it: entries joined at the same
      // instant (to the millisecond, or on a test clock) keep distinct places.
      resolve: async (entry) =>
        entry.status !== 'WAITING'
          ? null
          : 1 +
            (await prisma.waitlistEntry.count({
              where: {
                sessionId: entry.sessionId,
                status: 'WAITING',
                OR: [{ createdAt: { lt: entry.createdAt } }, { createdAt: entry.createdAt, id: { lt: entry.id } }],
              },
            })),
    }),
    entitlement: t.relation('entitlement', { nullable: true, description: 'The entitlement whose credit is held.' }),
    offers: t.relation('offers', { description: 'Seats offered to this entry, newest first.', query: { orderBy: { createdAt: 'desc' } } }),
  }),
});

export const WaitlistOfferRef = builder.prismaNode('WaitlistOffer', {
  id: { field: 'id', description: 'Global ID (Relay): pass it to `claimWaitlistOffer`.' },
  nullable: true,
  description: 'A freed seat offered to a waiting beneficiary. Visible to the member and the organization\u2019s staff.',
  findUnique: visibleWaitlistOffer,
  authScopes: (offer) => ({ ownerOfWaitlistEntry: offer.waitlistEntryId, staffOfSession: offer.sessionId }),
  fields: (t) => ({
    status: t.expose('status', { type: WaitlistOfferStatusEnum, description: 'OPEN, then CLAIMED, TAKEN or EXPIRED.' }),
    session: t.relation('session', { description: 'The session with the freed seat.' }),
    beneficiary: t.prismaField({
      type: 'Beneficiary',
      description: 'Who the seat is for.',
      select: { id: true },
      resolve: (query, offer) =>
        prisma.beneficiary.findFirstOrThrow({ ...query, where: { waitlistEntries: { some: { offers: { some: { id: offer.id } } } } } }),
    }),
    waitlistEntry: t.relation('waitlistEntry', { description: 'The place in line this offer is for.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'Claims are refused from this instant.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the seat was offered.' }),
    claimUrl: t.string({ description: 'The link sent by email to claim it.', select: { id: true }, resolve: (offer) => claimLink(offer.id) }),
    booking: t.relation('booking', { nullable: true, description: 'The booking, once CLAIMED.' }),
  }),
});
