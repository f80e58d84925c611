import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql module for everyone: externalised packages (Pothos, Yoga) load its CommonJS
  // build, so the tests' own imports must not pick its ESM build (graphql's dual-package check).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { TZ: 'UTC', NODE_ENV: 'test', LOG_LEVEL: 'warn' },
  },
});
