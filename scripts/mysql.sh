#!/usr/bin/env bash
# A throw-away MySQL-compatible server (MariaDB) for the test suite: `start` prints the URL, `stop`
# removes it.
#   scripts/mysql.sh start   → installs Debian's mariadb-server if missing, creates a data
#                              directory in /tmp, starts mariadbd on a loopback port as an
#                              unprivileged user, creates the database and a user, writes the URL
#                              to .mysql/url and prints it
#   scripts/mysql.sh stop    → stops the server and deletes its directory
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.mysql
PORT=${PODBOR_MYSQL_PORT:-53306}

find_server() {
  local name
  for name in mariadbd mysqld; do
    for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
  done
  return 1
}

as_user() {  # run a command as the unprivileged server owner when we are root
  if [ "$(id -u)" = 0 ]; then runuser -u "$OSUSER" -- "$@"; else "$@"; fi
}

install_server() {
  echo "mysql.sh: MariaDB not found; installing Debian's mariadb-server package" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  ($sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq mariadb-server mariadb-client) >&2
}

start() {
  local server
  if ! server=$(find_server); then
    install_server
    server=$(find_server)
  fi
  OSUSER=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    OSUSER=mysql
    id "$OSUSER" >/dev/null 2>&1 || useradd --system --no-create-home "$OSUSER"
  fi
  [ -f "$STATE/url" ] && stop >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  local data
  data=$(mktemp -d /tmp/podbor-mysql.XXXXXX)
  chown "$OSUSER" "$data" 2>/dev/null || true
  echo "$data" > "$STATE/datadir"
  echo "$OSUSER" > "$STATE/osuser"
  as_user mariadb-install-db --no-defaults --datadir="$data/db" --user="$OSUSER" \
    --auth-root-authentication-method=normal --skip-test-db >"$data/install.log" 2>&1
  as_user "$server" --no-defaults --datadir="$data/db" --socket="$data/sock" \
    --pid-file="$data/pid" --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --max-connections=300 \
    --log-error="$data/log" >/dev/null 2>&1 &
  local i
  for i in $(seq 1 120); do
    mariadb --no-defaults -uroot --socket="$data/sock" -e "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb --no-defaults -uroot --socket="$data/sock" -e "
    CREATE DATABASE podbor_test;
    CREATE USER 'podbor'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON *.* TO 'podbor'@'127.0.0.1';" >/dev/null
  local url="mysql+pymysql://podbor@127.0.0.1:$PORT/podbor_test"
  echo "$url" > "$STATE/url"
  echo "$url"
}

stop() {
  [ -f "$STATE/datadir" ] || return 0
  local data
  data=$(cat "$STATE/datadir")
  if [ -f "$data/pid" ]; then
    kill "$(cat "$data/pid")" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$(cat "$data/pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -rf "$data" "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
