// Prisma 6.19 configured for its WebAssembly schema engine ("js"), which needs a driver adapter.
// `migrate diff --from-empty --to-schema-datamodel` reads nothing but connects: point
// PRISMA_DIFF_DATABASE_URL at any reachable PostgreSQL.
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: process.env.PRISMA_DIFF_SCHEMA,
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.PRISMA_DIFF_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' }),
});
