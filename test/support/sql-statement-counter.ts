import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

// Counts the SQL statements a server sends to PostgreSQL, on the wire: a TCP proxy between the
// server and PostgreSQL that reads the frontend protocol. Every simple Query message ('Q': BEGIN,
// COMMIT, raw scripts) and every Execute of the extended protocol ('E': Prisma's queries, raw
// queries with parameters) is one statement, whoever sent it: nothing the code does can escape
// the count, and nothing needs to know how the code talks to PostgreSQL.
//
//   const counter = await SqlStatementCounter.start(databaseUrl);
//   const app = await startApp({ databaseUrl: counter.url });
//   const { count, statements } = await counter.during(() => request(...));

export interface CountedStatements {
  count: number;
  /** Of `count`, the executions of a named prepared statement (parsed and planned once per connection). */
  prepared: number;
  /** The SQL of each statement, in order (text of the Parse an Execute ran, or the Query). */
  statements: string[];
}

export class SqlStatementCounter {
  private count = 0;
  private prepared = 0;
  private statements: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    /** The database URL to give the server under count (same database, through this proxy). */
    readonly url: string,
  ) {}

  /** Listens on an ephemeral port of 127.0.0.1 and forwards every connection to `databaseUrl`'s server. */
  static async start(databaseUrl: string): Promise<SqlStatementCounter> {
    const target = new URL(databaseUrl);
    const targetPort = Number(target.port || 5432);
    const targetHost = target.hostname || '127.0.0.1';
    let counter!: SqlStatementCounter;
    const server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      counter.sockets.add(client);
      counter.sockets.add(upstream);
      const reader = new FrontendReader((text, named) => counter.record(text, named));
      client.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      const close = () => {
        client.destroy();
        upstream.destroy();
        counter.sockets.delete(client);
        counter.sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String((server.address() as AddressInfo).port);
    counter = new SqlStatementCounter(server, proxied.toString());
    return counter;
  }

  private record(text: string, named: boolean): void {
    this.count += 1;
    if (named) this.prepared += 1;
    if (this.statements.length < 10_000) this.statements.push(text);
  }

  /** The statements counted since the last `take` (or the start), and a fresh count from now. */
  take(): CountedStatements {
    const taken = { count: this.count, prepared: this.prepared, statements: this.statements };
    this.count = 0;
    this.prepared = 0;
    this.statements = [];
    return taken;
  }

  /**
   * The statements sent while `work` ran. Run nothing else against the counted server meanwhile
   * (no job timer, no other request): every statement on its connections is counted.
   */
  async during(work: () => Promise<unknown>): Promise<CountedStatements> {
    this.take();
    await work();
    return this.take();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// Frontend message types that carry SQL (PostgreSQL protocol 3.0, "Message Formats").
const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const EXECUTE = 0x45; // 'E'
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Splits one client's byte stream into protocol messages and reports each statement run. */
class FrontendReader {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  /** Prepared statement name → SQL, portal name → statement name (the unnamed ones are ''). */
  private readonly prepared = new Map<string, string>();
  private readonly portals = new Map<string, string>();

  constructor(private readonly onStatement: (text: string, named: boolean) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.started) {
        // Startup, SSL or GSS request: a length and a code, no type byte.
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.started = true;
        this.buffer = this.buffer.subarray(length);
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      this.read(this.buffer[0]!, this.buffer.subarray(5, 1 + length));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }

  private read(type: number, body: Buffer): void {
    if (type === QUERY) {
      this.onStatement(cString(body, 0).text, false);
    } else if (type === PARSE) {
      const name = cString(body, 0);
      this.prepared.set(name.text, cString(body, name.next).text);
    } else if (type === BIND) {
      const portal = cString(body, 0);
      this.portals.set(portal.text, cString(body, portal.next).text);
    } else if (type === EXECUTE) {
      const statement = this.portals.get(cString(body, 0).text) ?? '';
      this.onStatement(this.prepared.get(statement) ?? '?', statement !== '');
    }
  }
}

function cString(buffer: Buffer, start: number): { text: string; next: number } {
  const end = buffer.indexOf(0, start);
  return { text: buffer.toString('utf8', start, end), next: end + 1 };
}
