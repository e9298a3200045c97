// Broker (a) of bench/broker.bench.ts: aedes 1.2 as it comes (in-memory persistence and emitter,
// no hooks) on a plain TCP server — the floor our broker's hooks and guard-rails are measured
// against. Listens on an ephemeral loopback port and prints it; SIGTERM closes it (and lets
// `--cpu-prof` write its profile).
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => {
  console.log(`bare aedes: MQTT on 127.0.0.1:${server.address().port}`);
});
const stop = () => {
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close();
  broker.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
