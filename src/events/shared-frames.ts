import type { ExecutionResult } from 'graphql';
import { WebSocket } from 'ws';

// Issue 13: one serialization per event for every socket of a shared subscription. graphql-ws
// writes each `next` message itself, so 10,000 sockets watching the same seats cost 10,000
// JSON.stringify of the same result. Results of a shared group (subscribeShared) are registered
// here; for them graphql-ws is handed a one-key placeholder payload (cheap to stringify), and the
// socket's `send` swaps the placeholder message for the message around the payload serialised once.

/** The placeholder's only key: a name no GraphQL result can have. */
const MARK = '\u0000shared-frame';

const results = new WeakMap<object, number>();
/**
 * Each shared result's payload, serialised as graphql-ws would have, for as long as the result
 * lives: graphql-ws holds it until its message is written, so a payload is there when needed.
 */
const frames = new Map<number, string>();
const dropFrame = new FinalizationRegistry<number>((frame) => frames.delete(frame));
let lastFrame = 0;

/** Marks a result that every subscriber of a shared group receives as the same object. */
export function shareResult(result: ExecutionResult): void {
  if (results.has(result)) return;
  const { errors, ...rest } = result;
  const payload = JSON.stringify({ ...rest, ...(errors ? { errors: errors.map((error) => error.toJSON()) } : {}) });
  const frame = ++lastFrame;
  results.set(result, frame);
  frames.set(frame, payload);
  dropFrame.register(result, frame);
}

/** graphql-ws `onNext`: the placeholder payload for a shared result, nothing (as usual) otherwise. */
export function sharedPayload(result: ExecutionResult): Record<string, number> | undefined {
  const frame = results.get(result);
  return frame === undefined ? undefined : { [MARK]: frame };
}

const PLACEHOLDER = JSON.stringify(MARK).slice(1, -1);

/**
 * The server's sockets (`WebSocketServer`'s `WebSocket` option): `send` writes the prepared message
 * in place of a placeholder one. A method of the class, not a wrapper put on each socket, so that
 * 10,000 sockets do not hold 10,000 copies of it.
 */
export class SharedFramesSocket extends WebSocket {
  override send(data: unknown, options?: unknown, callback?: unknown): void {
    const done = (typeof options === 'function' ? options : callback) as ((error?: Error) => void) | undefined;
    const opts = typeof options === 'object' && options !== null ? options : {};
    if (typeof data === 'string' && data.includes(PLACEHOLDER)) {
      const message = JSON.parse(data) as { id?: unknown; type?: unknown; payload?: Record<string, unknown> };
      const frame = message.type === 'next' ? message.payload?.[MARK] : undefined;
      const payload = typeof frame === 'number' ? frames.get(frame) : undefined;
      // Subscription ids are the clients' own (UUIDs, usually): only the payload is shared.
      if (payload !== undefined) return super.send(`{"id":${JSON.stringify(message.id)},"type":"next","payload":${payload}}`, opts, done);
    }
    return super.send(data as string, opts, done);
  }
}
