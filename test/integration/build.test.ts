import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, utimesSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';
import { startServer, stopProcess } from '../support/processes.js';

// Issue 14 point 8: production runs the compiled JavaScript. `npm run build` writes dist/ and
// `npm start` (scripts/start.mjs) runs it, falling back to the sources when dist/ is older.

const children: ChildProcess[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(databases.map((name) => dropDatabase(name)));
  // dist/ stays as built from the current sources.
  if (existsSync('dist/BUILD')) utimesSync('dist/BUILD', new Date(), new Date());
});

describe('npm run build, then npm start', () => {
  it('serves from dist/ (GraphQL, the lobby screen assets, /metrics), and from the sources when dist/ is stale', async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    expect(existsSync('dist/main.js')).toBe(true);

    const name = await createDatabase('booking_build');
    databases.push(name);
    const env = { DATABASE_URL: databaseUrl(name), REDIS_URL: inject('redisUrl'), NODE_ENV: '' };
    const server = await startServer(env, children, ['scripts/start.mjs']);
    const ready = server.stdout.join('').split('\n').find((line) => line.includes('server ready'))!;
    expect(JSON.parse(ready)).toMatchObject({ code: 'dist' });
    const base = `http://127.0.0.1:${server.port}`;
    // Redis's subscriber connection may still be coming up just after "server ready" on a busy machine.
    await expect
      .poll(async () => (await fetch(`${base}/health`)).json(), { timeout: 15_000, interval: 250 })
      .toMatchObject({ status: 'ok', database: { kind: 'postgresql', up: true } });
    const signUp = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { signUp(input: { email: "built@example.com", password: "a long password", firstName: "B", lastName: "D" }) { __typename } }' }),
    });
    expect(await signUp.json()).toEqual({ data: { signUp: { __typename: 'SignUpSuccess' } } });
    for (const asset of ['lobby.js', 'lobby.css', 'graphql-ws.min.js']) expect((await fetch(`${base}/screens/assets/${asset}`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('graphql_envelop_request{operationName="Anonymous",operationType="mutation"} 1');
    expect(await stopProcess(server.child)).toBe(0);

    // A build older than the sources is not run: the sources are, and the log says why.
    utimesSync('dist/BUILD', new Date(0), new Date(0));
    const fallback = await startServer(env, children, ['scripts/start.mjs']);
    const lines = fallback.stdout.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; code?: string });
    expect(lines.map((line) => line.msg)).toContain('dist/ is older than src/: running the sources with tsx (npm run build to refresh dist/)');
    expect(lines.find((line) => line.msg === 'server ready')).toMatchObject({ code: 'src' });
    // Generating the Prisma client first prints nothing of its own (no plain text among the logs).
    expect(fallback.stderr.join('')).toBe('');
    expect(await stopProcess(fallback.child)).toBe(0);
  }, 420_000);
});
