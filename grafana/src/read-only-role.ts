import { GRAFANA_ROLE, hideSecretsStatements } from '../../apps/api/src/database/grafana-role';

export { GRAFANA_ROLE };

/**
 * The role's session settings, as deploy/postgres/initdb/orfleet-grafana.psql sets them (checked
 * verbatim by boards.spec.ts): every session read-only, no panel query holding the database for
 * long.
 */
export const ROLE_SETTINGS: readonly string[] = [
  `ALTER ROLE ${GRAFANA_ROLE} SET default_transaction_read_only = on`,
  `ALTER ROLE ${GRAFANA_ROLE} SET statement_timeout = '30s'`,
];

/**
 * The PostgreSQL role Grafana reads as: it may log in and SELECT, nothing else, and not the
 * token and device secret hashes. Run by the owner of the tables (the role the API migrates as),
 * so tables added by later migrations are readable too (default privileges). The board proofs
 * create it this way; deployments with deploy/postgres/initdb/orfleet-grafana.psql (shown in
 * docs/boards.md), which has the same settings and grants.
 *
 * `password` is an SQL expression: a literal in tests, `:'password'` for psql.
 */
export function readOnlyRoleStatements(database: string, password: string): string[] {
  return [
    `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${GRAFANA_ROLE}') THEN
    CREATE ROLE ${GRAFANA_ROLE} LOGIN;
  END IF;
END $$`,
    `ALTER ROLE ${GRAFANA_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${password}`,
    ...ROLE_SETTINGS,
    `GRANT CONNECT ON DATABASE ${database} TO ${GRAFANA_ROLE}`,
    `GRANT USAGE ON SCHEMA public TO ${GRAFANA_ROLE}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${GRAFANA_ROLE}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${GRAFANA_ROLE}`,
    ...hideSecretsStatements(GRAFANA_ROLE),
  ];
}
