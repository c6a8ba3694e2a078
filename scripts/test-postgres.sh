#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for the tests that need one and prints its
# URL on stdout (export it as TEST_DATABASE_URL). Installs postgresql-15 from Debian's packages
# when no server is found (needs root and apt). `scripts/test-postgres.sh stop` stops it.
# Port and folder come from PG_TEST_PORT (default 55433) and PG_TEST_DIR (default
# /tmp/newsbot-pg-test). The server refuses to run as root, so as root it runs as user postgres.
set -euo pipefail
PORT="${PG_TEST_PORT:-55433}"
DIR="${PG_TEST_DIR:-/tmp/newsbot-pg-test}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-start}" = stop ]; then
  [ -n "$BIN" ] && [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  exit 0
fi

if [ -z "$BIN" ] || [ ! -x "$BIN/postgres" ]; then
  if [ "$(id -u)" != 0 ]; then echo "PostgreSQL is not installed and installing it needs root" >&2; exit 1; fi
  echo "installing postgresql-15 from Debian's packages..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
  BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

[ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
as_owner "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 >/dev/null
# A throwaway cluster: durability off for speed.
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >&2
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
