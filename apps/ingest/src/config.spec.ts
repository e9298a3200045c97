import { ConfigError, loadConfig } from './config';

describe('ingest config', () => {
  it('runs on defaults: the local broker, spool only, every site', () => {
    const config = loadConfig({});
    expect(config.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', clientId: 'svc:ingest' });
    expect(config.influx).toBeUndefined();
    expect(config.shard).toEqual({ index: 1, count: 1 });
    expect(config.spool).toEqual({
      dir: 'data/ingest/spool',
      quotaBytes: 2 * 1024 ** 3,
      groupCommitMs: 2,
    });
    expect(config.writer.batchLines).toBe(5_000);
  });

  it('reads InfluxDB, sizes and a shard', () => {
    const config = loadConfig({
      INFLUX_URL: 'http://influx:8086/',
      INFLUX_RAW_RETENTION: '52w',
      ORFLEET_INGEST_SPOOL_QUOTA: '512MiB',
      INGEST_SHARD: '2/4',
      ORFLEET_API_URL: 'http://api:3000',
      ORFLEET_API_TOKEN: 'orf_x',
    });
    expect(config.influx).toMatchObject({
      url: 'http://influx:8086',
      database: 'orfleet',
      rawRetention: '52w',
    });
    expect(config.spool.quotaBytes).toBe(512 * 1024 ** 2);
    expect(config.shard).toEqual({ index: 2, count: 4 });
    expect(config.mqtt.clientId).toBe('svc:ingest:2of4');
  });

  it('lists everything wrong at once', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({
        MQTT_URL: 'http://broker',
        INFLUX_URL: 'influx:8086',
        INFLUX_RAW_RETENTION: '30m',
        ORFLEET_INGEST_SPOOL_QUOTA: '10KiB',
        INGEST_SHARD: '3/2',
        ORFLEET_INGEST_BATCH_LINES: '0',
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    const text = problems.join('\n');
    expect(text).toMatch(
      /INGEST_SHARD: expected k\/n with 1 <= k <= n <= 1024, like 2\/4; got "3\/2"/,
    );
    expect(text).toMatch(/MQTT_URL: expected mqtt:\/\/host:port/);
    expect(text).toMatch(/INFLUX_URL: expected http:\/\/host:8086, got "influx:8086"/);

    expect(text).toMatch(
      /INFLUX_RAW_RETENTION: expected an InfluxDB duration of hours, days or weeks/,
    );
    expect(text).toMatch(/ORFLEET_INGEST_SPOOL_QUOTA: expected a size of at least 1048576 bytes/);
    expect(text).toMatch(/ORFLEET_INGEST_BATCH_LINES: expected an integer 1\.\.1000000, got "0"/);
  });

  it('needs the API to know the sites of a shard of several', () => {
    expect(() => loadConfig({ INGEST_SHARD: '1/2' })).toThrow(
      /ORFLEET_API_URL and ORFLEET_API_TOKEN/,
    );
  });

  describe('platform self-metrics', () => {
    it('scrape this ingest every 10 s by default, on loopback when it listens on all addresses', () => {
      expect(loadConfig({}).selfMetrics).toEqual({
        intervalS: 10,
        targets: [
          { service: 'ingest', url: 'http://127.0.0.1:9102/metrics', instance: '127.0.0.1:9102' },
        ],
      });
      expect(
        loadConfig({ ORFLEET_INGEST_OPS_HOST: '0.0.0.0', ORFLEET_INGEST_OPS_PORT: '9200' })
          .selfMetrics.targets,
      ).toEqual([
        { service: 'ingest', url: 'http://127.0.0.1:9200/metrics', instance: '127.0.0.1:9200' },
      ]);
    });

    it('reads the targets and the interval; 0 turns the scraping off', () => {
      const config = loadConfig({
        ORFLEET_INGEST_SELF_METRICS_TARGETS:
          'broker=http://broker:9101/metrics,api=http://api:3000/metrics,ingest=http://127.0.0.1:9102/metrics',
        ORFLEET_INGEST_SELF_METRICS_INTERVAL_S: '0',
      });
      expect(config.selfMetrics.intervalS).toBe(0);
      expect(config.selfMetrics.targets.map((t) => `${t.service} ${t.instance}`)).toEqual([
        'broker broker:9101',
        'api api:3000',
        'ingest 127.0.0.1:9102',
      ]);
    });

    it('lists each bad target and a bad interval', () => {
      expect(() =>
        loadConfig({
          ORFLEET_INGEST_SELF_METRICS_TARGETS: 'mqtt=http://x/metrics,broker=broker:9101',
          ORFLEET_INGEST_SELF_METRICS_INTERVAL_S: '-1',
        }),
      ).toThrow(
        new RegExp(
          [
            'ORFLEET_INGEST_SELF_METRICS_TARGETS: "mqtt=http://x/metrics": expected <service>=<url>',
            'ORFLEET_INGEST_SELF_METRICS_TARGETS: "broker=broker:9101": expected an http\\(s\\) URL',
            'ORFLEET_INGEST_SELF_METRICS_INTERVAL_S: expected an integer 0..3600, got "-1"',
          ].join('[^]*'),
        ),
      );
    });
  });
});
