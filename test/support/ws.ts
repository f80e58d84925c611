import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

export function wsClient(url: string, token?: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Subscribes and collects results; `next()` waits for the following one. */
export function subscribe<TResult, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
) {
  const received: { data?: TResult | null; errors?: readonly unknown[] }[] = [];
  const waiters: (() => void)[] = [];
  const dispose = client.subscribe<TResult>(
    { query: print(document), variables },
    {
      next: (value) => {
        received.push(value as (typeof received)[number]);
        waiters.splice(0).forEach((wake) => wake());
      },
      error: (error) => {
        received.push({ errors: [error] });
        waiters.splice(0).forEach((wake) => wake());
      },
      complete: () => {},
    },
  );
  return {
    received,
    dispose,
    /** Resolves once `count` results have arrived, or rejects after `timeoutMs`. */
    async waitFor(count: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} results, got ${received.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received;
    },
  };
}
