import { advanceClock } from '../../services/clock.js';
import { builder } from '../builder.js';
import { defineMutation } from '../common/mutation.js';

// The test clock (API.md). These fields exist only in the schema of a server started with
// TEST_CLOCK=1 (refused in production): schema/index.ts removes them otherwise.

export const TEST_CLOCK_FIELDS = { query: ['now'], mutation: ['advanceClock'] } as const;

builder.queryField('now', (t) =>
  t.field({
    type: 'DateTime',
    description: "The server's notion of now (test clock only: TEST_CLOCK=1).",
    authScopes: { public: true },
    skipTypeScopes: true,
    resolve: (_root, _args, context) => context.clock.now(),
  }),
);

defineMutation('advanceClock', {
  description:
    'Moves the test clock forward to `to` and runs every job that became due on the way (expiries, renewals, rollovers), in order, each at its own instant, before answering (test clock only: TEST_CLOCK=1).',
  authScopes: { public: true },
  input: (t) => ({ to: t.field({ type: 'DateTime', required: true, description: 'The new now; never earlier than the current one.' }) }),
  resolve: (input, context) => advanceClock(context, input),
  success: {
    description: 'The clock moved and the due work ran.',
    fields: (t) => ({
      now: t.expose('now', { type: 'DateTime', description: 'The new now.' }),
      jobsRun: t.exposeInt('jobsRun', { description: 'How many due jobs ran.' }),
    }),
  },
});
