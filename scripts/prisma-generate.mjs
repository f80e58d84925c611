#!/usr/bin/env node
// Runs `prisma generate` offline. Prisma's CLI refuses to start without its native schema engine,
// which cannot be downloaded here, although `generate` never runs it: pointing the variable at any
// existing file satisfies the check. A real engine, when present, is left alone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
// Generators such as prisma-pothos-types are found on PATH, as under `npm run`.
env.PATH = [join(dirname(fileURLToPath(import.meta.url)), '../node_modules/.bin'), env.PATH].join(delimiter);
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], { stdio: 'inherit', env });
if (result.error) console.error(result.error);
process.exit(result.status ?? 1);
