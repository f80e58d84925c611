import { pino } from 'pino';

/** The process's logger (JSON lines; pipe through `pino-pretty` to read them). */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid },
});
