import type { IncomingMessage } from 'node:http';
import { CloseCode, DEPRECATED_GRAPHQL_WS_PROTOCOL, handleProtocols, makeServer, type ServerOptions, type WebSocket as GraphQLWsSocket } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { logger } from '../logger.js';

// graphql-ws on a `ws` server, as graphql-ws's own `useServer` (graphql-ws/use/ws) does it, with
// what one socket holds kept small (issue 13: 10,000 lobby screens on one instance). `useServer`
// gives every socket its own keep-alive timer, `once` wrappers for 'close' and 'error', four
// closures for the socket graphql-ws writes to, and an async listener that keeps each subscribe
// message, as a Buffer and as a string, for as long as its subscription runs: about 1.5 KB a
// socket. Here one timer pings every socket, the listeners are shared functions, and graphql-ws is
// handed the message parsed, so that its text is not kept.

/** What graphql-ws's hooks find in `ctx.extra`. */
export interface SocketExtra {
  readonly socket: WebSocket;
  /** The upgrade request (src/server.ts keeps only a few of its facts once the socket is open). */
  readonly request: IncomingMessage;
}

const PINGS_PER_TURN = 1_000;

/** The socket graphql-ws writes to: one small object per socket, its methods on the prototype. */
class Transport implements GraphQLWsSocket {
  constructor(
    private readonly socket: WebSocket,
    private readonly production: boolean,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    // graphql-ws's handler of a subscribe message settles when the subscription ends, and its
    // argument stays alive meanwhile (a parameter of the suspended async function). It is given
    // the message already parsed, which it keeps anyway, rather than the text as well (0.36 KB a
    // lobby screen): graphql-ws's `parseMessage` parses a string and validates anything else as it
    // is. Text that is not a JSON object goes as it is, for graphql-ws to refuse (4400) as before.
    this.socket.on('message', (data) => {
      handle(parsedObjectOrText(String(data)) as string).catch((error: unknown) => this.fail(error, 'a graphql-ws message failed'));
    });
  }

  private fail(error: unknown, message: string): void {
    fail(this.socket, error, message, this.production);
  }
}

/** The message as a JSON object, or its text when it is anything else. */
function parsedObjectOrText(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : text;
  } catch {
    return text;
  }
}

/** What `useServer` does on an error it did not expect: log it, close the socket with 1011. */
function fail(socket: WebSocket, error: unknown, message: string, production: boolean): void {
  logger.error({ err: error }, message);
  socket.close(CloseCode.InternalServerError, closeReason(error, production));
}

/** A close reason fits in 123 bytes; outside production it says what failed. */
function closeReason(error: unknown, production: boolean): string {
  const text = error instanceof Error ? error.message : String(error);
  return production || Buffer.byteLength(text) > 123 ? 'Internal server error' : text;
}

/**
 * Serves graphql-ws (`options`, as for `useServer`) on `wsServer`; `dispose` closes every socket
 * (1001) and the server. Every socket is pinged each `keepAliveMs` (`useServer`'s 12 s by
 * default, `WS_KEEP_ALIVE_MS`) and dropped when it has not answered the previous ping.
 */
export function serveGraphQLWs<P extends Record<string, unknown>>(
  options: ServerOptions<P, SocketExtra>,
  wsServer: WebSocketServer,
  { production, keepAliveMs }: { production: boolean; keepAliveMs: number },
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;

  // Shared listeners: `this` is the socket.
  function onError(this: WebSocket, error: Error): void {
    fail(this, error, 'a graphql-ws socket failed', production);
  }
  /** Sockets pinged and not heard from since. */
  const awaitingPong = new Set<WebSocket>();
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this);
  }

  wsServer.once('error', (error) => {
    logger.error({ err: error }, 'the WebSocket server failed');
    for (const socket of wsServer.clients) socket.close(CloseCode.InternalServerError, closeReason(error, production));
  });
  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', onError);
    socket.on('pong', onPong);
    const closed = server.opened(new Transport(socket, production), { socket, request });
    socket.on('close', (code: number, reason: Buffer) => {
      awaitingPong.delete(socket);
      if (!production && code === CloseCode.SubprotocolNotAcceptable && socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL) {
        logger.warn('a client spoke subscriptions-transport-ws, which is not supported: use graphql-ws');
      }
      closed(code, String(reason)).catch((error: unknown) => logger.error({ err: error }, 'closing a graphql-ws socket failed'));
    });
  });

  // A thousand sockets a turn of the event loop: 10,000 pings in one turn would hold up every
  // request for tens of milliseconds every interval.
  const pingSome = (sockets: WebSocket[], from: number) => {
    for (const socket of sockets.slice(from, from + PINGS_PER_TURN)) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        awaitingPong.delete(socket);
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
    if (from + PINGS_PER_TURN < sockets.length) setImmediate(pingSome, sockets, from + PINGS_PER_TURN);
  };
  const keepAlive = setInterval(() => pingSome([...wsServer.clients], 0), keepAliveMs);
  keepAlive.unref();

  return {
    dispose: async () => {
      clearInterval(keepAlive);
      for (const socket of wsServer.clients) socket.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
