import { builder } from '../builder.js';
import { BookingFilter } from './types.js';

builder.prismaObjectField('Member', 'bookings', (t) =>
  t.relatedConnection(
    'bookings',
    {
      cursor: 'id',
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
