import { filter, pipe } from 'graphql-yoga';
import { prisma } from '../../db/client.js';
import { seatsLeft } from '../../domain/seats.js';
import { pubsub, type SessionChangedEvent } from '../../events/pubsub.js';
import type { Session } from '../../generated/prisma/client.js';
import { builder } from '../builder.js';
import { type DecodedSessionFilter, decodeSessionFilter, SessionFilter } from './filter.js';

const SessionAvailability = builder.objectRef<Session>('SessionAvailability').implement({
  description: 'The seat state of one session, pushed on every change. Public data only.',
  fields: (t) => ({
    session: t.prismaField({
      type: 'Session',
      description: 'The session that changed.',
      resolve: (query, session) => prisma.session.findUniqueOrThrow({ ...query, where: { id: session.id } }),
    }),
    seatsLeft: t.int({ description: 'Seats that can be booked now.', resolve: (session) => seatsLeft(session) }),
    capacity: t.exposeInt('capacity', { description: 'Number of seats.' }),
    waitlistLength: t.exposeInt('waitlistLength', { description: 'People waiting.' }),
  }),
});

export function matchesFilter(event: SessionChangedEvent, filter: DecodedSessionFilter): boolean {
  const startsAt = Date.parse(event.startsAt);
  return (
    (!filter.ids || filter.ids.includes(event.sessionId)) &&
    (!filter.organizationId || filter.organizationId === event.organizationId) &&
    (!filter.venueId || filter.venueId === event.venueId) &&
    (!filter.activityId || filter.activityId === event.activityId) &&
    (!filter.from || startsAt >= filter.from.getTime()) &&
    (!filter.to || startsAt < filter.to.getTime())
  );
}

builder.subscriptionField('sessionAvailability', (t) =>
  t.field({
    type: SessionAvailability,
    description:
      'Pushes the seats left, capacity and waitlist length of every matching session each time one changes. Public: lobby screens need no login. After a reconnect, query `sessions` with the same filter to catch up.',
    authScopes: { public: true },
    skipTypeScopes: true,
    args: { filter: t.arg({ type: SessionFilter, required: true, description: 'Which sessions to watch.' }) },
    subscribe: (_root, args) => {
      const decoded = decodeSessionFilter(args.filter);
      return pipe(
        pubsub.subscribe('session:changed'),
        filter((event: SessionChangedEvent) => matchesFilter(event, decoded)),
      );
    },
    // Read after the event, so a subscriber always sees the committed state, never the event's guess.
    resolve: async (event: SessionChangedEvent) => prisma.session.findUniqueOrThrow({ where: { id: event.sessionId } }),
  }),
);
