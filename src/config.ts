import { resolve } from 'node:path';

/** Everything the server reads from its environment, in one place (the README lists it). */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL URL; undefined means the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  /** Redis URL; undefined means in-process events (a single instance). */
  redisUrl: string | undefined;
  dataDir: string;
  jwtSecret: string;
  /** True when JWT_SECRET is unset and the development key signs tokens (a warning is logged at start). */
  devSecret: boolean;
  tokenTtlSeconds: number;
  testClock: boolean;
  production: boolean;
  logLevel: string;
  /** Load the demo organisations at start (default: on with the embedded database). */
  demoData: boolean;
  /** SMTP URL of the mail relay; undefined means emails are written as `.eml` files under `<dataDir>/mail/`. */
  smtpUrl: string | undefined;
  /** The From of every email (MAIL_FROM). */
  mailFrom: string;
  stripeSecretKey: string | undefined;
  stripeWebhookSecret: string | undefined;
  stripeApiBase: string | undefined;
  publicUrl: string;
  /** How often each instance looks for due work (expiries, renewals); 0 turns the timer off. */
  jobIntervalMs: number;
  /** Take the client address from X-Forwarded-For (behind a proxy you trust), not the socket. */
  trustProxy: boolean;
  /** Attempts of logIn, signUp, requestPasswordReset and resetPassword allowed per window. */
  rateLimits: RateLimitConfig;
  /** How often open sockets have their login checked again (expiry); revocations close them at once. */
  socketAuthCheckMs: number;
  /** Bounds every operation must stay within (HTTP and WebSocket alike). */
  operationLimits: OperationLimitConfig;
  /** Origins allowed to call the API from a browser, with credentials (CORS_ORIGINS); none by default. */
  corsOrigins: string[];
  /** Serve GraphiQL to browsers on /graphql (GRAPHIQL=0 turns it off). */
  graphiql: boolean;
  /** Answer introspection queries (INTROSPECTION=0 refuses them). */
  introspection: boolean;
  /** What one client may hold on graphql-ws (src/ws-limits.ts). */
  socketLimits: SocketLimitConfig;
  /** Largest request body accepted (GraphQL and webhooks); larger ones answer 413. */
  maxBodyBytes: number;
  /**
   * Let webhook endpoints point at private, loopback or link-local addresses
   * (WEBHOOKS_ALLOW_PRIVATE=1): for tests and private networks only; off by default.
   */
  webhooksAllowPrivate: boolean;
  /** Serve Prometheus metrics on GET /metrics (METRICS=0 turns it off). */
  metrics: boolean;
  /** Bearer token GET /metrics requires (METRICS_TOKEN); undefined: no token asked. */
  metricsToken: string | undefined;
  /** Anonymous schedule answers cached per instance (src/response-cache.ts); null: no cache (RESPONSE_CACHE=0). */
  responseCache: { ttlSeconds: number; maxEntries: number } | null;
}

export interface OperationLimitConfig {
  /** Lexical tokens in a document (MAX_TOKENS), checked while parsing. */
  tokens: number;
  /** Aliased fields, `__typename` included (MAX_ALIASES). */
  aliases: number;
  /** Directives in an operation (MAX_DIRECTIVES). */
  directives: number;
  /** Nesting of fields, fragments flattened (MAX_DEPTH). */
  depth: number;
  /** Cost from the schema's per-field complexities, lists multiplied (MAX_COMPLEXITY). */
  complexity: number;
  /** Fields selected in total (MAX_BREADTH). */
  breadth: number;
}

export interface SocketLimitConfig {
  /** Operations one socket may have running at once; one more gets a TOO_MANY_SUBSCRIPTIONS error. */
  maxSubscriptionsPerSocket: number;
  /** Open sockets per client address (see `trustProxy`); one more upgrade is refused with HTTP 429. */
  maxSocketsPerAddress: number;
  /** Time a socket has to send `connection_init` before it is closed with 4408. */
  connectionInitTimeoutMs: number;
  /** Every socket is pinged this often, and dropped when it has not answered the previous ping. */
  keepAliveMs: number;
}

export interface RateLimitConfig {
  /** Attempts per email (each mutation counted on its own) in `windowSeconds`. */
  perEmail: number;
  /** Attempts per client address (each mutation counted on its own) in `windowSeconds`. */
  perAddress: number;
  windowSeconds: number;
  /** Prefix of the counters' keys in Redis (instances that share counters share it). */
  keyPrefix: string;
}

const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const testClock = flag(env.TEST_CLOCK, false);
  if (testClock && production) {
    throw new Error('TEST_CLOCK=1 is refused when NODE_ENV=production.');
  }
  const jwtSecret = env.JWT_SECRET ?? (production ? undefined : DEV_SECRET);
  if (!jwtSecret || jwtSecret.length < 32) {
    throw new Error('JWT_SECRET must be set to at least 32 characters (required when NODE_ENV=production).');
  }
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT is not a port number: ${env.PORT}`);
  const databaseUrl = env.DATABASE_URL || undefined;
  const jobIntervalMs = Number(env.JOB_INTERVAL_MS ?? 10_000);
  if (!Number.isInteger(jobIntervalMs) || jobIntervalMs < 0) throw new Error(`JOB_INTERVAL_MS is not a whole number of milliseconds: ${env.JOB_INTERVAL_MS}`);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    redisUrl: env.REDIS_URL || undefined,
    dataDir: resolve(env.DATA_DIR ?? '.data'),
    jwtSecret,
    devSecret: jwtSecret === DEV_SECRET,
    tokenTtlSeconds: Number(env.TOKEN_TTL_SECONDS ?? 60 * 60 * 24 * 30),
    testClock,
    production,
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info'),
    demoData: flag(env.DEMO_DATA, databaseUrl === undefined),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'Class booking <no-reply@localhost>',
    stripeSecretKey: env.STRIPE_SECRET_KEY || undefined,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET || undefined,
    stripeApiBase: env.STRIPE_API_BASE || undefined,
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}`,
    jobIntervalMs,
    trustProxy: flag(env.TRUST_PROXY, false),
    rateLimits: {
      perEmail: positiveInteger(env, 'RATE_LIMIT_PER_EMAIL', 10),
      perAddress: positiveInteger(env, 'RATE_LIMIT_PER_ADDRESS', 50),
      windowSeconds: positiveInteger(env, 'RATE_LIMIT_WINDOW_SECONDS', 15 * 60),
      keyPrefix: env.RATE_LIMIT_PREFIX || 'rate-limit',
    },
    socketAuthCheckMs: positiveInteger(env, 'SOCKET_AUTH_CHECK_MS', 30_000),
    operationLimits: {
      tokens: positiveInteger(env, 'MAX_TOKENS', 2000),
      aliases: positiveInteger(env, 'MAX_ALIASES', 30),
      directives: positiveInteger(env, 'MAX_DIRECTIVES', 20),
      depth: positiveInteger(env, 'MAX_DEPTH', 12),
      complexity: positiveInteger(env, 'MAX_COMPLEXITY', 5000),
      breadth: positiveInteger(env, 'MAX_BREADTH', 300),
    },
    corsOrigins: origins(env.CORS_ORIGINS),
    webhooksAllowPrivate: flag(env.WEBHOOKS_ALLOW_PRIVATE, false),
    graphiql: flag(env.GRAPHIQL, true),
    introspection: flag(env.INTROSPECTION, true),
    metrics: flag(env.METRICS, true),
    metricsToken: env.METRICS_TOKEN || undefined,
    socketLimits: {
      maxSubscriptionsPerSocket: positiveInteger(env, 'WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 20),
      maxSocketsPerAddress: positiveInteger(env, 'WS_MAX_SOCKETS_PER_ADDRESS', 50),
      connectionInitTimeoutMs: positiveInteger(env, 'WS_CONNECTION_INIT_TIMEOUT_MS', 3_000),
      keepAliveMs: positiveInteger(env, 'WS_KEEP_ALIVE_MS', 12_000),
    },
    maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', 1024 * 1024),
    responseCache: flag(env.RESPONSE_CACHE, true)
      ? {
          ttlSeconds: positiveInteger(env, 'RESPONSE_CACHE_TTL_SECONDS', 10),
          maxEntries: positiveInteger(env, 'RESPONSE_CACHE_MAX_ENTRIES', 500),
        }
      : null,
  };
}

/** CORS_ORIGINS: exact origins (scheme, host and port), comma-separated; `*` is refused. */
function origins(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean);
  for (const origin of list) {
    if (!/^https?:\/\/[^/\s*]+$/.test(origin)) throw new Error(`CORS_ORIGINS must list origins such as https://app.example.org: ${origin}`);
  }
  return list;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number: ${raw}`);
  return value;
}
