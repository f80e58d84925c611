import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { logger } from '../logger.js';

/** A session's seats or waitlist changed (or the session itself did). Published after commit. */
export interface SessionChangedEvent {
  sessionId: string;
  organizationId: string;
  venueId: string;
  activityId: string;
  /** ISO instant of the session's start, so that date-range filters need no database read. */
  startsAt: string;
}

/** The event for a session row (as stored). */
export function sessionChanged(session: {
  id: string;
  organizationId: string;
  venueId: string;
  activityId: string;
  startsAt: Date;
}): SessionChangedEvent {
  return {
    sessionId: session.id,
    organizationId: session.organizationId,
    venueId: session.venueId,
    activityId: session.activityId,
    startsAt: session.startsAt.toISOString(),
  };
}

/** A waitlist offer of this member appeared or changed (OPEN → CLAIMED, TAKEN or EXPIRED). */
export interface WaitlistOfferChangedEvent {
  memberId: string;
  offerId: string;
}

export type Topics = {
  'session:changed': [SessionChangedEvent];
  'waitlist:offer': [WaitlistOfferChangedEvent];
};

/**
 * The process's event bus. Redis carries events between instances; it never holds truth, so a
 * missed event costs a refresh, never a wrong seat count (clients re-query on reconnect).
 */
export let pubsub: PubSub<Topics> = createPubSub<Topics>();

export interface EventBus {
  kind: 'redis' | 'in-process';
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function openEvents(redisUrl: string | undefined): EventBus {
  if (!redisUrl) {
    pubsub = createPubSub<Topics>();
    return { kind: 'in-process', ping: async () => true, close: async () => {} };
  }
  const options = { maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
  }
  pubsub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return {
    kind: 'redis',
    ping: async () => {
      try {
        return (await Promise.race([
          publishClient.ping(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
        ])) === 'PONG';
      } catch {
        return false;
      }
    },
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

/** Publishes without ever failing the caller: the change is already committed. */
export function publishWaitlistOfferChanged(event: WaitlistOfferChangedEvent): void {
  try {
    pubsub.publish('waitlist:offer', event);
  } catch (error) {
    logger.warn({ err: error, offerId: event.offerId }, 'could not publish waitlist offer change');
  }
}

/** Publishes without ever failing the caller: the change is already committed. */
export function publishSessionChanged(event: SessionChangedEvent): void {
  try {
    pubsub.publish('session:changed', event);
  } catch (error) {
    logger.warn({ err: error, sessionId: event.sessionId }, 'could not publish session change');
  }
}
