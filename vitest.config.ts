import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql module for everyone: externalised packages (Pothos, Yoga) load its CommonJS
  // build, so the tests' own imports must not pick its ESM build (graphql's dual-package check).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
