import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Config } from '../../src/config.js';
import type { App } from '../../src/server.js';
import { startApp } from './app.js';

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

/** A test server listening on an ephemeral port, with the graphql-ws clients opened to it. */
export interface ListeningApp {
  app: App;
  /** Opens a client (logged in with `token`), disposed by `close`. */
  client(token?: string): Client;
  /** Disposes the clients, then closes the server. */
  close(): Promise<void>;
}

export async function listeningApp(overrides: Partial<Config> = {}): Promise<ListeningApp> {
  const app = await startApp(overrides);
  const url = `ws://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
  const clients: Client[] = [];
  return {
    app,
    client(token) {
      const created = wsClient(url, token);
      clients.push(created);
      return created;
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.close();
    },
  };
}
