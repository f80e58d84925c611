import { ownerOnly } from '../member/types.js';
import { builder } from '../builder.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';
import { CreditNoteRef } from './types.js';

builder.prismaObjectField('Member', 'orders', (t) =>
  t.relatedConnection(
    'orders',
    {
      cursor: 'id',
      authScopes: ownerOnly,
      description: "The member's orders, newest first.",
      query: { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] },
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
    },
    {
      name: 'OrderConnection',
      description: 'A page of orders.',
      fields: (c) => ({ totalCount: c.int(totalCountField('How many orders the member has, on every page.')) }),
    },
    { name: 'OrderEdge', description: 'An order with its cursor.' },
  ),
);

const creditNotesQuery = { orderBy: [{ issuedAt: 'desc' as const }, { id: 'desc' as const }] };

builder.prismaObjectFields('Member', (t) => ({
  creditNotes: t.relation('creditNotes', {
    authScopes: ownerOnly,
    description: "The member's credit notes, newest first.",
    deprecationReason: useConnection('creditNotesConnection'),
    query: creditNotesQuery,
  }),
  creditNotesConnection: t.relatedConnection(
    'creditNotes',
    {
      type: CreditNoteRef,
      cursor: 'id',
      authScopes: ownerOnly,
      description: "The member's credit notes, newest first. Only the member (others get FORBIDDEN).",
      query: creditNotesQuery,
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
    },
    {
      name: 'MemberCreditNotesConnection',
      description: "A page of a member's credit notes.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many credit notes the member has, on every page.')) }),
    },
    { name: 'MemberCreditNotesEdge', description: 'A credit note with its cursor.' },
  ),
}));
