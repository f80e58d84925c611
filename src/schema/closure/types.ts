import { DEFAULT_PAGE, MAX_PAGE, totalCountField } from '../common/connections.js';
import { builder } from '../builder.js';
import { VenueRef } from '../catalogue/types.js';
import { ValidityExtensionRef } from '../credit/types.js';
import { CreditNoteRef } from '../order/types.js';

// Venue closures (SPEC §11; 004). A closure's record is staff-only; whether a venue is closed for
// good is public (members and lobby screens see it).

export const VenueClosureRef = builder.prismaObject('VenueClosure', {
  description:
    'A venue closed over a range of local days, or for good from a day on (004). Its sessions in the range were cancelled; the affected packs and passes were extended by its length (`extensionDays`), or, for a definitive closure, turned into credit notes.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Identifier of the closure.' }),
    venue: t.relation('venue', { type: VenueRef, description: 'The closed venue.' }),
    from: t.expose('fromDate', { type: 'Date', description: "First closed day, in the organization's time zone." }),
    until: t.expose('untilDate', { type: 'Date', nullable: true, description: 'Last closed day (inclusive); null for a definitive closure.' }),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'Local midnight starting the first day.' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', nullable: true, description: 'Local midnight after the last day; null for a definitive closure.' }),
    reason: t.exposeString('reason', { description: 'Why, as told to the members.' }),
    definitive: t.exposeBoolean('definitive', { description: 'Closed for good: members got credit notes for their unused credits.' }),
    extensionDays: t.exposeInt('extensionDays', { description: 'Days the affected packs and passes were extended by (0 when not asked).' }),
    sessionsCancelled: t.exposeInt('sessionsCancelled', { description: 'Sessions it cancelled.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When staff recorded it.' }),
    extensions: t.relation('extensions', {
      type: ValidityExtensionRef,
      description: 'The validity extensions it granted, one per lot.',
      query: { orderBy: { createdAt: 'asc' } },
    }),
    creditNotes: t.relation('creditNotes', {
      type: CreditNoteRef,
      description: 'The credit notes it issued (definitive closure), one per member.',
      query: { orderBy: { id: 'asc' } },
    }),
  }),
});

const closuresQuery = { orderBy: [{ startsAt: 'desc' as const }, { id: 'asc' as const }] };

builder.prismaObjectFields(VenueRef, (t) => ({
  closedForGoodFrom: t.field({
    type: 'DateTime',
    nullable: true,
    description: 'When the venue closed (or closes) for good, if it does (`closeVenue` with `definitive`). Public.',
    select: { closures: { where: { definitive: true }, select: { startsAt: true } } },
    resolve: (venue) => venue.closures[0]?.startsAt ?? null,
  }),
  closures: t.relation('closures', {
    type: VenueClosureRef,
    description: "The venue's 100 newest closures, newest first. Staff of the organization only (others get FORBIDDEN).",
    // Closures accumulate over the years; this list stops at 100 where the connection goes on.
    deprecationReason: 'Use closuresConnection: this list stops at the 100 newest, the connection pages through all, with totalCount.',
    authScopes: (venue) => ({ staffOf: venue.organizationId }),
    query: { ...closuresQuery, take: 100 },
  }),
  closuresConnection: t.relatedConnection(
    'closures',
    {
      type: VenueClosureRef,
      description: "The venue's closures, newest first. Staff of the organization only (others get FORBIDDEN).",
      authScopes: (venue) => ({ staffOf: venue.organizationId }),
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: closuresQuery,
    },
    {
      name: 'VenueClosuresConnection',
      description: "A page of a venue's closures.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many closures the venue has had, on every page.')) }),
    },
    { name: 'VenueClosuresEdge', description: 'A closure with its cursor.' },
  ),
}));

builder.prismaObjectFields(CreditNoteRef, (t) => ({
  venueClosure: t.relation('venueClosure', {
    type: VenueClosureRef,
    nullable: true,
    description: 'The definitive closure this note compensates, if it does: refundable after it expires when no venue is open within 15 km (004).',
  }),
  refundedAt: t.field({
    type: 'DateTime',
    nullable: true,
    description: 'When what was left of it was paid back (`refundCreditNote`), if it was.',
    select: { refund: { select: { createdAt: true } } },
    resolve: (note) => note.refund?.createdAt ?? null,
  }),
}));
