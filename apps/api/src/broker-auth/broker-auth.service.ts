import { Injectable } from '@nestjs/common';
import { claimOf, deviceVerdict, serviceVerdict } from '@orfleet/devices';
import type { CheckResult, ServiceToken } from '@orfleet/devices';
import { AuthError } from '../auth/auth.errors';
import { sameDigest, sha256Hex } from '../auth/token-secret';
import { TokensService } from '../auth/tokens.service';
import { DevicesService } from '../devices/devices.service';
import { MetricsService } from '../platform/metrics.service';
import { ALLOWED, aclDecision } from './broker-auth.rules';
import type { Check, Decision, Operation } from './broker-auth.rules';

export type Dialect = 'go-auth' | 'emqx';

const STORE_DOWN: CheckResult = { ok: false, reason: 'CREDENTIAL_STORE_DOWN' };
const NO_CREDENTIALS: CheckResult = { ok: false, reason: 'NO_CREDENTIALS' };

/** Brokers send an absent username or password as an empty string. */
const given = (value: string): string | undefined => (value === '' ? undefined : value);

/**
 * Answers an external broker's questions about its clients from the registry, with the same
 * decisions apps/broker makes (libs/devices `claimOf`, `deviceVerdict`, `serviceVerdict`,
 * `mayPublish`, `maySubscribe`). Every refusal is counted by dialect, check and reason.
 */
@Injectable()
export class BrokerAuthService {
  constructor(
    private readonly devices: DevicesService,
    private readonly tokens: TokensService,
    private readonly metrics: MetricsService,
  ) {}

  /** CONNECT: may `clientId` connect with this username and password? */
  async authenticate(
    dialect: Dialect,
    clientId: string,
    username: string,
    password: string,
  ): Promise<Decision> {
    const result = await this.check(clientId, given(username), given(password));
    return this.counted(dialect, 'connect', result.ok ? ALLOWED : result);
  }

  /** May the session of `clientId`/`username` do these operations on `topic`? */
  async authorize(
    dialect: Dialect,
    clientId: string,
    username: string,
    operations: readonly Operation[],
    topic: string,
    qos: number | undefined,
  ): Promise<Decision> {
    const who = await this.identify(clientId, given(username));
    if (!who.ok) return this.counted(dialect, operations[0] ?? 'publish', who);
    const { decision, check } = aclDecision(who.identity, operations, topic, qos);
    return check === undefined ? decision : this.counted(dialect, check, decision);
  }

  private async check(
    clientId: string,
    username: string | undefined,
    password: string | undefined,
  ): Promise<CheckResult> {
    const claim = claimOf(clientId, username, password !== undefined);
    if (!claim.ok) return claim;
    if (password === undefined) return NO_CREDENTIALS;
    try {
      if (claim.type === 'service') {
        return serviceVerdict(claim.name, await this.tokenPresented(password));
      }
      const digest = sha256Hex(password);
      return deviceVerdict(await this.devices.findCredential(claim.deviceId), (credential) =>
        sameDigest(digest, credential.secretSha256),
      );
    } catch {
      return STORE_DOWN;
    }
  }

  /**
   * Who a session is, for an ACL check: the broker authenticated it (through `authenticate`), so
   * no secret comes along; the account must still be known, and a device still active.
   */
  private async identify(clientId: string, username: string | undefined): Promise<CheckResult> {
    const claim = claimOf(clientId, username, true);
    if (!claim.ok) return claim;
    try {
      return claim.type === 'service'
        ? serviceVerdict(claim.name, await this.tokens.activeNamed(claim.name))
        : deviceVerdict(await this.devices.findCredential(claim.deviceId), () => true);
    } catch {
      return STORE_DOWN;
    }
  }

  /** The token a service account presented as its password: unknown or revoked → none. */
  private async tokenPresented(secret: string): Promise<ServiceToken[]> {
    try {
      const principal = await this.tokens.verify(secret);
      return [{ name: principal.name, role: principal.role }];
    } catch (error) {
      if (error instanceof AuthError) return [];
      throw error;
    }
  }

  private counted(dialect: Dialect, check: Check, decision: Decision): Decision {
    if (!decision.ok)
      this.metrics.brokerAuthRefused.inc({ dialect, check, reason: decision.reason });
    return decision;
  }
}
