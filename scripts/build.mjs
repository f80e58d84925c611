#!/usr/bin/env node
// npm run build: the server as plain JavaScript in dist/, which `npm start` then runs (scripts/start.mjs).
// dist/ mirrors src/ (dist/db/migrate.js finds ../../prisma/migrations as the source does), with
// the generated Prisma client compiled along and every file the server reads at run time copied.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const run = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

rmSync(dist, { recursive: true, force: true });
// The Prisma client and Pothos types (src/generated/, not committed) are compiled with the rest.
run([join(root, 'scripts/prisma-generate.mjs')]);
run([createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(root, 'scripts', 'tsconfig.build.json')]);

// Files that are not TypeScript (the lobby screen's page, styles and script) are read at run time.
let copied = 0;
const copyAssets = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (!entry.name.endsWith('.ts')) {
      const target = join(dist, relative(join(root, 'src'), path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
      copied++;
    }
  }
};
copyAssets(join(root, 'src'));
// Written last: scripts/start.mjs runs dist/ only when this is newer than every source file.
writeFileSync(join(dist, 'BUILD'), `${new Date().toISOString()}\n`);
console.log(`built dist/ (${copied} assets copied)`);
