#!/bin/sh
# Debian packages the test suite uses beyond the Docker engine (which `berth infra up` installs):
# debootstrap builds the stack bases, prometheus/promtool check the monitoring config for real,
# docker-compose validates docker-compose.yml, python3-venv hosts the cross-language producer test,
# openssl makes the certificates of the secured-Kafka test broker, postgresql hosts the console's
# PostgreSQL store tests (a throwaway cluster per test file), chromium is the console's test browser.
set -eu
missing=""
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing="$missing docker-compose"
if [ -n "$missing" ]; then
  echo "berth: installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; }
fi
