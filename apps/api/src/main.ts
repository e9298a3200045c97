import { ConfigError, loadConfig } from './config';
import { startApi } from './platform/bootstrap';

/** `node dist/apps/api/src/main.js`: the API on its own (npm start runs the whole platform). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = {
    info: (m: string) => console.log(`orfleet api: ${m}`),
    warn: (m: string) => console.warn(`orfleet api: ${m}`),
  };
  const api = await startApi(config, { log });
  log.info(`listening on ${api.url} (OpenAPI: ${api.url}/api/docs, ready: ${api.url}/readyz)`);
  if (api.needsFirstAdmin) {
    log.info('no admin token exists yet. Create the first one (it is shown once):');
    log.info('  npm run token -- --role admin --name <your-name>');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    // graceful, but bounded (as the broker): a hung close must not keep Ctrl-C from working
    setTimeout(() => process.exit(1), 10_000).unref();
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`orfleet api: ${error.message}`);
  else console.error('orfleet api: failed to start:', error);
  process.exit(1);
});
