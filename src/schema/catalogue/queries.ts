import { prisma } from '../../db/client.js';
import { builder } from '../builder.js';
import { assertIdsExist, decodeId } from '../common/ids.js';
import { assertFilterIdsExist, decodeSessionFilter, SessionFilter } from './filter.js';

builder.queryField('sessions', (t) =>
  t.prismaConnection({
    type: 'Session',
    cursor: 'startsAt_id',
    description:
      'Sessions matching the filter, by start time. Without `from`, only sessions that have not started yet. Public (lobby screens need no login). An ID in the filter that names nothing answers NOT_FOUND, a malformed one (or one of another type) VALIDATION, with `extensions.field` (e.g. `["filter", "venueId"]`).',
    authScopes: { public: true },
    skipTypeScopes: true,
    defaultSize: 50,
    maxSize: 200,
    args: { filter: t.arg({ type: SessionFilter, required: true, description: 'Which sessions.' }) },
    // A malformed ID is VALIDATION before any read; an ID of nothing is NOT_FOUND, checked after
    // the page is read, so that a filter with an answer costs no statement more (filter.ts).
    resolve: async (query, _root, args, context) => {
      const filter = decodeSessionFilter(args.filter);
      const sessions = await prisma.session.findMany({
        ...query,
        where: {
          id: filter.ids ? { in: filter.ids } : undefined,
          organizationId: filter.organizationId,
          venueId: filter.venueId,
          activityId: filter.activityId,
          startsAt: { gte: filter.from ?? context.clock.now(), lt: filter.to },
          ...(filter.onlyAvailable ? { status: 'SCHEDULED' as const, seatsTaken: { lt: prisma.session.fields.capacity } } : {}),
        },
        orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
      });
      await assertFilterIdsExist(filter, sessions);
      return sessions;
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
    description: "The organization's offers on sale, cheapest first. Public. An `organizationId` of no organization answers NOT_FOUND, a malformed one VALIDATION.",
    authScopes: { public: true },
    skipTypeScopes: true,
    args: { organizationId: t.arg.id({ required: true, description: 'The organization.' }) },
    resolve: async (query, _root, args) => {
      const organizationId = decodeId(args.organizationId, 'Organization', ['organizationId']);
      const offers = await prisma.offer.findMany({
        ...query,
        where: { organizationId, active: true },
        orderBy: [{ priceCents: 'asc' }, { id: 'asc' }],
      });
      // An offer on sale proves its organization; none, and one statement tells "none on sale" from NOT_FOUND.
      if (offers.length === 0) await assertIdsExist([{ typename: 'Organization', id: organizationId, field: ['organizationId'] }]);
      return offers;
    },
  }),
);
