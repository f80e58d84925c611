import ipaddr from 'ipaddr.js';
import { ValidationError, type ValidationIssue } from './errors.js';
import { hasForbiddenControlCharacters } from './input-limits.js';

// Webhooks out (issue 14, API.md "Integrators"): which events exist, what an endpoint URL may be,
// and when a failed delivery is tried again. Pure rules; the services do the I/O.

/** Every event type an endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'booking.created',
  'booking.cancelled',
  'waitlist.offer_claimed',
  'session.changed',
  'session.cancelled',
  'order.paid',
  'order.refunded',
  'subscription.renewed',
  'subscription.terminated',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The `version` of every payload; a change of shape that could break a receiver bumps it. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

export const MAX_WEBHOOK_URL_LENGTH = 2_000;
/** Endpoints one organisation may have (deleted ones not counted). */
export const MAX_WEBHOOK_ENDPOINTS = 20;

/** A failed delivery is retried for this long after it was queued (Standard Webhooks practice). */
export const WEBHOOK_RETRY_WINDOW_MS = 3 * 24 * 3600_000;

/**
 * Wait before attempt `attempts + 1` after `attempts` failed ones: 30 s, 2 min, 8 min, 32 min,
 * about 2 h and 8.5 h, then every 12 h (exponential, capped).
 */
export function webhookRetryDelayMs(attempts: number): number {
  return Math.min(30_000 * 4 ** Math.max(0, attempts - 1), 12 * 3600_000);
}

/** When to try again after `attempts` failed attempts, or null once that would pass `retryUntil`. */
export function nextWebhookAttemptAt(attempts: number, now: Date, retryUntil: Date): Date | null {
  const next = new Date(now.getTime() + webhookRetryDelayMs(attempts));
  return next.getTime() <= retryUntil.getTime() ? next : null;
}

/** 2xx, and only 2xx, is a success (Standard Webhooks); redirects are not followed. */
export function isDeliverySuccess(httpStatus: number | null): boolean {
  return httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
}

/**
 * True for an address a webhook may be sent to: public unicast only (ipaddr.js's ranges). Loopback,
 * private (RFC 1918, unique-local), link-local, carrier-grade NAT, multicast, unspecified and
 * reserved ranges are refused, and so are 6to4 and Teredo; an IPv4-mapped IPv6 address is judged
 * by its IPv4 address.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

export interface EndpointInput {
  url?: string | null;
  events?: readonly string[] | null;
}

/**
 * Checks an endpoint's URL (http or https, no credentials, bounded) and event types (known, at
 * least one, no duplicates); throws VALIDATION naming the field. The address check needs DNS, so
 * it is the service's (`checkWebhookHost`).
 */
export function validateEndpointInput(input: EndpointInput): { url?: URL; events?: WebhookEventType[] } {
  const issues: ValidationIssue[] = [];
  let url: URL | undefined;
  if (input.url != null) {
    if (input.url.length > MAX_WEBHOOK_URL_LENGTH) {
      issues.push({ field: ['url'], messageKey: 'validation.tooLong', params: { max: MAX_WEBHOOK_URL_LENGTH } });
    } else if (hasForbiddenControlCharacters(input.url) || !URL.canParse(input.url)) {
      issues.push({ field: ['url'], messageKey: 'validation.webhookUrl' });
    } else {
      url = new URL(input.url);
      if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || !url.hostname) {
        issues.push({ field: ['url'], messageKey: 'validation.webhookUrl' });
      }
    }
  }
  let events: WebhookEventType[] | undefined;
  if (input.events != null) {
    const known = new Set<string>(WEBHOOK_EVENT_TYPES);
    const unknown = input.events.findIndex((type) => !known.has(type));
    if (input.events.length === 0) {
      issues.push({ field: ['events'], messageKey: 'validation.webhookEventsEmpty' });
    } else if (unknown >= 0) {
      issues.push({
        field: ['events', String(unknown)],
        messageKey: 'validation.webhookEventType',
        params: { types: WEBHOOK_EVENT_TYPES.join(', ') },
      });
    } else {
      events = [...new Set(input.events as WebhookEventType[])];
    }
  }
  const [first, ...rest] = issues;
  if (first) throw new ValidationError([first, ...rest]);
  return { url, events };
}
