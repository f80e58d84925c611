import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.js';
import { RateLimitedError } from '../domain/errors.js';
import { logger } from '../logger.js';

/** The mutations that guess or spend secrets, each counted on its own. */
export type LimitedAction = 'logIn' | 'signUp' | 'requestPasswordReset' | 'resetPassword';

/**
 * Counters of attempts per email and per client address (rate-limiter-flexible). With Redis they
 * are shared by every instance; when Redis is unreachable each instance falls back to its own
 * in-memory counters (the library's insurance limiter), so logins keep working, still limited.
 */
export interface RateLimits {
  /** Counts one attempt, or throws RateLimitedError when either counter is spent. */
  consume(action: LimitedAction, keys: { email?: string; address: string }): Promise<void>;
  /** Forgets the email's failed attempts (after a successful login). */
  forgive(action: LimitedAction, email: string): Promise<void>;
  /**
   * Resolves once the Redis connection is ready, or after `timeoutMs` (Redis down: the in-memory
   * counters answer meanwhile). A server awaits it before it listens, so that its first attempts
   * are not counted apart from the other instances' while the connection is still opening.
   */
  ready(timeoutMs?: number): Promise<void>;
  close(): void;
}

export function openRateLimits(config: RateLimitConfig, redisUrl: string | undefined): RateLimits {
  // Fail fast while Redis is down, so the insurance limiter answers instead of a queued command.
  const client = redisUrl ? new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false }) : null;
  client?.on('error', (error: Error) => logger.debug({ err: error.message }, 'rate-limit redis unavailable'));
  const limiter = (dimension: string, points: number): RateLimiterAbstract => {
    const options = { points, duration: config.windowSeconds, keyPrefix: `${config.keyPrefix}:${dimension}` };
    if (!client) return new RateLimiterMemory(options);
    return new RateLimiterRedis({ ...options, storeClient: client, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) });
  };
  const perEmail = limiter('email', config.perEmail);
  const perAddress = limiter('address', config.perAddress);

  const spend = async (counter: RateLimiterAbstract, key: string) => {
    try {
      await counter.consume(key);
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)));
      throw outcome;
    }
  };

  return {
    consume: async (action, { email, address }) => {
      await spend(perAddress, `${action}:${address}`);
      if (email) await spend(perEmail, `${action}:${email}`);
    },
    forgive: async (action, email) => {
      try {
        await perEmail.delete(`${action}:${email}`);
      } catch (error) {
        logger.debug({ err: error }, 'could not reset a rate-limit counter');
      }
    },
    ready: async (timeoutMs = 5_000) => {
      if (!client || client.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        client.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close: () => client?.disconnect(),
  };
}
