import type { MqttClient } from 'mqtt';

/**
 * Steady load for the resilience tests: each device publishes QoS 1 heartbeats with a rising
 * `seq` and `ts`, one after the other; a message counts as sent once the broker acknowledged it
 * (PUBACK). Devices whose connection drops stop; the test says which.
 */
export class HeartbeatLoad {
  /** Acknowledged seqs per device id. */
  readonly acked = new Map<string, number[]>();
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    devices: readonly {
      readonly id: string;
      readonly topic: string;
      readonly client: MqttClient;
    }[],
    intervalMs: number,
    baseTs: number,
  ) {
    this.loops = devices.map(async ({ id, topic, client }) => {
      const acked: number[] = [];
      this.acked.set(id, acked);
      for (let seq = 1; this.running; seq++) {
        // ts: 1 ms apart per seq, from a fixed base in the recent past: unique per (device, seq)
        const payload = JSON.stringify({ ts: baseTs + seq, seq });
        await client.publishAsync(topic, payload, { qos: 1 });
        acked.push(seq);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    });
  }

  get total(): number {
    let n = 0;
    for (const seqs of this.acked.values()) n += seqs.length;
    return n;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
