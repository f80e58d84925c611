import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { TEST_JWT_SECRET } from './app.js';

// Servers and a Redis as separate processes, as `npm start` and production run them.

export interface StartedServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything the child printed, stdout and stderr chunks in arrival order. */
  logs: string[];
  /** The same, per stream (lines stay whole within one stream). */
  stdout: string[];
  stderr: string[];
}

/**
 * Starts `src/main.ts` in a child process (or another entry point, e.g. `['scripts/start.mjs']` as
 * `npm start` runs it) and resolves once it logs `server ready`.
 */
/** Rate-limit key prefix of this test file's servers. */
const RUN_RATE_LIMIT_PREFIX = `test-servers:${randomUUID()}`;

export function startServer(
  env: Record<string, string | undefined>,
  children: ChildProcess[],
  args: string[] = ['--import', 'tsx', 'src/main.ts'],
): Promise<StartedServer> {
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      JOB_INTERVAL_MS: '0',
      // Rate-limit counters live in Redis, which outlives a run: each test file counts on its own
      // (the servers of one file share them), so reruns within the window are not refused.
      RATE_LIMIT_PREFIX: RUN_RATE_LIMIT_PREFIX,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: string[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('')}`)), 45_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      logs.push(chunk.toString());
      stdout.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('server ready')) continue;
        clearTimeout(timer);
        const port = (JSON.parse(line) as { port: number }).port;
        resolve({ child, port, url: `http://127.0.0.1:${port}/graphql`, logs, stdout, stderr });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      logs.push(chunk.toString());
      stderr.push(chunk.toString());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('')}`));
    });
  });
}

/** Stops a child gracefully (SIGTERM) and resolves with its exit code. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Answers whether a Redis answers PING on this port. */
function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * A private, throwaway `redis-server` on `port` (nothing saved), for tests that stop Redis. Never
 * the machine's Redis on 6379: other tests use it.
 */
export async function startRedis(port: number, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: 'ignore',
  });
  children.push(child);
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}
