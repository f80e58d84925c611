import Stripe from 'stripe';
import type { Config } from '../config.js';

// The Stripe SDK client (SPEC §7). Built from STRIPE_SECRET_KEY; STRIPE_API_BASE points it at a
// Stripe-compatible server (tests, or a local mock), since Stripe's own servers may be unreachable.

export type StripeClient = Stripe;

/** The client for `config`, or null when no secret key is set (online payment is then unavailable). */
export function createStripeClient(config: Pick<Config, 'stripeSecretKey' | 'stripeApiBase'>): StripeClient | null {
  if (!config.stripeSecretKey) return null;
  const options: ConstructorParameters<typeof Stripe>[1] = { maxNetworkRetries: 2, timeout: 20_000, telemetry: false };
  if (config.stripeApiBase) {
    const base = new URL(config.stripeApiBase);
    const protocol = base.protocol === 'http:' ? 'http' : 'https';
    options.host = base.hostname;
    options.protocol = protocol;
    options.port = base.port ? Number(base.port) : protocol === 'http' ? 80 : 443;
  }
  return new Stripe(config.stripeSecretKey, options);
}

// Due work (renewal charges) runs outside any request, so the running server's client is also
// kept here, like the mailer. Requests use the client in their context.
let current: StripeClient | null = null;

export function setStripeClient(client: StripeClient | null): void {
  current = client;
}

export function getStripeClient(): StripeClient | null {
  return current;
}

/** Stripe amounts are in the currency's minor unit, with a lowercase ISO code. */
export function stripeCurrency(currency: string): string {
  return currency.trim().toLowerCase();
}
