import { prisma } from '../../db/client.js';
import { NotFoundError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { decodeSessionFilter, SessionFilter } from './filter.js';

builder.queryField('sessions', (t) =>
  t.prismaConnection({
    type: 'Session',
    cursor: 'startsAt_id',
    description:
      'Sessions matching the filter, by start time. Without `from`, only sessions that have not started yet. Public (lobby screens need no login).',
    authScopes: { public: true },
    skipTypeScopes: true,
    defaultSize: 50,
    maxSize: 200,
    args: { filter: t.arg({ type: SessionFilter, required: true, description: 'Which sessions.' }) },
    resolve: async (query, _root, args, context) => {
      let filter;
      try {
        filter = decodeSessionFilter(args.filter);
      } catch (error) {
        // An ID that names nothing selects nothing.
        if (error instanceof NotFoundError) return [];
        throw error;
      }
      return prisma.session.findMany({
        ...query,
        where: {
          id: filter.ids ? { in: filter.ids } : undefined,
          organizationId: filter.organizationId,
          venueId: filter.venueId,
          activityId: filter.activityId,
          startsAt: { gte: filter.from ?? context.clock.now(), lt: filter.to },
          ...(filter.onlyAvailable
            ? { status: 'SCHEDULED' as const, seatsTaken: { lt: prisma.session.fields.capacity } }
            : {}),
        },
        orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
      });
    },
  }, {
    name: 'SessionConnection',
    description: 'A page of sessions, by start time.',
  }, {
    name: 'SessionEdge',
    description: 'A session with its cursor.',
  }),
);

builder.queryField('offers', (t) =>
  t.prismaField({
    type: ['Offer'],
    description: "The organization's offers on sale, cheapest first. Public.",
    authScopes: { public: true },
    skipTypeScopes: true,
    args: { organizationId: t.arg.id({ required: true, description: 'The organization.' }) },
    resolve: (query, _root, args) => {
      let organizationId: string;
      try {
        organizationId = decodeId(args.organizationId, 'Organization', 'organizationId');
      } catch {
        return [];
      }
      return prisma.offer.findMany({
        ...query,
        where: { organizationId, active: true },
        orderBy: [{ priceCents: 'asc' }, { id: 'asc' }],
      });
    },
  }),
);
