#!/usr/bin/env bash
# `npm test`'s set-up step: Debian packages the tests need and a fresh machine may lack.
#   openssl            the broker's TLS tests make a throw-away PKI with it
#   redis-server       the broker's two-process cluster test (REDIS_URL) starts a private one
#   mosquitto          the broker bench's reference broker (Mosquitto 2.0.11 on Debian 12)
#   influxdb           the ingest and board tests start a private influxd 1.6.7
#   postgresql-client  psql: the deploy tests run the PostgreSQL init script as the image would
# Installs only what is missing, so it costs nothing on a machine that has them. The packages'
# own services are not used: each test starts its private server on a loopback port.
set -euo pipefail
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "orfleet: the tests need: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "orfleet: installing ${missing[*]} for the tests"
  apt-get update -qq
  # policy-rc.d-less containers may try to start the packages' services: they are not needed
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
