import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { NotFoundError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField } from '../common/connections.js';
import { decodeSessionFilter, SessionFilter, type SessionFilterShape } from './filter.js';

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

/**
 * The rows `sessions` selects, computed once per request (`args` is the same object for the page
 * and its count), so that `totalCount` counts exactly what the pages walk, with the same `now`.
 */
const sessionWheres = new WeakMap<object, Prisma.SessionWhereInput>();

function sessionWhere(args: { filter: SessionFilterShape }, context: Context): Prisma.SessionWhereInput {
  const known = sessionWheres.get(args);
  if (known) return known;
  const filter = decodeOrNothing(() => decodeSessionFilter(args.filter));
  const where: Prisma.SessionWhereInput = filter
    ? {
        id: filter.ids ? { in: filter.ids } : undefined,
        organizationId: filter.organizationId,
        venueId: filter.venueId,
        activityId: filter.activityId,
        startsAt: { gte: filter.from ?? context.clock.now(), lt: filter.to },
        ...(filter.onlyAvailable ? { status: 'SCHEDULED' as const, seatsTaken: { lt: prisma.session.fields.capacity } } : {}),
      }
    : NOTHING;
  sessionWheres.set(args, where);
  return where;
}

builder.queryField('sessions', (t) =>
  t.prismaConnection({
    type: 'Session',
    cursor: 'startsAt_id',
    description:
      'Sessions matching the filter, by start time. Without `from`, only sessions that have not started yet. Public (lobby screens need no login).',
    authScopes: { public: true },
    skipTypeScopes: true,
    defaultSize: DEFAULT_PAGE,
    maxSize: MAX_PAGE,
    args: { filter: t.arg({ type: SessionFilter, required: true, description: 'Which sessions.' }) },
    // An ID that names nothing selects nothing. The query still runs (PostgreSQL answers an empty
    // `id IN ()` at once), so that every filter takes one path and Pothos's selection is always used.
    resolve: (query, _root, args, context) =>
      prisma.session.findMany({ ...query, where: sessionWhere(args, context), orderBy: [{ startsAt: 'asc' }, { id: 'asc' }] }),
    // Only when selected: one COUNT beside the page.
    totalCount: (_root, args, context) => prisma.session.count({ where: sessionWhere(args, context) }),
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
