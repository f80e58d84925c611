import { createGraphQLError } from '@graphql-tools/utils';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.js';
import { localeFromAcceptLanguage, translate } from './i18n/translate.js';

function tooLarge(request: Request, maxBytes: number) {
  const message = translate(localeFromAcceptLanguage(request.headers.get('accept-language')), 'error.payloadTooLarge', { max: maxBytes });
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
 * and otherwise (a chunked body, or a Content-Length that lies) as soon as the bytes read pass
 * the limit, so a body is never buffered beyond it.
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
    onRequestParse: ({ request, requestParser, setRequestParser }) => {
      if (!requestParser || !request.body || request.method === 'GET' || request.method === 'HEAD') return;
      setRequestParser(async (original) => {
        const bytes = await readAtMost(original.body!, maxBytes);
        if (!bytes) {
          const { message, extensions } = tooLarge(original, maxBytes);
          throw createGraphQLError(message, { extensions });
        }
        return requestParser(new Request(original.url, { method: original.method, headers: original.headers, body: bytes }));
      });
    },
  };
}
