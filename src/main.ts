import { loadConfig } from './config.js';
import { logger } from './logger.js';
import { createApp } from './server.js';

const config = loadConfig();
const app = await createApp(config);
// Before "server ready": whoever waits for that line may signal at once, and a signal with no
// handler yet would kill the process instead of closing it.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => process.exit(0))
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  });
}

const port = await app.listen();
logger.info(
  {
    port,
    database: app.database.kind,
    events: app.events.kind,
    // `dist`: the compiled build (npm run build); `src`: the sources through tsx.
    code: import.meta.url.endsWith('.js') ? 'dist' : 'src',
    graphiql: `http://localhost:${port}/graphql`,
  },
  'server ready',
);

