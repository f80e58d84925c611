import { pino } from 'pino';
import { GraphQLError } from 'graphql';
import { DomainError } from './domain/errors.js';

interface LogSink {
  write(line: string): unknown;
}

const stdout: LogSink = pino.destination(1);
let sink: LogSink = stdout;

/** The process's logger (JSON lines; pipe through `pino-pretty` to read them). */
export const logger = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
    base: { pid: process.pid },
  },
  { write: (line: string) => sink.write(line) },
);

/** Sends log lines elsewhere (tests read what was logged); `null` goes back to stdout. */
export function redirectLogs(destination: LogSink | null): void {
  sink = destination ?? stdout;
}

/**
 * Yoga's log calls. Yoga reports at error level every error its masking replaced, and that includes
 * a business error translated for the client (a subscription asked for without a login, a bad
 * filter): a client's mistake, logged at info in one line. Only real bugs (errors Yoga masks as
 * "Unexpected error.") are logged at error, with their stack.
 */
export const yogaLogging = {
  debug: (...args: unknown[]) => logger.debug(args.map(String).join(' ')),
  info: (...args: unknown[]) => logger.info(args.map(String).join(' ')),
  warn: (...args: unknown[]) => logger.warn(args.map(String).join(' ')),
  error: (...args: unknown[]) => {
    if (args.length > 0 && args.every(isClientMistake)) {
      logger.info({ errors: args.map((error) => describe(error as Error)) }, 'client error');
      return;
    }
    logger.error(args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' '));
  },
};

function isClientMistake(error: unknown): boolean {
  if (error instanceof DomainError) return true;
  if (!(error instanceof GraphQLError)) return false;
  const original = error.originalError;
  return original === undefined || original === null || original instanceof DomainError || (original instanceof GraphQLError && isClientMistake(original));
}

function describe(error: Error): { message: string; code?: unknown } {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  const code = original instanceof DomainError ? original.code : error instanceof DomainError ? error.code : error instanceof GraphQLError ? error.extensions.code : undefined;
  return { message: error.message, ...(code === undefined ? {} : { code }) };
}
