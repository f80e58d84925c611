import type { RateLimits } from './auth/rate-limits.js';
import type { Clock } from './clock.js';
import type { Locale } from './i18n/messages.js';
import type { StripeClient } from './payments/stripe.js';

/** Who is calling: a logged-in member, or nobody (public data only). */
export interface Viewer {
  memberId: string;
  /** The login (AuthSession) the request's token or cookie names. */
  sessionId?: string;
}

/** The GraphQL context, built per request (HTTP) or per operation (WebSocket). */
export interface Context {
  viewer: Viewer | null;
  locale: Locale;
  clock: Clock;
  /** This server's Stripe client; null or absent when online payment is not configured. */
  stripe?: StripeClient | null;
  /** The HTTP request (absent over graphql-ws): where login cookies are set and cleared. */
  request?: Request;
  /** Where the request comes from (the socket, or X-Forwarded-For under TRUST_PROXY): rate limits count per address. */
  clientAddress: string;
  /** This server's attempt counters (logIn, signUp, password links); absent in internal contexts. */
  rateLimits?: RateLimits;
  /** True when the viewer was authenticated by the login cookie rather than a bearer token. */
  viaCookie?: boolean;
}
