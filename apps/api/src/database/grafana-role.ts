/**
 * What the read-only Grafana role may not read: the SHA-256 hashes of the API tokens and device
 * secrets (they invite offline guessing, and no board needs them). One SQL text for every place
 * the role is made: before the tables exist (PostgreSQL's first start,
 * deploy/postgres/initdb/orfleet-grafana.psql carries it verbatim), after them
 * (grafana/src/read-only-role.ts), and for roles made before this rule (migration
 * GrafanaRoleSecrets1767226050000).
 */
export const GRAFANA_ROLE = 'orfleet_grafana';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function checkedRole(role: string): string {
  if (!ROLE_NAME.test(role))
    throw new Error(`role name ${JSON.stringify(role)}: expected lowercase [a-z_][a-z0-9_]*`);
  return role;
}

/**
 * Revokes SELECT on `api_token` and `device_credential` and narrows SELECT on `device` to every
 * column but `secret_sha256`; does nothing for a role or a table that does not exist (yet).
 * Idempotent, and it reads the columns `device` has when it runs: a migration that adds a
 * column to `device` runs it again so the role can read the new column too (the deploy proof
 * fails otherwise). A change here reaches databases through a new migration that runs it again.
 */
export function hideSecretsStatements(role: string): string[] {
  const r = checkedRole(role);
  return [
    `DO $$
DECLARE
  readable text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${r}') THEN
    RETURN;
  END IF;
  IF to_regclass('public.api_token') IS NOT NULL THEN
    REVOKE SELECT ON public.api_token FROM ${r};
  END IF;
  IF to_regclass('public.device_credential') IS NOT NULL THEN
    REVOKE SELECT ON public.device_credential FROM ${r};
  END IF;
  IF to_regclass('public.device') IS NOT NULL THEN
    -- revoking the table's SELECT drops its column grants too: a clean slate on every run
    REVOKE SELECT ON public.device FROM ${r};
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO readable
      FROM pg_attribute
     WHERE attrelid = 'public.device'::regclass AND attnum > 0 AND NOT attisdropped
       AND attname <> 'secret_sha256';
    EXECUTE format('GRANT SELECT (%s) ON public.device TO ${r}', readable);
  END IF;
END $$`,
  ];
}

/** The grants before hideSecretsStatements: SELECT on the three relations, as on every table. */
export function showSecretsStatements(role: string): string[] {
  const r = checkedRole(role);
  return [
    `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${r}') THEN
    RETURN;
  END IF;
  REVOKE SELECT ON public.device FROM ${r};
  GRANT SELECT ON public.api_token, public.device, public.device_credential TO ${r};
END $$`,
  ];
}
