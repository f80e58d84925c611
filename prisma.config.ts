import { defineConfig } from 'prisma/config';

// Used by Prisma's CLI (generate; migrate on machines where its engine is available).
// The server applies migrations itself: see src/db/migrate.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
