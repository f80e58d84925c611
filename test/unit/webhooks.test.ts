import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import {
  isDeliverySuccess,
  isPublicAddress,
  nextWebhookAttemptAt,
  validateEndpointInput,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_RETRY_WINDOW_MS,
  webhookRetryDelayMs,
} from '../../src/domain/webhooks.js';

describe('which addresses a webhook may reach', () => {
  it.each([
    ['93.184.216.34', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['127.8.9.10', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['172.31.255.255', false],
    ['192.168.0.10', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not an address', false],
  ])('%s → %s', (address, allowed) => {
    expect(isPublicAddress(address)).toBe(allowed);
  });
});

describe('retries', () => {
  it('back off exponentially from 30 s to a 12 h cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(webhookRetryDelayMs)).toEqual([
      30_000, 120_000, 480_000, 1_920_000, 7_680_000, 30_720_000, 43_200_000, 43_200_000, 43_200_000,
    ]);
  });

  it('stop once the next attempt would fall past the 3-day window', () => {
    const queued = new Date('2026-12-01T10:00:00Z');
    const until = new Date(queued.getTime() + WEBHOOK_RETRY_WINDOW_MS);
    const attempts = [queued];
    for (let next = nextWebhookAttemptAt(1, queued, until); next; next = nextWebhookAttemptAt(attempts.length, attempts.at(-1)!, until)) {
      attempts.push(next);
    }
    // 0, 30 s, 2.5 min, 10.5 min, 42.5 min, ~2.8 h, ~11.4 h, then every 12 h up to ~71.4 h.
    expect(attempts).toHaveLength(12);
    expect(attempts.at(-1)!.getTime()).toBeLessThanOrEqual(until.getTime());
    expect(until.getTime() - attempts.at(-1)!.getTime()).toBeLessThan(webhookRetryDelayMs(12));
  });

  it('count only 2xx as delivered', () => {
    expect([200, 204, 299].every(isDeliverySuccess)).toBe(true);
    expect([null, 199, 301, 400, 410, 500].some(isDeliverySuccess)).toBe(false);
  });
});

describe('endpoint input', () => {
  const issueOf = (input: Parameters<typeof validateEndpointInput>[0]) => {
    try {
      validateEndpointInput(input);
      return null;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { field: error.field, messageKey: error.messageKey };
    }
  };

  it('accepts http(s) URLs and the known event types (duplicates folded)', () => {
    const parsed = validateEndpointInput({ url: 'https://hooks.example.com/in?x=1', events: ['order.paid', 'order.paid', 'booking.created'] });
    expect(parsed.url!.href).toBe('https://hooks.example.com/in?x=1');
    expect(parsed.events).toEqual(['order.paid', 'booking.created']);
    expect(issueOf({ events: [...WEBHOOK_EVENT_TYPES] })).toBeNull();
  });

  it.each([
    [{ url: 'ftp://example.com/' }, ['url'], 'validation.webhookUrl'],
    [{ url: 'https://a:b@example.com/' }, ['url'], 'validation.webhookUrl'],
    [{ url: 'example.com/hook' }, ['url'], 'validation.webhookUrl'],
    [{ url: 'https://example.com/\u0000' }, ['url'], 'validation.webhookUrl'],
    [{ url: `https://example.com/${'a'.repeat(2_000)}` }, ['url'], 'validation.tooLong'],
    [{ events: [] }, ['events'], 'validation.webhookEventsEmpty'],
    [{ events: ['order.paid', 'order.shipped'] }, ['events', '1'], 'validation.webhookEventType'],
    [{ events: ['ORDER.PAID'] }, ['events', '0'], 'validation.webhookEventType'],
  ])('%j is refused on %j', (input, field, messageKey) => {
    expect(issueOf(input)).toEqual({ field, messageKey });
  });
});
