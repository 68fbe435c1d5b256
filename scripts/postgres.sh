#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite: `start` prints the URL, `stop` removes it.
#   scripts/postgres.sh start   → installs Debian's postgresql if missing, initdb in a temp dir,
#                                 starts it on a loopback port as an unprivileged user, creates
#                                 the database, writes the URL to .pg/url and prints it
#   scripts/postgres.sh stop    → stops the cluster and deletes its directory
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.pg
PORT=${PODBOR_PG_PORT:-55432}

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0; }
  return 1
}

as_user() {  # run a command as the unprivileged cluster owner when we are root
  if [ "$(id -u)" = 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi
}

start() {
  local bin
  if ! bin=$(find_bin); then
    echo "postgres.sh: PostgreSQL not found; installing Debian's postgresql package" >&2
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    else
      (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    fi
    bin=$(find_bin)
  fi
  PGUSER_OS=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    PGUSER_OS=postgres
    id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home "$PGUSER_OS"
  fi
  [ -f "$STATE/url" ] && stop >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  local data
  data=$(mktemp -d /tmp/podbor-pg.XXXXXX)
  chown "$PGUSER_OS" "$data" 2>/dev/null || true
  echo "$data" > "$STATE/datadir"
  echo "$bin" > "$STATE/bindir"
  echo "$PGUSER_OS" > "$STATE/osuser"
  as_user "$bin/initdb" -D "$data/db" -U podbor -A trust --no-sync -E UTF8 >/dev/null
  as_user "$bin/pg_ctl" -D "$data/db" -l "$data/log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PORT -k $data -c fsync=off -c max_connections=200" start >/dev/null
  as_user "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U podbor podbor_test
  local url="postgresql+psycopg://podbor@127.0.0.1:$PORT/podbor_test"
  echo "$url" > "$STATE/url"
  echo "$url"
}

stop() {
  [ -f "$STATE/datadir" ] || return 0
  local data bin
  data=$(cat "$STATE/datadir"); bin=$(cat "$STATE/bindir"); PGUSER_OS=$(cat "$STATE/osuser")
  as_user "$bin/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$data" "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
