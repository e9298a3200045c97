import { mayPublish, mayReceive, maySubscribe } from '@orfleet/devices';
import type { AclRefusal, AclVerdict, Identity, RefusalReason } from '@orfleet/devices';

/**
 * The two HTTP dialects an external MQTT 3.1.1 broker speaks to ask about its clients, translated
 * to and from the fleet's own rules (libs/devices `access.ts`, which apps/broker uses too).
 *
 * - mosquitto-go-auth, HTTP backend: https://github.com/iegomez/mosquitto-go-auth#http
 *   (requests `{username, password, clientid}`, `{username}`, `{username, clientid, topic, acc}`
 *   as JSON or as a form; any non-2xx answer refuses; `http_response_mode` `status`, `text`
 *   (body `ok`) or `json` (`{"ok": bool, "error": string}`).
 * - EMQX 5 HTTP authenticator: https://docs.emqx.com/en/emqx/latest/access-control/authn/http.html
 *   and authorizer: https://docs.emqx.com/en/emqx/latest/access-control/authz/http.html
 *   (a JSON body templated by the operator; answer 200 `{"result": "allow"|"deny"|"ignore"}`,
 *   plus `is_superuser` for authentication; any other status means "ignore").
 */

/** What a broker asks about a session: send a message, subscribe, or be sent a message. */
export type Operation = 'publish' | 'subscribe' | 'receive';

/** What a refusal is counted as (the `check` label of orfleet_broker_auth_refused_total). */
export type Check = 'connect' | Operation;

export type Decision =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: RefusalReason | AclRefusal | 'NOT_SUPERUSER' };

export const ALLOWED: Decision = { ok: true };

/**
 * go-auth's `acc` (mosquitto_plugin.h: MOSQ_ACL_READ 1, MOSQ_ACL_WRITE 2, MOSQ_ACL_SUBSCRIBE 4;
 * the go-auth README: "1 is read, 2 is write, 3 is readwrite, 4 is subscribe"). Mosquitto asks
 * READ before delivering each message to a client, WRITE for each publish, SUBSCRIBE per filter.
 */
export const GO_AUTH_ACC: Readonly<Record<1 | 2 | 3 | 4, readonly Operation[]>> = {
  1: ['receive'],
  2: ['publish'],
  3: ['receive', 'publish'],
  4: ['subscribe'],
};

/**
 * The fleet's verdict on each operation in turn; the first refusal wins. `qos` is the publish QoS
 * when the broker tells it (EMQX's `${qos}`); go-auth does not, so Mosquitto's own `max_qos 1`
 * has to keep QoS 2 out (docs/api.md).
 */
export function aclDecision(
  identity: Identity,
  operations: readonly Operation[],
  topic: string,
  qos: number | undefined,
): { readonly decision: Decision; readonly check: Operation | undefined } {
  for (const operation of operations) {
    const verdict = verdictOf(identity, operation, topic, qos ?? 1);
    if (!verdict.ok) return { decision: { ok: false, reason: verdict.reason }, check: operation };
  }
  return { decision: ALLOWED, check: undefined };
}

function verdictOf(
  identity: Identity,
  operation: Operation,
  topic: string,
  qos: number,
): AclVerdict {
  switch (operation) {
    case 'publish':
      return mayPublish(identity, topic, qos);
    case 'subscribe':
      return maySubscribe(identity, topic);
    case 'receive':
      return mayReceive(identity, topic);
  }
}

/** An answer on the wire: a status and a body (a string is sent as text/plain, else JSON). */
export interface WireAnswer {
  readonly status: number;
  readonly body: string | Readonly<Record<string, unknown>>;
}

/** The registry could not be read: neither yes nor no (both dialects treat 5xx as "no answer"). */
const UNAVAILABLE: WireAnswer = {
  status: 503,
  body: {
    code: 'CREDENTIAL_STORE_DOWN',
    message: 'the device registry is unavailable; ask again',
  },
};

export const GO_AUTH_RESPONSE_MODES = ['json', 'status', 'text'] as const;
export type GoAuthResponseMode = (typeof GO_AUTH_RESPONSE_MODES)[number];

/**
 * go-auth: 200 to allow, 403 to refuse, with the body its `http_response_mode` reads. `json`
 * (`{"ok", "error"}`) also serves `status`, which reads the status only; `text` wants exactly
 * `ok`. A 503 is an error to go-auth (it logs it, and the check fails).
 */
export function goAuthAnswer(decision: Decision, mode: GoAuthResponseMode): WireAnswer {
  if (!decision.ok && decision.reason === 'CREDENTIAL_STORE_DOWN') return UNAVAILABLE;
  if (mode === 'text') {
    return decision.ok ? { status: 200, body: 'ok' } : { status: 403, body: decision.reason };
  }
  return decision.ok
    ? { status: 200, body: { ok: true, error: '' } }
    : { status: 403, body: { ok: false, error: decision.reason } };
}

/**
 * EMQX authentication: always 200 with `result` (a 4xx would be read as "ignore" and passed down
 * the authentication chain). Nobody is a superuser: services, too, are held to the fleet ACL.
 */
export function emqxAuthnAnswer(decision: Decision): WireAnswer {
  if (!decision.ok && decision.reason === 'CREDENTIAL_STORE_DOWN') return UNAVAILABLE;
  return { status: 200, body: { result: decision.ok ? 'allow' : 'deny', is_superuser: false } };
}

/** EMQX authorization: 200 with `result` allow or deny. */
export function emqxAuthzAnswer(decision: Decision): WireAnswer {
  if (!decision.ok && decision.reason === 'CREDENTIAL_STORE_DOWN') return UNAVAILABLE;
  return { status: 200, body: { result: decision.ok ? 'allow' : 'deny' } };
}
