import { prisma } from '../../db/client.js';
import { isValidSlug } from '../../domain/validation.js';
import { builder } from '../builder.js';

builder.queryField('organization', (t) =>
  t.prismaField({
    type: 'Organization',
    nullable: true,
    description: 'An organization by its slug; null when there is none.',
    authScopes: { public: true },
    skipTypeScopes: true,
    args: { slug: t.arg.string({ required: true, description: 'The organization slug, e.g. "aquababyclub".' }) },
    // Not a slug (too long, wrong characters): no organization has it, no need to ask.
    resolve: (query, _root, args) => (isValidSlug(args.slug) ? prisma.organization.findUnique({ ...query, where: { slug: args.slug } }) : null),
  }),
);
