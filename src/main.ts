import { loadConfig } from './config.js';
import { logger } from './logger.js';
import { createApp } from './server.js';

const config = loadConfig();
const app = await createApp(config);
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
