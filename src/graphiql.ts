import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { type GraphiQLOptions, renderGraphiQL } from 'graphql-yoga';

/**
 * GraphiQL served from this server's own copy of @graphql-yoga/graphiql instead of a CDN, so the
 * playground works on a closed network (a venue's lobby, an offline laptop, CI).
 */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

const ASSETS_DIR = join(dirname(createRequire(import.meta.url).resolve('@graphql-yoga/graphiql/package.json')), 'dist');
const CDN = /https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g;
const FAVICON = /<link rel=icon href=https:[^>]+>/;

export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  return renderGraphiQL(options).replace(CDN, GRAPHIQL_ASSETS_PATH).replace(FAVICON, '');
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css' };

/** Serves GET /graphiql/<file> from the package's dist folder; false when the path is not one. */
export async function serveGraphiQLAsset(url: string, res: ServerResponse): Promise<boolean> {
  if (!url.startsWith(GRAPHIQL_ASSETS_PATH)) return false;
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(url.slice(GRAPHIQL_ASSETS_PATH.length).split('?')[0] ?? ''));
  } catch {
    // Malformed percent-encoding names no file.
    res.writeHead(404).end();
    return true;
  }
  const file = join(ASSETS_DIR, relative);
  const type = TYPES[file.slice(file.lastIndexOf('.'))];
  if (!file.startsWith(ASSETS_DIR + sep) || !type || !(await stat(file).catch(() => null))?.isFile()) {
    res.writeHead(404).end();
    return true;
  }
  res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'public, max-age=86400' });
  createReadStream(file).pipe(res);
  return true;
}
