/**
 * Points of one measurement in the platform's InfluxDB (database `orfleet`) whose time lies in
 * [from, to) (ms), counted on a field every point of it carries. InfluxQL over the 1.x /query API.
 */
export async function countPoints(
  influxUrl: string,
  measurement: 'heartbeat' | 'telemetry',
  field: string,
  from: number,
  to: number,
): Promise<number> {
  const q = `SELECT count("${field}") FROM "${measurement}" WHERE time >= ${from}ms AND time < ${to}ms`;
  const url = `${influxUrl}/query?db=orfleet&epoch=ms&q=${encodeURIComponent(q)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`InfluxDB ${q}: ${response.status}`);
  const body = (await response.json()) as {
    results: { series?: { values: [number, number][] }[]; error?: string }[];
  };
  const result = body.results[0];
  if (result?.error !== undefined) throw new Error(`InfluxDB ${q}: ${result.error}`);
  return result?.series?.[0]?.values[0]?.[1] ?? 0;
}

/** A Prometheus text endpoint's samples of one metric, summed over their labels (0: none). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
