import type { Clock } from './clock.js';
import type { Locale } from './i18n/messages.js';
import type { StripeClient } from './payments/stripe.js';

/** Who is calling: a logged-in member, or nobody (public data only). */
export interface Viewer {
  memberId: string;
}

/** The GraphQL context, built per request (HTTP) or per operation (WebSocket). */
export interface Context {
  viewer: Viewer | null;
  locale: Locale;
  clock: Clock;
  /** This server's Stripe client; null or absent when online payment is not configured. */
  stripe?: StripeClient | null;
}
