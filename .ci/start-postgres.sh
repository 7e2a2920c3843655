#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the store tests and print its
# SQLAlchemy URL on stdout (everything else goes to stderr):
#   export TUNESMITH_TEST_POSTGRES_URL="$(.ci/start-postgres.sh)"
# Installs Debian's postgresql when missing; idempotent: a server it already started is reused.
# Needs root (apt-get, and running the server as the postgres user).
set -euo pipefail
PORT="${TUNESMITH_PG_PORT:-55432}"
DATA="${TUNESMITH_PG_DATA:-/tmp/tunesmith-pg}"
DB="${TUNESMITH_PG_DB:-tunesmith_test}"

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && echo "$dir"
}

BIN="$(pg_bin || true)"
if [ -z "$BIN" ]; then
  echo "installing postgresql (Debian package)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(pg_bin)"
fi

as_pg() { (cd / && runuser -u postgres -- "$@"); }

if [ ! -s "$DATA/PG_VERSION" ]; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  chown postgres:postgres "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >&2
fi
if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp -c max_connections=200 -c fsync=off" >&2
fi
if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
  as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
