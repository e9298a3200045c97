import { ConfigError, loadConfig } from './config';
import { startIngest } from './ingest';

/** `node dist/apps/ingest/src/main.js`: MQTT → spool → InfluxDB. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const ingest = await startIngest(config);
  console.log(
    `orfleet ingest: from ${config.mqtt.url} as ${config.mqtt.clientId}` +
      ` (shard ${config.shard.index}/${config.shard.count})` +
      `, to ${config.influx === undefined ? 'the spool only (INFLUX_URL unset)' : config.influx.url}` +
      `, health and metrics on http://${config.ops.host}:${ingest.opsPort}`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`orfleet ingest: ${signal}: shutting down`);
    // graceful, but bounded: what is not yet in InfluxDB stays in the spool
    setTimeout(() => process.exit(1), 10_000).unref();
    ingest.close().then(
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
  if (error instanceof ConfigError) console.error(`orfleet ingest: ${error.message}`);
  else console.error('orfleet ingest: failed to start:', error);
  process.exit(1);
});
