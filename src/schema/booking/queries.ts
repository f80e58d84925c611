import { ACTIVE_BOOKING_STATUSES } from '../../services/booking/bookings.js';
import { ownerOnly } from '../member/types.js';
import { builder } from '../builder.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';
import { BookingFilter } from './types.js';

builder.prismaObjectField('Member', 'bookings', (t) =>
  t.relatedConnection(
    'bookings',
    {
      cursor: 'id',
      authScopes: ownerOnly,
      description: "The bookings of the member's beneficiaries.",
      args: { filter: t.arg({ type: BookingFilter, required: false, description: 'Which bookings (default: all, newest first).' }) },
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: (args, context) =>
        args.filter?.upcoming
          ? {
              where: { status: 'CONFIRMED' as const, session: { startsAt: { gt: context.clock.now() } } },
              orderBy: [{ session: { startsAt: 'asc' as const } }, { id: 'asc' as const }],
            }
          : { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] },
    },
    {
      name: 'BookingConnection',
      description: 'A page of bookings.',
      fields: (c) => ({ totalCount: c.int(totalCountField('How many bookings match the filter, on every page.')) }),
    },
    { name: 'BookingEdge', description: 'A booking with its cursor.' },
  ),
);

const registerDescription =
  "The session's register, for the organization's staff and the session's coach only (others get FORBIDDEN): active bookings (CONFIRMED, ATTENDED, NO_SHOW, and PENDING_PAYMENT seats held while paying online) in booking order, or every booking with `includeCancelled`.";

/** The register's rows: active ones, or all with `includeCancelled`; in booking order. */
const registerQuery = (args: { includeCancelled?: boolean | null }) => ({
  where: args.includeCancelled ? {} : { status: { in: ACTIVE_BOOKING_STATUSES } },
  orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
});

builder.prismaObjectFields('Session', (t) => ({
  bookings: t.relation('bookings', {
    description: registerDescription,
    // Cancelled bookings pile up without bound (cancel, book again, cancel…), and so may a large
    // session's register (capacity up to 10,000).
    deprecationReason: useConnection('bookingsConnection'),
    authScopes: (session) => ({ staffOf: session.organizationId, coachOfSession: session.id }),
    args: { includeCancelled: t.arg.boolean({ required: false, description: 'Include cancelled and moved bookings.' }) },
    query: registerQuery,
  }),
  bookingsConnection: t.relatedConnection(
    'bookings',
    {
      description: `${registerDescription} Paged (\`first\` at most ${MAX_PAGE}, default ${DEFAULT_PAGE}).`,
      authScopes: (session) => ({ staffOf: session.organizationId, coachOfSession: session.id }),
      args: { includeCancelled: t.arg.boolean({ required: false, description: 'Include cancelled and moved bookings.' }) },
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: registerQuery,
    },
    {
      name: 'SessionBookingsConnection',
      description: "A page of a session's register.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many bookings the register holds (with `includeCancelled`, cancelled ones too), on every page.')) }),
    },
    { name: 'SessionBookingsEdge', description: 'A booking of the register with its cursor.' },
  ),
}));
