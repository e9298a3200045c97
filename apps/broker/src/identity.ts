import type { DeviceAddress } from '@orfleet/devices';

/** Who is on the other end of a connection, once authenticated. */
export type Identity =
  | { readonly type: 'device'; readonly address: DeviceAddress }
  /** Platform services (ingest, health rules, API) with a `device-service` API token. */
  | { readonly type: 'service'; readonly name: string };

/** Username prefix of service accounts: `svc:<token name>`, password = the API token. */
export const SERVICE_PREFIX = 'svc:';

/** Topic root of the presence events the broker publishes (`orfleet/presence/{deviceId}`). */
export const PRESENCE_ROOT = 'orfleet/presence';
