// The server under benchmark, in its own process (started by bench/live-seats.ts with an IPC
// channel and --expose-gc). `BENCH_VARIANT=naive` swaps the sessionAvailability resolvers for the
// code this project had before the fan-out (copied below), so that both paths are measured in the
// same run, on the same Yoga, graphql-ws, Prisma and Redis; `fanout` (the default) serves the
// new fan-out without sharing; `shared` is the server as it ships, with the shared execution of
// identical subscriptions (subscribeShared in src/events/pubsub.ts); `floor` is no GraphQL at all (see
// startFloor), the lower bound of this machine.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type WebSocket, WebSocketServer } from 'ws';
import { filter, pipe } from 'graphql-yoga';
import type { GraphQLObjectType } from 'graphql';
import { loadConfig } from '../src/config.js';
import { openDatabase, prisma } from '../src/db/client.js';
import { seatsLeft } from '../src/domain/seats.js';
import { openEvents, pubsub, type SessionChangedEvent, watch } from '../src/events/pubsub.js';
import type { Session } from '../src/generated/prisma/client.js';
import { decodeSessionFilter, type SessionFilterShape } from '../src/schema/catalogue/filter.js';
import { matchesFilter } from '../src/schema/catalogue/subscriptions.js';
import { schema } from '../src/schema/index.js';
import { type App, createApp } from '../src/server.js';

const variant = process.env.BENCH_VARIANT ?? 'fanout';

if (variant === 'naive') {
  // Before: every subscriber has its own pubsub subscription and filter, and reads the session
  // twice per event (the payload, then `session`).
  const field = schema.getSubscriptionType()!.getFields().sessionAvailability!;
  field.subscribe = (_root, args: { filter: SessionFilterShape }) => {
    const decoded = decodeSessionFilter(args.filter);
    return pipe(
      pubsub.subscribe('session:changed'),
      filter((event: SessionChangedEvent) => matchesFilter(event, decoded)),
    );
  };
  field.resolve = (event: SessionChangedEvent) => prisma.session.findUniqueOrThrow({ where: { id: event.sessionId } });
  const fields = (schema.getType('SessionAvailability') as GraphQLObjectType).getFields();
  fields.session!.resolve = (session: Session) => prisma.session.findUniqueOrThrow({ where: { id: session.id } });
  fields.seatsLeft!.resolve = (session: Session) => seatsLeft(session);
  fields.capacity!.resolve = (session: Session) => session.capacity;
  fields.waitlistLength!.resolve = (session: Session) => session.waitlistLength;
} else if (!['fanout', 'shared', 'floor'].includes(variant)) {
  throw new Error(`BENCH_VARIANT must be naive, fanout, shared or floor, not ${variant}`);
}

// `naive` and `fanout` run without the shared execution of identical subscriptions; `shared` is
// the server as it ships.
// Every client connects from 127.0.0.1: the sockets-per-address limit (WS_MAX_SOCKETS_PER_ADDRESS,
// 50 by default) is lifted here, as it would be for a trusted load balancer.
const config = loadConfig();
const app =
  variant === 'floor'
    ? await startFloor()
    : await createApp(
        {
          ...config,
          port: 0,
          host: '127.0.0.1',
          demoData: false,
          jobIntervalMs: 0,
          socketLimits: { ...config.socketLimits, maxSocketsPerAddress: 1_000_000 },
        },
        undefined,
        { shareSubscriptions: variant === 'shared' },
      );

const port = await app.listen(0, '127.0.0.1');

/**
 * The floor: no GraphQL at all. Speaks just enough graphql-ws (ack, subscribe, complete) for the
 * same clients, reads the session once per event as the fan-out does, and writes the same `next`
 * message to every socket from one serialised payload. What is left is Redis, one read, and a
 * WebSocket write per socket: no server path can beat it on this machine.
 */
async function startFloor(): Promise<Pick<App, 'listen' | 'close'>> {
  const config = loadConfig();
  const database = await openDatabase(config);
  const events = openEvents(config.redisUrl);
  const httpServer = createServer((_req, res) => res.writeHead(404).end());
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', handleProtocols: () => 'graphql-transport-ws' });
  const subscriptions = new Map<WebSocket, Set<string>>();
  wsServer.on('connection', (socket) => {
    const ids = new Set<string>();
    subscriptions.set(socket, ids);
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string };
      if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (message.type === 'subscribe') ids.add(message.id!);
      else if (message.type === 'complete') ids.delete(message.id!);
      else if (message.type === 'ping') socket.send('{"type":"pong"}');
    });
    socket.on('close', () => subscriptions.delete(socket));
  });
  watch('session:changed', (event) => {
    // Another run on the same Redis publishes sessions this database does not have: ignored.
    void prisma.session.findUnique({ where: { id: event.sessionId } }).then((session) => {
      if (!session) return;
      const payload = JSON.stringify({
        data: {
          sessionAvailability: {
            seatsLeft: seatsLeft(session),
            capacity: session.capacity,
            waitlistLength: session.waitlistLength,
            session: { id: encodeGlobalID('Session', session.id), startsAt: session.startsAt.toISOString() },
          },
        },
      });
      for (const [socket, ids] of subscriptions) {
        for (const id of ids) socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
      }
    });
  });
  return {
    listen: (listenPort = 0, host = '127.0.0.1') =>
      new Promise((resolve) => httpServer.listen(listenPort, host, () => resolve((httpServer.address() as AddressInfo).port))),
    close: async () => {
      for (const socket of wsServer.clients) socket.terminate();
      await new Promise((resolve) => wsServer.close(resolve));
      await new Promise((resolve) => httpServer.close(resolve));
      await events.close();
      await database.close();
    },
  };
}

/** Memory after a full collection: what the live objects hold, not what the collector left. */
function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { heapUsed: usage.heapUsed, external: usage.external, rss: rssKb * 1024 };
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'memory') process.send!({ type: 'memory', ...memory() });
  if (message.type === 'stop') {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.send!({ type: 'ready', port, variant });
