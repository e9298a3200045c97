import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GRAFANA_ROLE, hideSecretsStatements, showSecretsStatements } from '../grafana-role';

/**
 * The read-only Grafana role loses SELECT on the token and device secret hashes (api_token,
 * device_credential, device.secret_sha256). Its default privileges gave it every table the
 * migrations made, these included; a database without the role is left as it is. Never edit
 * once landed.
 */
export class GrafanaRoleSecrets1767226050000 implements MigrationInterface {
  name = 'GrafanaRoleSecrets1767226050000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of hideSecretsStatements(GRAFANA_ROLE)) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of showSecretsStatements(GRAFANA_ROLE)) await q.query(statement);
  }
}
