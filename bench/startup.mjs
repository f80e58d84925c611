#!/usr/bin/env node
// Time from start to the first answer of GET /health, for the ways of starting the server, run in
// turns (A B C A B C …) so that the load of the machine weighs on each alike. Usage:
//   node bench/startup.mjs [runs=5]     (needs `npm run build` first; DATABASE_URL optional)
// Without DATABASE_URL each start uses an embedded database under a fresh temporary DATA_DIR that
// was migrated once beforehand, so migrations are not what is measured.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);
const port = 4700 + Math.floor(Math.random() * 200);
const dataDir = mkdtempSync(join(tmpdir(), 'booking-startup-'));
const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO_DATA: '0', LOG_LEVEL: 'warn' };

const ways = {
  // What `npm start` did before: `npm run generate`, then tsx compiling the sources on the fly.
  'generate + tsx (before)': ['sh', ['-c', 'node scripts/prisma-generate.mjs >/dev/null && exec node_modules/.bin/tsx src/main.ts']],
  'tsx alone': ['node_modules/.bin/tsx', ['src/main.ts']],
  // `npm start` now, with dist/ built.
  'dist/ (after)': [process.execPath, ['scripts/start.mjs']],
};

async function once(command, args) {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, env, stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        if (response.ok) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

await once(...ways['dist/ (after)']); // migrates the embedded database once
const times = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
for (let run = 0; run < runs; run++) for (const [name, way] of Object.entries(ways)) times[name].push(await once(...way));
rmSync(dataDir, { recursive: true, force: true });

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const after = median(times['dist/ (after)']);
for (const [name, list] of Object.entries(times)) {
  const ms = list.map((t) => Math.round(t));
  console.log(`${name.padEnd(24)} median ${String(Math.round(median(list))).padStart(6)} ms  (${ms.join(', ')})  ${(median(list) / after).toFixed(2)}× dist/`);
}
