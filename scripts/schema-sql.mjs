#!/usr/bin/env node
// Prints the SQL that creates, from an empty database, exactly what prisma/schema.prisma describes.
//
// Prisma 7's `migrate diff` needs a native schema engine that cannot be downloaded on these
// machines; Prisma 6.19 (tools/prisma-diff) computes the same diff with its WebAssembly engine.
// Used by the migration drift test, and by developers writing a new migration:
//   node scripts/schema-sql.mjs > /tmp/target.sql   (then diff against the current migrations)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function schemaSql() {
  const source = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8');
  // Prisma 6 wants a url in the datasource and knows nothing of the generators.
  const datamodel = source
    .replace(/^generator \w+ \{[\s\S]*?^\}/gm, '')
    .replace(/datasource db \{[\s\S]*?^\}/m, 'datasource db {\n  provider = "postgresql"\n  url = "postgresql://unused"\n}');
  const dir = mkdtempSync(join(tmpdir(), 'schema-sql-'));
  try {
    const schemaPath = join(dir, 'schema.prisma');
    writeFileSync(schemaPath, datamodel);
    const cli = join(root, 'tools/prisma-diff/node_modules/prisma/build/index.js');
    return execFileSync(
      process.execPath,
      [cli, 'migrate', 'diff', '--config', 'prisma.config.mjs', '--from-empty', '--to-schema-datamodel', schemaPath, '--script'],
      {
        cwd: join(root, 'tools/prisma-diff'),
        timeout: 60_000,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          // The CLI checks that engine files exist before it starts; the diff runs in WebAssembly.
          PRISMA_QUERY_ENGINE_LIBRARY: process.execPath,
          PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
          PRISMA_DIFF_SCHEMA: schemaPath,
        },
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(schemaSql());
}
