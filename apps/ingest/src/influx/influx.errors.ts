export type InfluxErrorCode =
  // options handed to a module are unusable (bad duration, empty database name, ...)
  | 'INFLUX_OPTIONS_INVALID'
  // no HTTP answer at all (connection refused, DNS, timeout)
  | 'INFLUX_UNREACHABLE'
  // 401/403 from /ping, /query or /write: credentials or permissions
  | 'INFLUX_AUTH_FAILED'
  // /ping answered without a version we can tell 1.x, 2.x and 3.x apart with
  | 'INFLUX_VERSION_UNKNOWN'
  // a setup statement (CREATE/ALTER/DROP, SHOW ...) failed
  | 'INFLUX_QUERY_FAILED'
  // setup could not write one check point: on 2.x/3.x usually a missing bucket or DBRP mapping
  | 'INFLUX_WRITE_CHECK_FAILED'
  // embedded influxd (local runs and tests)
  | 'INFLUXD_NOT_FOUND'
  | 'INFLUXD_PORT_IN_USE'
  | 'INFLUXD_ALREADY_RUNNING'
  | 'INFLUXD_START_FAILED';

/** The InfluxDB side's one error type, shaped like the API's DomainError: a string-literal code. */
export class InfluxError<C extends InfluxErrorCode = InfluxErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfluxError';
  }
}
