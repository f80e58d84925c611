import { ownerOnly } from '../member/types.js';
import { builder } from '../builder.js';

builder.prismaObjectField('Member', 'orders', (t) =>
  t.relatedConnection(
    'orders',
    {
      cursor: 'id',
      authScopes: ownerOnly,
      description: "The member's orders, newest first.",
      query: { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] },
      defaultSize: 50,
      maxSize: 200,
    },
    { name: 'OrderConnection', description: 'A page of orders.' },
    { name: 'OrderEdge', description: 'An order with its cursor.' },
  ),
);

builder.prismaObjectField('Member', 'creditNotes', (t) =>
  t.relation('creditNotes', {
    authScopes: ownerOnly,
      description: "The member's credit notes, newest first.",
    query: { orderBy: [{ issuedAt: 'desc' as const }, { id: 'desc' as const }] },
  }),
);
