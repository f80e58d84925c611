import { prisma } from '../../db/client.js';
import { NotFoundError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { decodeSessionFilter, SessionFilter } from './filter.js';

/** A filter no row matches (every table's key is `id`). */
const NOTHING = { id: { in: [] as string[] } };

/** The decoded argument, or null when one of its IDs names nothing (NotFound); other errors stand. */
function decodeOrNothing<T>(decode: () => T): T | null {
  try {
    return decode();
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

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
    // An ID that names nothing selects nothing. The query still runs (PostgreSQL answers an empty
    // `id IN ()` at once), so that every filter takes one path and Pothos's selection is always used.
    resolve: (query, _root, args, context) => {
      const filter = decodeOrNothing(() => decodeSessionFilter(args.filter));
      return prisma.session.findMany({
        ...query,
        where: filter
          ? {
              id: filter.ids ? { in: filter.ids } : undefined,
              organizationId: filter.organizationId,
              venueId: filter.venueId,
              activityId: filter.activityId,
              startsAt: { gte: filter.from ?? context.clock.now(), lt: filter.to },
              ...(filter.onlyAvailable
                ? { status: 'SCHEDULED' as const, seatsTaken: { lt: prisma.session.fields.capacity } }
                : {}),
            }
          : NOTHING,
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
      const organizationId = decodeOrNothing(() => decodeId(args.organizationId, 'Organization', 'organizationId'));
      return prisma.offer.findMany({
        ...query,
        where: organizationId ? { organizationId, active: true } : NOTHING,
        orderBy: [{ priceCents: 'asc' }, { id: 'asc' }],
      });
    },
  }),
);
