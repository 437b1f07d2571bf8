#!/bin/sh
# Debian packages the demo and the test suite use beyond the Docker engine, Java and Maven (which
# `berth infra up` installs when missing): debootstrap builds the stack bases, prometheus/promtool
# check the monitoring config for real, docker-compose validates docker-compose.yml, python3 with
# its venv module (ensurepip lives in python3-venv on Debian) hosts the cross-language producer test,
# openssl makes the certificates of the secured-Kafka test broker, postgresql hosts the console's
# PostgreSQL store tests (a throwaway cluster per test file), chromium is the console's test browser.
# Each package is installed only when its command is missing; Go (the launcher build) is checked,
# not installed: Debian 12's golang-go is 1.19, older than the launcher needs.
set -eu
missing=""
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing="$missing docker-compose"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing="$missing python3-venv"
if [ -n "$missing" ]; then
  echo "berth: installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; }
fi
PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "berth: Go >= 1.21 is needed to build the in-container launcher: install it (e.g. under /usr/local/go) and run again" >&2
  exit 1
fi
