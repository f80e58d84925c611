import { readFileSync } from 'node:fs';
import { auditServer } from 'graphql-http';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import type { App } from '../../src/server.js';
import { startApp } from '../support/app.js';
import { undocumented } from '../support/schema-walk.js';

let app: App;
let url: string;
beforeAll(async () => {
  app = await startApp();
  url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await app.close();
});

describe('the printed schema', () => {
  it('schema.graphql is exactly what the server serves (run `npm run codegen` after changing the schema)', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }) }),
    });
    const { data } = (await response.json()) as { data: IntrospectionQuery };
    const served = printSchema(lexicographicSortSchema(buildClientSchema(data)));
    const committed = printSchema(lexicographicSortSchema(buildSchema(readFileSync('schema.graphql', 'utf8'))));
    expect(committed).toBe(served);
  });

  it('describes every type, field, argument, input field and enum value', () => {
    expect(undocumented(schema)).toEqual([]);
  });

  it('has the names API.md fixes', () => {
    const query = schema.getQueryType()!.getFields();
    for (const name of ['viewer', 'node', 'organization', 'sessions', 'offers']) expect(query).toHaveProperty(name);
    const mutation = schema.getMutationType()!.getFields();
    for (const name of ['signUp', 'logIn', 'addBeneficiary', 'createOrganization', 'createVenue', 'createActivity', 'scheduleSession', 'createOffer']) {
      expect(mutation).toHaveProperty(name);
      expect(mutation[name]!.args.map((arg) => arg.name)).toEqual(['input']);
      expect(String(mutation[name]!.type)).toBe(`${name[0]!.toUpperCase()}${name.slice(1)}Result!`);
    }
    expect(schema.getSubscriptionType()!.getFields()).toHaveProperty('sessionAvailability');
  });

  it('does not expose the test clock outside TEST_CLOCK=1', () => {
    expect(schema.getQueryType()!.getFields()).not.toHaveProperty('now');
    expect(schema.getMutationType()!.getFields()).not.toHaveProperty('advanceClock');
  });
});

describe('secure by default', () => {
  it('every root field states its auth scope explicitly', () => {
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    const unscoped: string[] = [];
    for (const root of roots) {
      for (const field of Object.values(root!.getFields())) {
        const options = field.extensions?.pothosOptions as { authScopes?: unknown } | undefined;
        if (!options?.authScopes) unscoped.push(`${root!.name}.${field.name}`);
      }
    }
    expect(unscoped).toEqual([]);
    // The walk itself sees every field: it would fail if it looked at nothing.
    expect(roots.reduce((n, root) => n + Object.keys(root!.getFields()).length, 0)).toBeGreaterThan(10);
  });

  it('root types require a login unless a field opts out', () => {
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      expect((root!.extensions?.pothosOptions as { authScopes?: unknown }).authScopes).toEqual({ loggedIn: true });
    }
  });
});

describe('GraphQL over HTTP', () => {
  it('passes every MUST audit of the GraphQL-over-HTTP specification (graphql-http)', async () => {
    const results = await auditServer({ url });
    const failedMusts = results.filter((result) => result.status === 'error');
    expect(failedMusts.map((result) => `${result.id} ${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
    expect(results.filter((result) => result.status === 'ok').length).toBeGreaterThan(20);
  });

  it('serves GraphiQL to browsers on /graphql', async () => {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('graphiql');
  });

  it('answers /health with the state of the database and Redis', async () => {
    const response = await fetch(url.replace('/graphql', '/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      database: { kind: 'postgresql', up: true },
      events: { kind: 'redis', up: true },
    });
  });
});
