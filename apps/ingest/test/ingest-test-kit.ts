import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../src/config';
import type { IngestConfig } from '../src/config';

/** A temp dir for one ingest's spool and dead-letter files, removed by `remove`. */
export function ingestDirs(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-ingest-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An ingest config for tests: ephemeral ops port, quiet, short flush and backoff. */
export function testIngestConfig(env: Record<string, string>): IngestConfig {
  return loadConfig({
    ORFLEET_INGEST_OPS_PORT: '0',
    ORFLEET_LOG_LEVEL: 'silent',
    ORFLEET_INGEST_FLUSH_MS: '50',
    MQTT_RECONNECT_MIN_MS: '50',
    MQTT_RECONNECT_MAX_MS: '500',
    ...env,
  });
}

/**
 * How an ingest reaches the test broker as the device-service account: URL, user name, token
 * and the client id `svc:test-device-service:<suffix>` (fixed, so its session survives restarts).
 */
export function serviceMqttEnv(
  tokens: Readonly<Record<string, string>>,
  mqttPort: number,
  suffix = 'ingest',
): Record<string, string> {
  return {
    MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
    MQTT_USERNAME: 'svc:test-device-service',
    MQTT_PASSWORD: tokens['device-service'] ?? '',
    MQTT_CLIENT_ID: `svc:test-device-service:${suffix}`,
  };
}

/** A device on the broker: its id is its client id and user name, its secret the password. */
export async function connectDevice(
  port: number,
  id: string,
  secret: string | undefined,
): Promise<MqttClient> {
  return connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    clientId: id,
    username: id,
    ...(secret === undefined ? {} : { password: secret }),
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
}

export { until } from '../../api/test/until';
