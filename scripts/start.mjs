#!/usr/bin/env node
// npm start: the compiled server (dist/, from `npm run build`) when there is one and it is newer than
// the sources; otherwise the sources through tsx, after generating the Prisma client, so that
// `npm ci && npm start` works as the first command. One process either way (signals reach the server).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', 'BUILD');

/** The newest modification time among the sources a build compiles (generated code aside: `npm run generate` rewrites it). */
function newestSource(dir = join(root, 'src')) {
  let newest = statSync(join(root, 'prisma', 'schema.prisma')).mtimeMs;
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'generated' && path === dir) continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else newest = Math.max(newest, statSync(child).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/** One JSON line, as the server's own logs (pino, level 40 = warn). */
function warn(msg) {
  process.stdout.write(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg })}\n`);
}

const built = existsSync(stamp);
if (built && statSync(stamp).mtimeMs >= newestSource()) {
  await import(pathToFileURL(join(root, 'dist', 'main.js')).href);
} else {
  if (built) warn('dist/ is older than src/: running the sources with tsx (npm run build to refresh dist/)');
  // The Prisma CLI's chatter ("Loaded Prisma config…") would be plain-text lines among the JSON
  // logs: kept, and shown only when generating fails.
  const generated = spawnSync(process.execPath, [join(root, 'scripts', 'prisma-generate.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (generated.status !== 0) {
    process.stderr.write(generated.stderr ?? '');
    process.exit(generated.status ?? 1);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'main.ts')).href);
}
