import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Public screens served by the server itself (no CDN, no build step): the lobby screen of a venue,
 * `GET /screens/venues/<venue global ID>`, shows today's sessions with live seats over graphql-ws.
 * Every asset, the browser build of graphql-ws included, comes from this server, so a screen works
 * on a closed network.
 */
export const SCREENS_PATH = '/screens';

const HERE = dirname(fileURLToPath(import.meta.url));
const GRAPHQL_WS_UMD = join(
  dirname(createRequire(import.meta.url).resolve('graphql-ws/package.json')),
  'umd',
  'graphql-ws.min.js',
);

interface Asset {
  file: string;
  type: string;
  cacheControl: string;
}

/** The fixed files under /screens/assets/ (a whitelist: nothing else on disk is reachable). */
const ASSETS: Record<string, Asset> = {
  'lobby.js': { file: join(HERE, 'lobby.js'), type: 'text/javascript', cacheControl: 'no-cache' },
  'lobby.css': { file: join(HERE, 'lobby.css'), type: 'text/css', cacheControl: 'no-cache' },
  'graphql-ws.min.js': { file: GRAPHQL_WS_UMD, type: 'text/javascript', cacheControl: 'public, max-age=86400' },
};

const LOBBY_PAGE: Asset = { file: join(HERE, 'lobby.html'), type: 'text/html', cacheControl: 'no-cache' };

// The page only talks to this server: its own scripts and styles, HTTP and WebSocket to /graphql.
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function send(res: ServerResponse, asset: Asset, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = createReadStream(asset.file);
    stream.once('open', () => {
      res.writeHead(200, {
        'content-type': `${asset.type}; charset=utf-8`,
        'cache-control': asset.cacheControl,
        'x-content-type-options': 'nosniff',
        ...headers,
      });
      stream.pipe(res);
      resolve();
    });
    stream.once('error', (error) => {
      if (res.headersSent) res.destroy(error);
      else reject(error);
    });
  });
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
}

/**
 * Answers GET requests under /screens: the lobby page of a venue and its assets; 404 for any other
 * path under /screens. Returns false when the path is not under /screens (someone else's).
 */
export async function serveScreen(url: string, res: ServerResponse): Promise<boolean> {
  const path = url.split(/[?#]/)[0] ?? '';
  if (path !== SCREENS_PATH && !path.startsWith(`${SCREENS_PATH}/`)) return false;
  const segments = path.slice(SCREENS_PATH.length + 1).split('/');

  // /screens/venues/<id>: the page reads the venue ID from its own URL; the server checks no more
  // than its shape (an unknown venue is reported by the page, in the screen's language).
  if (segments.length === 2 && segments[0] === 'venues' && segments[1]) {
    let venueId: string;
    try {
      venueId = decodeURIComponent(segments[1]);
    } catch {
      notFound(res);
      return true;
    }
    if (!/^[A-Za-z0-9+/=_-]{1,200}$/.test(venueId)) {
      notFound(res);
      return true;
    }
    await send(res, LOBBY_PAGE, { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'no-referrer' });
    return true;
  }

  const asset = segments.length === 2 && segments[0] === 'assets' ? ASSETS[segments[1] ?? ''] : undefined;
  if (!asset) {
    notFound(res);
    return true;
  }
  await send(res, asset);
  return true;
}
