#!/bin/sh
# PostgreSQL image, first start only (an empty data volume): the read-only role Grafana uses.
# The SQL is in orfleet-grafana.psql beside this script (the image ignores that extension and
# runs only this script); deploy/grafana-role.int-spec.ts runs the same SQL against PostgreSQL.
set -eu
: "${ORFLEET_GRAFANA_PG_PASSWORD:?set ORFLEET_GRAFANA_PG_PASSWORD in deploy/postgres.env}"
psql -v ON_ERROR_STOP=1 --no-password \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" -v dbname="$POSTGRES_DB" \
  -v grafana_password="$ORFLEET_GRAFANA_PG_PASSWORD" \
  -f "$(dirname "$0")/orfleet-grafana.psql"
