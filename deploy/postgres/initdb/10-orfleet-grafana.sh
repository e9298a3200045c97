#!/bin/sh
# PostgreSQL image, first start only (an empty data volume): the read-only role Grafana uses.
# The SQL is in orfleet-grafana.psql beside this script (the image ignores that extension and
# runs only this script); deploy/grafana-role.int-spec.ts runs the same SQL against PostgreSQL.
# The image executes this file when it is executable and sources it into its own bash when not
# (a checkout without the mode bit): the path comes from BASH_SOURCE then, and the options stay
# inside the subshell.
(
  set -eu
  : "${ORFLEET_GRAFANA_PG_PASSWORD:?set ORFLEET_GRAFANA_PG_PASSWORD in deploy/postgres.env}"
  psql -v ON_ERROR_STOP=1 --no-password \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner="$POSTGRES_USER" -v dbname="$POSTGRES_DB" \
    -v grafana_password="$ORFLEET_GRAFANA_PG_PASSWORD" \
    -f "$(dirname "${BASH_SOURCE:-$0}")/orfleet-grafana.psql"
)
