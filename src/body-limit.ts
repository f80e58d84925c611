import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGraphQLError } from '@graphql-tools/utils';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.js';
import { localeOf, translate } from './i18n/translate.js';

function tooLarge(request: Request, maxBytes: number) {
  const message = translate(localeOf({ request }), 'error.payloadTooLarge', { max: maxBytes });
  // The rest of the body is not read: the connection closes after the answer.
  return { message, extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413, headers: { connection: 'close' } } } };
}

/** The body, read up to `maxBytes`; null as soon as it would be longer (the rest is left unread). */
export async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.releaseLock();
      return null;
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/**
 * GraphQL requests with a body over `maxBytes` answer 413: at once when Content-Length says so,
 * and otherwise (a chunked body) as soon as the bytes read pass the limit, so a body is never
 * buffered beyond it.
 */
export function useBodyLimit(maxBytes: number): Plugin<Record<string, unknown>, Context> {
  return {
    onRequest: ({ request, endResponse, fetchAPI }) => {
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (!(declared > maxBytes)) return;
      const { message, extensions } = tooLarge(request, maxBytes);
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: extensions.code } }] }), {
          status: 413,
          headers: { 'content-type': 'application/json; charset=utf-8', ...extensions.http.headers },
        }),
      );
    },
    onRequestParse: ({ request, requestParser, setRequestParser, fetchAPI }) => {
      if (!requestParser || request.method === 'GET' || request.method === 'HEAD') return;
      // A declared length was checked above, and Node's parser never reads a body past it (what
      // follows is the next request): only a body without one (chunked) needs counting. Yoga's own
      // limit (`maxRequestBodySize`, piping every body through a stream) is off in server.ts.
      if (request.headers.get('content-length') !== null || !request.body) return;
      setRequestParser(async (original) => {
        const bytes = await readAtMost(original.body!, maxBytes);
        if (!bytes) {
          const { message, extensions } = tooLarge(original, maxBytes);
          throw createGraphQLError(message, { extensions });
        }
        return requestParser(new fetchAPI.Request(original.url, { method: original.method, headers: original.headers, body: bytes }));
      });
    },
  };
}

/** How long, and how much, a refused body is read and dropped so that the 413 reaches the client. */
const DRAIN_MS = 5_000;
const DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * 413 for a body over `maxBytes`, on any route, without resetting the connection: most clients
 * (fetch among them) report a reset, not the answer, when the server closes while they still send.
 * So the rest of the body is read and dropped first, within bounds (beyond them the connection is
 * cut), then the answer is written and the connection closed.
 */
export function refuseOversizedBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  const message = translate(localeOf({ incoming: req }), 'error.payloadTooLarge', { max: maxBytes });
  let drained = 0;
  const cut = () => req.destroy();
  const stop = setTimeout(cut, DRAIN_MS).unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) cut();
  });
  req.once('end', () => {
    clearTimeout(stop);
    if (res.headersSent) return;
    res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
    res.end(JSON.stringify({ errors: [{ message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
  });
  req.once('close', () => clearTimeout(stop));
  req.on('error', () => {});
  req.resume();
}

/** Whether the request announces a body over `maxBytes` (chunked bodies are counted as they come). */
export function announcesOversizedBody(req: IncomingMessage, maxBytes: number): boolean {
  return Number(req.headers['content-length'] ?? 0) > maxBytes;
}
