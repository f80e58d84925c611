import { prisma } from '../../db/client.js';
import { builder } from '../builder.js';

builder.queryField('organization', (t) =>
  t.prismaField({
    type: 'Organization',
    nullable: true,
    description: 'An organization by its slug; null when there is none.',
    authScopes: { public: true },
    skipTypeScopes: true,
    args: { slug: t.arg.string({ required: true, description: 'The organization slug, e.g. "aquababyclub".' }) },
    resolve: (query, _root, args) => prisma.organization.findUnique({ ...query, where: { slug: args.slug } }),
  }),
);
