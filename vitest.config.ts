import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that time the server by the wall clock: they run alone, after every other file, so
 * that what they measure is the server and not the neighbours sharing its two cores (the
 * event-loop test measured 36-53 ms of loop delay alone or in a quiet suite, and 116 ms once
 * when the suite's other forks had the cores).
 */
const TIMED_ALONE = ['test/integration/event-loop.test.ts'];

export default defineConfig({
  // One graphql module for everyone: externalised packages (Pothos, Yoga) load its CommonJS
  // build, so the tests' own imports must not pick its ESM build (graphql's dual-package check).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Each fork imports the server once for all the files it runs, instead of once per file: the
    // suite went from 662 s to 436 s on this 2-core machine. Every file starts its own servers on
    // its own data (startApp sets the process-wide mailer, Stripe client and database per server),
    // so no file depends on another's state; a file that did would fail depending on its neighbours.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { TZ: 'UTC', NODE_ENV: 'test', LOG_LEVEL: 'warn' },
    // Two groups run one after the other (`sequence.groupOrder`): every file but the timed ones,
    // in parallel; then the timed ones, one at a time. Each group runs the global setup once.
    // `include` is each project's own: with `extends`, a root `include` would be added to theirs.
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...TIMED_ALONE], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'timed alone', include: TIMED_ALONE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
