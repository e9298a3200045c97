#!/usr/bin/env bash
# `npm test`'s set-up step: Debian packages the tests need and a fresh machine may lack.
# Today: openssl (the broker's TLS tests make a throw-away PKI with it). Installs only when
# missing, so it costs nothing on a machine that has them.
set -euo pipefail
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "orfleet: the tests need: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "orfleet: installing ${missing[*]} for the tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
