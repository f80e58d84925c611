import { readFileSync } from 'node:fs';

/**
 * Node's own flags in `npm start` (package.json's start script: the young generation's size), so
 * that the benchmarks start the server with the same ones.
 */
export function npmStartNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  return manifest.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}
