import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { builder } from '../builder.js';
import { assertIdsExist, decodeId } from '../common/ids.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField } from '../common/connections.js';
import { assertFilterIdsExist, type DecodedSessionFilter, decodeSessionFilter, SessionFilter, type SessionFilterShape } from './filter.js';

/**
 * The rows `sessions` selects, computed once per request (`args` is the same object for the page
 * and its count), so that `totalCount` counts exactly what the pages walk, with the same `now`. A
 * malformed ID throws VALIDATION here, for the page and the count alike.
 */
const sessionWheres = new WeakMap<object, { filter: DecodedSessionFilter; where: Prisma.SessionWhereInput }>();

function sessionWhere(args: { filter: SessionFilterShape }, context: Context) {
  const known = sessionWheres.get(args);
  if (known) return known;
  const filter = decodeSessionFilter(args.filter);
  const where: Prisma.SessionWhereInput = {
    id: filter.ids ? { in: filter.ids } : undefined,
    organizationId: filter.organizationId,
    venueId: filter.venueId,
    activityId: filter.activityId,
    startsAt: { gte: filter.from ?? context.clock.now(), lt: filter.to },
    ...(filter.onlyAvailable ? { status: 'SCHEDULED' as const, seatsTaken: { lt: prisma.session.fields.capacity } } : {}),
  };
  const decoded = { filter, where };
  sessionWheres.set(args, decoded);
  return decoded;
}

builder.queryField('sessions', (t) =>
  t.prismaConnection({
    type: 'Session',
    cursor: 'startsAt_id',
    description:
      'Sessions matching the filter, by start time. Without `from`, only sessions that have not started yet. Public (lobby screens need no login). An ID in the filter that names nothing answers NOT_FOUND, a malformed one (or one of another type) VALIDATION, with `extensions.field` (e.g. `["filter", "venueId"]`).',
    authScopes: { public: true },
    skipTypeScopes: true,
    defaultSize: DEFAULT_PAGE,
    maxSize: MAX_PAGE,
    args: { filter: t.arg({ type: SessionFilter, required: true, description: 'Which sessions.' }) },
    // A malformed ID is VALIDATION before any read; an ID of nothing is NOT_FOUND, checked after
    // the page is read, so that a filter with an answer costs no statement more (filter.ts).
    resolve: async (query, _root, args, context) => {
      const { filter, where } = sessionWhere(args, context);
      const sessions = await prisma.session.findMany({ ...query, where, orderBy: [{ startsAt: 'asc' }, { id: 'asc' }] });
      await assertFilterIdsExist(filter, sessions);
      return sessions;
    },
    // Only when selected: one COUNT beside the page.
    totalCount: (_root, args, context) => prisma.session.count({ where: sessionWhere(args, context).where }),
  }, {
    name: 'SessionConnection',
    description: 'A page of sessions, by start time.',
    fields: (c) => ({ totalCount: c.int(totalCountField('How many sessions match the filter, on every page.')) }),
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
