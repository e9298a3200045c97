import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IngestMetrics } from '../metrics';
import { SelfMetricsScraper } from './self-metrics-scraper';
import type { SelfMetricsWrite } from './self-metrics-scraper';
import { parseSelfMetricsTargets } from './self-metrics.rules';

/**
 * The scraper against real HTTP endpoints on loopback (a too-large body, an error status, a good
 * exposition); InfluxDB is the boundary, replaced by a recorder of what would be written.
 */
describe('SelfMetricsScraper', () => {
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/silent') return void hanging.push(res); // accepts, never answers
    if (req.url === '/big') {
      // 2 MiB in chunks, no content-length: the cap must hold while reading
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 64; i++) res.write(`x_total{n="${i}"} 1\n`.padEnd(32 * 1024, ' '));
      return void res.end();
    }
    if (req.url === '/error') return void res.writeHead(500).end('boom');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('# TYPE up gauge\nup 1\n');
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    for (const res of hanging) res.destroy();
    return new Promise((resolve) => server.close(resolve));
  });

  const scraper = (
    targets: string,
    write: SelfMetricsWrite,
    metrics = new IngestMetrics(),
    timeoutMs = 10_000,
  ) => {
    const parsed = parseSelfMetricsTargets(targets);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return new SelfMetricsScraper({
      targets: parsed.targets,
      intervalMs: 60_000,
      timeoutMs,
      maxBodyBytes: 1024 * 1024,
      write,
      now: () => 1_764_000_000_000,
      metrics,
      log: { warn: () => undefined },
    });
  };
  const counted = async (metrics: IngestMetrics, name: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.map((v) => [v.labels, v.value]);

  it('writes one body per round, tagged per target', async () => {
    const bodies: string[] = [];
    const metrics = new IngestMetrics();
    await scraper(
      `api=${base}/ok,broker=${base}/ok2`,
      (body) => {
        bodies.push(body);
        return Promise.resolve('written');
      },
      metrics,
    ).scrapeOnce();
    const port = new URL(base).port;
    expect(bodies).toEqual([
      [
        `orfleet_self,instance=127.0.0.1:${port},service=api up=1 1764000000000`,
        `orfleet_self,instance=127.0.0.1:${port},service=broker up=1 1764000000000`,
      ].join('\n'),
    ]);
    expect(await counted(metrics, 'orfleet_ingest_self_metrics_points_total')).toEqual([[{}, 2]]);
  });

  it('abandons a body over the cap and an error status, and counts both without writing', async () => {
    const metrics = new IngestMetrics();
    const write = jest.fn<ReturnType<SelfMetricsWrite>, Parameters<SelfMetricsWrite>>();
    await scraper(`api=${base}/big,broker=${base}/error`, write, metrics).scrapeOnce();
    expect(write).not.toHaveBeenCalled();
    expect(await counted(metrics, 'orfleet_ingest_self_metrics_scrapes_total')).toEqual(
      expect.arrayContaining([
        [{ service: 'api', outcome: 'too-large' }, 1],
        [{ service: 'broker', outcome: 'http-status' }, 1],
      ]),
    );
  });

  it('counts a write InfluxDB did not take', async () => {
    const metrics = new IngestMetrics();
    await scraper(`api=${base}/ok`, () => Promise.resolve('failed'), metrics).scrapeOnce();
    expect(await counted(metrics, 'orfleet_ingest_self_metrics_writes_total')).toEqual([
      [{ outcome: 'failed' }, 1],
    ]);
    expect(await counted(metrics, 'orfleet_ingest_self_metrics_points_total')).toEqual([[{}, 0]]);
  });
  it('times a silent endpoint out even when garbage collection runs during the wait', async () => {
    // Node 20 dropped a combined AbortSignal.any([…, AbortSignal.timeout()]) in a collection and
    // the scrape then waited forever, stopping every later round
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const metrics = new IngestMetrics();
    const collecting = setInterval(gc, 25);
    const round = scraper(`api=${base}/silent`, () => Promise.resolve('written'), metrics, 300)
      .scrapeOnce()
      .then(() => 'done');
    const watchdog = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000));
    const outcome = await Promise.race([round, watchdog]);
    clearInterval(collecting);
    expect(outcome).toBe('done');
    expect(await counted(metrics, 'orfleet_ingest_self_metrics_scrapes_total')).toEqual(
      expect.arrayContaining([[{ service: 'api', outcome: 'timeout' }, 1]]),
    );
  });
});
