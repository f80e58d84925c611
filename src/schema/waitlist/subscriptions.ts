import { filter, pipe } from 'graphql-yoga';
import { prisma } from '../../db/client.js';
import { pubsub } from '../../events/pubsub.js';
import { requireViewer } from '../../services/access.js';
import { builder } from '../builder.js';

builder.subscriptionField('myWaitlistOffers', (t) =>
  t.prismaField({
    type: 'WaitlistOffer',
    description:
      "Your waitlist offers as they change: each appears OPEN, then becomes CLAIMED (you won), TAKEN (someone else won) or EXPIRED. Needs a login (graphql-ws `connectionParams.authorization`). After a reconnect, read `viewer.waitlistOffers(status: OPEN)`.",
    authScopes: { loggedIn: true },
    skipTypeScopes: true,
    subscribe: (_root, _args, context) => {
      const memberId = requireViewer(context);
      return pipe(
        pubsub.subscribe('waitlist:offer'),
        filter((event) => event.memberId === memberId),
      );
    },
    // Each event is re-read from the database: Redis carries the news, PostgreSQL the state.
    resolve: (query, event) =>
      prisma.waitlistOffer.findUniqueOrThrow({ ...query, where: { id: (event as unknown as { offerId: string }).offerId } }),
  }),
);
