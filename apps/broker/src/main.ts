import { ConfigError, loadConfig } from './config';
import { startBroker } from './broker';

/** `node dist/apps/broker/src/main.js`: the MQTT broker for the device fleet. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const broker = await startBroker(config);
  console.log(
    `orfleet broker: MQTT on ${config.mqtt.host}:${broker.mqttPort}` +
      (broker.wsPort === undefined
        ? ''
        : `, WebSocket on ${config.mqtt.host}:${broker.wsPort}/mqtt`) +
      `, health and metrics on http://${config.ops.host}:${broker.opsPort}`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`orfleet broker: ${signal}: shutting down`);
    // graceful, but bounded: exit within 10 s whatever happens
    setTimeout(() => process.exit(1), 10_000).unref();
    broker.close().then(
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
  if (error instanceof ConfigError) console.error(`orfleet broker: ${error.message}`);
  else console.error('orfleet broker: failed to start:', error);
  process.exit(1);
});
