#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback for the integration tests and
# print its URL. Installs the server with apt-get where it is missing. PostgreSQL
# refuses to run as root, so the cluster belongs to the `postgres` user.
set -euo pipefail
port=${STEWARD_PG_PORT:-54329}
dir=${STEWARD_PG_DIR:-/tmp/steward-pg-$port}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "postgres.sh: no PostgreSQL server found and not root to install it" >&2
    exit 1
  fi
fi

run_as_pg() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

if ! run_as_pg "$bindir/pg_isready -q -h 127.0.0.1 -p $port"; then
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  run_as_pg "$bindir/initdb -D $dir -U postgres --auth=trust >/dev/null" >&2
  run_as_pg "$bindir/pg_ctl -D $dir -l $dir/log -w -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200' start" >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
