import { prisma } from '../../db/client.js';
import { builder } from '../builder.js';

builder.queryField('viewer', (t) =>
  t.prismaField({
    type: 'Member',
    nullable: true,
    description: 'The logged-in member, or null without a valid token.',
    authScopes: { public: true },
    skipTypeScopes: true,
    resolve: (query, _root, _args, context) =>
      context.viewer
        ? prisma.member.findFirst({ ...query, where: { id: context.viewer.memberId, erasedAt: null } })
        : null,
  }),
);
