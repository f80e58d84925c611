import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import type { SocketLimitConfig } from './config.js';
import { localeOf, translate } from './i18n/translate.js';

// What one client may hold on graphql-ws (issue 10): one anonymous socket with 10 000
// subscriptions once made a single seat change take two seconds to fan out. Past a limit the
// client is told (HTTP 429 before the upgrade, or an `error` message with its code), never left
// waiting. The third limit, connection_init's deadline, closes the socket as graphql-ws would
// (4408); it is kept here rather than in graphql-ws, whose timer stays with the socket for its life.

/** The part of a graphql-ws connection context the limits read. */
interface ConnectionContext {
  /** graphql-ws's operations of this socket, the one being subscribed included. */
  readonly subscriptions: Readonly<Record<string, unknown>>;
  readonly connectionParams?: Readonly<Record<string, unknown>>;
  readonly extra: { readonly request: IncomingMessage; readonly socket: WebSocket };
}

/** graphql-ws's code and reason for a socket that sent no connection_init in time. */
const INIT_TIMEOUT_CLOSE_CODE = 4408;
const INIT_TIMEOUT_REASON = 'Connection initialisation timeout';

/** graphql-ws's code for a socket closed for sending too much; the client may reconnect later. */
export const FLOODED_CLOSE_CODE = 4429;

type VerifyCallback = (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

export interface SocketLimits {
  /** `WebSocketServer`'s `verifyClient`: refuses the upgrade with HTTP 429 past the sockets per address. */
  verifyClient(info: { req: IncomingMessage }, callback: VerifyCallback): void;
  /**
   * For `WebSocketServer`'s `connection` event: counts the socket against its address until it
   * closes, and closes it unless `initialised` is called within the connection_init deadline.
   */
  track(socket: WebSocket, request: IncomingMessage): void;
  /** For graphql-ws's `onConnect`: the socket sent its connection_init (in time, or it would be closed). */
  initialised(socket: WebSocket): void;
  /**
   * For graphql-ws's `onSubscribe`, before anything awaits (graphql-ws has registered the new
   * operation by then, so a burst of subscribe messages is counted exactly): the error for one
   * operation too many, else null. Completed and stopped operations leave `subscriptions` at once.
   */
  tooManySubscriptions(ctx: ConnectionContext): GraphQLError | null;
  /** Open sockets of one address (tests and diagnostics). */
  socketsOf(address: string): number;
}

export function createSocketLimits(config: SocketLimitConfig, addressOf: (request: IncomingMessage) => string): SocketLimits {
  const openSockets = new Map<string, number>();
  const refusals = new WeakMap<WebSocket, number>();
  /** Deadlines of the sockets that have not sent connection_init yet. */
  const awaitingInit = new Map<WebSocket, NodeJS.Timeout>();
  const initialised = (socket: WebSocket) => {
    clearTimeout(awaitingInit.get(socket));
    awaitingInit.delete(socket);
  };
  const socketsOf = (address: string) => openSockets.get(address) ?? 0;
  return {
    // ws calls this and, when verified, completes the upgrade and emits `connection` in the same
    // tick, so counting in `track` cannot let a burst of upgrades past the limit.
    verifyClient({ req }, callback) {
      if (socketsOf(addressOf(req)) >= config.maxSocketsPerAddress) {
        callback(false, 429, 'Too Many Requests', { 'retry-after': '10' });
        return;
      }
      callback(true);
    },
    track(socket, request) {
      const address = addressOf(request);
      openSockets.set(address, socketsOf(address) + 1);
      awaitingInit.set(
        socket,
        setTimeout(() => {
          awaitingInit.delete(socket);
          socket.close(INIT_TIMEOUT_CLOSE_CODE, INIT_TIMEOUT_REASON);
        }, config.connectionInitTimeoutMs),
      );
      // ws emits 'close' once: `on` spares the wrapper `once` would make for every socket.
      socket.on('close', () => {
        initialised(socket);
        const left = socketsOf(address) - 1;
        if (left > 0) openSockets.set(address, left);
        else openSockets.delete(address);
      });
    },
    initialised,
    tooManySubscriptions(ctx) {
      if (Object.keys(ctx.subscriptions).length <= config.maxSubscriptionsPerSocket) return null;
      const max = config.maxSubscriptionsPerSocket;
      // A client that keeps pushing past the limit (10,000 subscribes in a burst) is not answered
      // one by one: after as many refusals as the limit itself, its socket is closed.
      const refused = (refusals.get(ctx.extra.socket) ?? 0) + 1;
      refusals.set(ctx.extra.socket, refused);
      if (refused > max) ctx.extra.socket.close(FLOODED_CLOSE_CODE, 'Too many operations');
      return new GraphQLError(translate(localeOf({ connectionParams: ctx.connectionParams, incoming: ctx.extra.request }), 'error.tooManySubscriptions', { max }), {
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', max },
      });
    },
    socketsOf,
  };
}

