import { ACTIVE_BOOKING_STATUSES } from '../../services/booking/bookings.js';
import { ownerOnly } from '../member/types.js';
import { builder } from '../builder.js';
import { BookingFilter } from './types.js';

builder.prismaObjectField('Member', 'bookings', (t) =>
  t.relatedConnection(
    'bookings',
    {
      cursor: 'id',
      authScopes: ownerOnly,
      description: "The bookings of the member's beneficiaries.",
      args: { filter: t.arg({ type: BookingFilter, required: false, description: 'Which bookings (default: all, newest first).' }) },
      defaultSize: 50,
      maxSize: 200,
      query: (args, context) =>
        args.filter?.upcoming
          ? {
              where: { status: 'CONFIRMED' as const, session: { startsAt: { gt: context.clock.now() } } },
              orderBy: [{ session: { startsAt: 'asc' as const } }, { id: 'asc' as const }],
            }
          : { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] },
    },
    { name: 'BookingConnection', description: 'A page of bookings.' },
    { name: 'BookingEdge', description: 'A booking with its cursor.' },
  ),
);

builder.prismaObjectField('Session', 'bookings', (t) =>
  t.relation('bookings', {
    description:
      "The session's register, for the organization's staff and the session's coach only (others get FORBIDDEN): active bookings (CONFIRMED, ATTENDED, NO_SHOW, and PENDING_PAYMENT seats held while paying online) in booking order, or every booking with `includeCancelled`.",
    authScopes: (session) => ({ staffOf: session.organizationId, coachOfSession: session.id }),
    args: { includeCancelled: t.arg.boolean({ required: false, description: 'Include cancelled and moved bookings.' }) },
    query: (args) => ({
      where: args.includeCancelled ? {} : { status: { in: ACTIVE_BOOKING_STATUSES } },
      orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
    }),
  }),
);
