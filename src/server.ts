import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DocumentNode, type ExecutionResult, GraphQLError, Kind, visit } from 'graphql';
import { createYoga, maskError as defaultMaskError, type YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import { useCookies } from '@whatwg-node/server-plugin-cookies';
import { bearer, configureTokens } from './auth/tokens.js';
import { openRateLimits, type RateLimits } from './auth/rate-limits.js';
import { configureCookies, LOGIN_COOKIE, loginCookieOf, upgradeOriginMayUseCookie, useCookieCsrfPrevention } from './auth/cookies.js';
import { keepValidLogins, viewerFromToken, validLogins } from './services/member/auth-sessions.js';
import { configureLinks } from './links.js';
import { type Clock, systemClock, TestClock } from './clock.js';
import type { Config } from './config.js';
import type { Context } from './context.js';
import { type Database, openDatabase } from './db/client.js';
import { seedDemoData } from './demo/seed.js';
import { DomainError } from './domain/errors.js';
import { callerKey, type EventBus, openEvents, subscribeShared, watch } from './events/pubsub.js';
import { SharedFramesSocket, sharedPayload } from './events/shared-frames.js';
import { serveGraphQLWs } from './events/graphql-ws-server.js';
import { startJobTimer } from './jobs/timer.js';
import { configureWebhooks } from './webhooks/delivery.js';
import { createMailer, getMailer, setMailer } from './mail/outbox.js';
import { graphiqlOptions, renderLocalGraphiQL, serveGraphiQLAsset } from './graphiql.js';
import { serveScreen } from './screens/index.js';
import { serveInvoice } from './services/order/invoices.js';
import { serveMyDataExport } from './services/member/personal-data.js';
import { serveCsvExport } from './services/organization/exports.js';
import { serveCalendar } from './services/integration/calendars.js';
import { DEFAULT_LOCALE, localeOf, translate } from './i18n/translate.js';
import { logger, yogaLogging } from './logger.js';
import { uncachedErrors, useOperationLimits } from './operation-limits.js';
import { createStripeClient, getStripeClient, setStripeClient } from './payments/stripe.js';
import { handleStripeWebhook, STRIPE_WEBHOOK_PATH } from './payments/webhook.js';
import { schema, testClockSchema } from './schema/index.js';
import { useTranslatedDomainErrors } from './translate-errors.js';
import { createSocketLimits } from './ws-limits.js';
import { useInputBounds } from './input-bounds.js';
import { announcesOversizedBody, refuseOversizedBody, useBodyLimit } from './body-limit.js';
import { createMetrics, METRICS_PATH } from './metrics.js';
import { useScheduleCache } from './response-cache.js';

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  httpServer: Server;
  database: Database;
  events: EventBus;
  /** Starts listening; resolves with the port (useful with port 0). */
  listen(port?: number, host?: string): Promise<number>;
  /** Graceful shutdown: stop accepting, close sockets, then the database and Redis. */
  close(): Promise<void>;
}

interface ContextSeed {
  request?: Request;
  connectionParams?: Record<string, unknown>;
  extra?: { request?: IncomingMessage };
  /** Node's request under `yoga.handle` (absent under `yoga.fetch`). */
  req?: IncomingMessage;
}

/** Where the request comes from: the socket, or the first X-Forwarded-For hop behind a trusted proxy. */
function clientAddressOf(incoming: IncomingMessage | undefined, forwardedFor: string | null | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const first = forwardedFor.split(',')[0]?.trim();
    if (first) return first.slice(0, 64);
  }
  return incoming?.socket.remoteAddress ?? 'local';
}

/**
 * Builds the context from an HTTP request or a graphql-ws connection, with the same rules: the
 * bearer token (header or connectionParams) first, else the login cookie (HTTP, or the WebSocket
 * upgrade request). A token that does not hold is refused with INVALID_TOKEN, never anonymous.
 */
interface ContextRules {
  trustProxy: boolean;
  /** Origins whose pages may open a socket logged in by the cookie (besides the server's own). */
  cookieOrigins: readonly string[];
}

async function buildContext(seed: ContextSeed, clock: Clock, rules: ContextRules): Promise<Omit<Context, 'rateLimits' | 'stripe'>> {
  const params = seed.connectionParams;
  const upgrade = seed.extra?.request;
  const header = (name: string): string | null => {
    if (seed.request) return seed.request.headers.get(name);
    const value = upgrade?.headers[name];
    return typeof value === 'string' ? value : null;
  };
  const authorization = params ? params.authorization : header('authorization');
  const locale = localeOf({ request: seed.request, connectionParams: params, incoming: upgrade });
  const clientAddress = clientAddressOf(seed.req ?? upgrade, header('x-forwarded-for'), rules.trustProxy);
  const bearerToken = bearer(authorization);
  // Over HTTP, Yoga's CSRF prevention guards the cookie; on a WebSocket upgrade, its Origin does.
  const cookieAllowed = !upgrade || upgradeOriginMayUseCookie(header('origin'), header('host'), rules.cookieOrigins);
  const cookieToken = bearerToken || !cookieAllowed ? null : loginCookieOf(header('cookie'));
  const token = bearerToken ?? cookieToken;
  const base = { locale, clock, clientAddress, request: seed.request };
  if (!token) return { ...base, viewer: null };
  try {
    const viewer = await viewerFromToken(token, clock.now());
    return { ...base, viewer: { memberId: viewer.memberId, sessionId: viewer.sessionId }, viaCookie: cookieToken !== null };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new GraphQLError(translate(locale, error.messageKey, error.params), {
      extensions: {
        code: error.code,
        // A dead cookie is cleared, so the browser stops sending it.
        http: { status: 401, headers: cookieToken ? { 'set-cookie': `${LOGIN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax` } : {} },
      },
    });
  }
}

/** Headers read from a WebSocket upgrade after it (the context of each subscription, the limits). */
const UPGRADE_HEADERS = ['authorization', 'cookie', 'origin', 'host', 'accept-language', 'x-forwarded-for'] as const;

/** What is read of an upgrade request once the socket is open, without the request itself. */
function upgradeFacts(request: IncomingMessage): IncomingMessage {
  const headers: Record<string, string | string[]> = {};
  for (const name of UPGRADE_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { headers, socket: { remoteAddress: request.socket.remoteAddress } } as unknown as IncomingMessage;
}

/**
 * Business errors are typed results in mutations, and translated GraphQL errors elsewhere (see
 * translate-errors.ts). One reaching this point anyway (e.g. a subscription's setup) keeps its code.
 * Everything else is a bug and stays masked.
 */
function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) {
    return new GraphQLError(translate(DEFAULT_LOCALE, original.messageKey, original.params), {
      extensions: { code: original.code },
      path: error instanceof GraphQLError ? error.path : undefined,
    });
  }
  return defaultMaskError(error, message, isDev);
}

/**
 * Whether an operation passes `includeCurrent: true` (a literal, or a variable that is true or
 * defaults to true) to any field: its first results are its own, so it cannot share a running
 * execution.
 */
function asksForCurrentState(args: { document: DocumentNode; variableValues?: Record<string, unknown> | null }): boolean {
  const defaults = new Map<string, unknown>();
  for (const definition of args.document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const value = variable.defaultValue;
      if (value?.kind === Kind.BOOLEAN) defaults.set(variable.variable.name.value, value.value);
    }
  }
  let asks = false;
  visit(args.document, {
    Argument(node) {
      if (node.name.value !== 'includeCurrent') return;
      const value = node.value;
      if (value.kind === Kind.BOOLEAN) asks ||= value.value;
      else if (value.kind === Kind.VARIABLE) {
        const name = value.name.value;
        const given = args.variableValues?.[name];
        asks ||= (given === undefined ? defaults.get(name) : given) === true;
      }
    },
  });
  return asks;
}

export interface AppOptions {
  /** Run identical subscriptions once per event (default). Off only to measure the difference (bench/). */
  shareSubscriptions?: boolean;
}

export async function createApp(config: Config, givenClock?: Clock, options: AppOptions = {}): Promise<App> {
  const shareSubscriptions = options.shareSubscriptions ?? true;
  const clock = givenClock ?? (config.testClock ? new TestClock() : systemClock);
  configureTokens(config.jwtSecret, config.tokenTtlSeconds);
  if (config.devSecret) logger.warn('JWT_SECRET is not set: tokens are signed with the development key. Set JWT_SECRET (32+ characters) outside development.');
  configureLinks(config.publicUrl);
  configureWebhooks({ allowPrivate: config.webhooksAllowPrivate });
  configureCookies({ secure: config.production });
  const database = await openDatabase(config);
  const events = openEvents(config.redisUrl);
  if (config.demoData) await seedDemoData(clock);
  // Online payment (issue 5): null without STRIPE_SECRET_KEY, and card payments answer so.
  const stripe = createStripeClient(config);
  if (stripe) setStripeClient(stripe);
  // Logins found valid are kept for a few seconds, dropped by every revocation (auth-sessions.ts).
  const stopKeepingLogins = keepValidLogins();
  const rateLimits: RateLimits = openRateLimits(config.rateLimits, config.redisUrl);
  await rateLimits.ready();
  const contextRules: ContextRules = { trustProxy: config.trustProxy, cookieOrigins: [new URL(config.publicUrl).origin, ...config.corsOrigins] };
  // GET /metrics (src/metrics.ts); the gauges read the sockets and their operations at scrape time.
  const wsConnections = new Set<{ readonly subscriptions: Readonly<Record<string, unknown>> }>();
  const metrics = config.metrics
    ? createMetrics(
        {
          clock,
          openSockets: (): number => wsServer.clients.size,
          activeSubscriptions: () => [...wsConnections].reduce((sum, ctx) => sum + Object.keys(ctx.subscriptions).length, 0),
        },
        config.metricsToken,
      )
    : null;

  const yoga = createYoga<Record<string, unknown>, Context>({
    schema: config.testClock ? testClockSchema : schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: async (initial) => ({ ...(await buildContext(initial as ContextSeed, clock, contextRules)), stripe, rateLimits }),
    maskedErrors: { maskError },
    renderGraphiQL: renderLocalGraphiQL,
    plugins: [
      useBodyLimit(config.maxBodyBytes),
      useCookies(),
      useCookieCsrfPrevention(),
      useTranslatedDomainErrors(),
      useInputBounds(),
      ...useOperationLimits({ limits: config.operationLimits, introspection: config.introspection, blockFieldSuggestions: config.production }),
      ...(metrics ? [metrics.plugin] : []),
      ...(config.responseCache ? useScheduleCache({ ...config.responseCache, clock }) : []),
    ],
    parserAndValidationCache: { errorCache: uncachedErrors },
    // useBodyLimit (src/body-limit.ts) bounds bodies, with a translated 413; Yoga's own limit would
    // pipe every body through one more stream.
    maxRequestBodySize: false,
    // Browsers may call from the listed origins only (with the login cookie); others get no CORS
    // headers at all, so the browser keeps their pages out.
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin !== null && config.corsOrigins.includes(origin) ? { origin: [origin], credentials: true } : false;
    },
    // GraphiQL opens on example tabs with a token header placeholder (src/graphiql.ts).
    graphiql: config.graphiql ? graphiqlOptions('Class booking API') : false,
    logging: yogaLogging,
  });

  const health = async (res: ServerResponse) => {
    const [databaseUp, eventsUp] = await Promise.all([database.ping(), events.ping()]);
    const body = {
      status: databaseUp && eventsUp ? 'ok' : databaseUp ? 'degraded' : 'down',
      database: { kind: database.kind, up: databaseUp },
      events: { kind: events.kind, up: eventsUp },
    };
    res.writeHead(databaseUp ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const httpServer = createServer((req, res) => {
    // A body announced over the limit is refused before any route reads it (streamed ones are
    // counted by the route: the GraphQL body limit, the webhook's reader).
    if (announcesOversizedBody(req, config.maxBodyBytes)) {
      refuseOversizedBody(req, res, config.maxBodyBytes);
      return;
    }
    if (req.method === 'POST' && req.url?.split('?')[0] === STRIPE_WEBHOOK_PATH) {
      handleStripeWebhook(req, res, { stripe, webhookSecret: config.stripeWebhookSecret, clock, maxBodyBytes: config.maxBodyBytes }).catch((error) => {
        logger.error({ err: error }, 'Stripe webhook failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    if (req.url === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      health(res).catch((error) => {
        logger.error({ err: error }, 'health check failed');
        res.writeHead(503).end();
      });
      return;
    }
    if (metrics && req.url?.split('?')[0] === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      metrics.serve(req, res).catch((error) => {
        logger.error({ err: error }, 'metrics failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    if (req.method === 'GET' && req.url) {
      const url = req.url;
      (config.graphiql ? serveGraphiQLAsset(url, res) : Promise.resolve(false))
        .then(async (served) => served || serveScreen(url, res))
        .then(async (served) => served || serveInvoice(url, res))
        .then(async (served) => served || serveMyDataExport(url, res, clock))
        .then(async (served) => served || serveCsvExport(url, res, clock))
        .then(async (served) => served || serveCalendar(req, res, clock))
        .then((served) => {
          if (!served) yoga.handle(req, res);
        })
        .catch((error) => {
          logger.error({ err: error }, 'could not serve a static asset');
          if (!res.headersSent) res.writeHead(500).end();
        });
      return;
    }
    yoga.handle(req, res);
  });

  // Sockets per client address, operations per socket, time to connection_init (src/ws-limits.ts).
  const socketLimits = createSocketLimits(config.socketLimits, (request) => {
    const forwardedFor = request.headers['x-forwarded-for'];
    return clientAddressOf(request, typeof forwardedFor === 'string' ? forwardedFor : null, config.trustProxy);
  });
  const wsServer = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint, verifyClient: socketLimits.verifyClient, WebSocket: SharedFramesSocket });
  wsServer.on('connection', socketLimits.track);
  // Sockets opened with a login, so that a revoked or expired login closes them (4403, as
  // graphql-ws closes a refused connection_init).
  const loggedInSockets = new Map<WebSocket, { memberId: string; sessionId: string }>();
  const forbid = (socket: WebSocket) => {
    loggedInSockets.delete(socket);
    socket.close(4403, 'Forbidden');
  };
  const stopWatchingRevocations = watch('auth:revoked', (event) => {
    for (const [socket, login] of loggedInSockets) {
      if (login.memberId !== event.memberId) continue;
      if (event.sessionId ? login.sessionId === event.sessionId : login.sessionId !== event.exceptSessionId) forbid(socket);
    }
  });
  const loginCheck = setInterval(() => {
    const sessionIds = [...new Set([...loggedInSockets.values()].map((login) => login.sessionId))];
    if (sessionIds.length === 0) return;
    validLogins(sessionIds, clock.now())
      .then((valid) => {
        for (const [socket, login] of loggedInSockets) if (!valid.has(login.sessionId)) forbid(socket);
      })
      .catch((error) => logger.warn({ err: error }, 'could not check the logins of open sockets'));
  }, config.socketAuthCheckMs);
  loginCheck.unref();
  const wsCleanup = serveGraphQLWs(
    {
      // connection_init's deadline is kept by socketLimits (ws-limits.ts).
      connectionInitWaitTimeout: 0,
      // The login is checked at connection_init and again at every subscribe: a bad token closes
      // the socket with 4403 instead of running anonymously.
      onConnect: async (ctx) => {
        socketLimits.initialised(ctx.extra.socket);
        wsConnections.add(ctx);
        try {
          const context = await buildContext({ connectionParams: ctx.connectionParams, extra: ctx.extra }, clock, contextRules);
          // The socket's life long, only a few headers and the address are read again: the upgrade
          // request itself (headers, raw headers, parser state) need not stay with every socket.
          (ctx.extra as { request: IncomingMessage }).request = upgradeFacts(ctx.extra.request);
          const { viewer } = context;
          const socket = ctx.extra.socket as unknown as WebSocket;
          // A socket closed meanwhile has had its onClose already.
          if (viewer?.sessionId && socket.readyState === socket.OPEN) {
            loggedInSockets.set(socket, { memberId: viewer.memberId, sessionId: viewer.sessionId });
          }
          return true;
        } catch (error) {
          if (error instanceof GraphQLError) return false;
          throw error;
        }
      },
      // graphql-ws calls it once a socket has closed: what onConnect noted goes without a listener
      // of our own on every socket.
      onClose: (ctx) => {
        wsConnections.delete(ctx);
        loggedInSockets.delete(ctx.extra.socket as unknown as WebSocket);
      },
      execute: (args: any) => args.rootValue.execute(args),
      // A shared group's result is serialised once for all its sockets (events/shared-frames.ts).
      onNext: (_ctx, _id, _payload, _args, result) => sharedPayload(result as ExecutionResult),
      // Identical subscriptions (same document, variables, viewer and locale) run once per event
      // and every socket gets the same result: what lets one instance serve 10k lobby screens.
      // One that asks for the current state first runs on its own: a group already running has
      // sent its state long ago (its changes still come from the one shared read per event).
      subscribe: (args: any) => {
        if (!shareSubscriptions || asksForCurrentState(args)) return args.rootValue.subscribe(args);
        const { schema: argsSchema, document, operationName, variableValues, contextValue, rootValue } = args;
        // graphql-ws keeps `args` for as long as the subscription runs (for onNext and onOperation,
        // which read no context here), though a subscription that joins a running group never
        // uses its context or Yoga's functions again: the group's first one runs with its own copy.
        args.contextValue = undefined;
        args.rootValue = undefined;
        const own = { schema: argsSchema, document, operationName, variableValues, contextValue, rootValue };
        return subscribeShared(own, rootValue.subscribe, callerKey(contextValue));
      },
      onSubscribe: async (ctx, _id, payload) => {
        const tooMany = socketLimits.tooManySubscriptions(ctx);
        if (tooMany) return [tooMany];
        // The same keys for every subscription, named one by one: V8 gives each `{ ...ctx }` a
        // hidden class of its own (about 0.4 KB a subscription), since graphql-ws's connection
        // objects do not all share one.
        const { schema: envelopedSchema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          connectionParams: ctx.connectionParams,
          extra: ctx.extra,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let contextValue: Context;
        try {
          contextValue = (await contextFactory()) as unknown as Context;
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          forbid(ctx.extra.socket as unknown as WebSocket);
          return [error];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          // A client's mistake (or a refusal): answered on this subscription, the socket stays open.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        // graphql-ws keeps the message for as long as the operation runs: its query becomes the
        // text of Yoga's cached document, one string for every socket that sent the same query.
        const text = document.loc?.source.body;
        if (text === payload.query) (payload as { query: string }).query = text;
        const args = {
          schema: envelopedSchema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
    { production: config.production, keepAliveMs: config.socketLimits.keepAliveMs },
  );

  // Due work (expiry, renewals) runs on a timer in every instance; SKIP LOCKED shares it out. With
  // the test clock, only advanceClock runs it, so that it runs in order and before answering.
  // Emails due are sent by the same timer (or by advanceClock under the test clock).
  const mail = { mailer: createMailer(config), from: config.mailFrom, publicUrl: config.publicUrl };
  setMailer(mail);
  const jobs = config.testClock || config.jobIntervalMs <= 0 ? null : startJobTimer(clock, config.jobIntervalMs, mail, metrics?.webhookAttempt);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await jobs?.stop();
      clearInterval(loginCheck);
      stopWatchingRevocations();
      stopKeepingLogins();
      rateLimits.close();
      if (getMailer() === mail) setMailer(null);
      if (stripe && getStripeClient() === stripe) setStripeClient(null);
      mail.mailer.close();
      for (const socket of wsServer.clients) socket.close(1001, 'Server shutting down');
      await wsCleanup.dispose();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeIdleConnections();
        setTimeout(() => httpServer.closeAllConnections(), 5_000).unref();
      });
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await events.close();
      await database.close();
    })();
    return closing;
  };

  return {
    yoga,
    httpServer,
    database,
    events,
    listen: (port = config.port, host = config.host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close,
  };
}
