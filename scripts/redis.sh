#!/usr/bin/env bash
# Throw-away Redis servers for the test suite (the journal's Redis backend): `start` prints the
# URL of a plain server, `stop` removes both. (A cluster node listens on its port + 10000 too,
# so the ports stay under 55536.)
#   scripts/redis.sh start   → installs Debian's redis-server if missing; starts a plain server
#                              and a one-node Redis Cluster on loopback ports with nothing saved
#                              to disk; writes their URLs to .redis/url and .redis/cluster_url and
#                              prints the first
#   scripts/redis.sh stop    → stops the servers and deletes their directory
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.redis
PORT=${PODBOR_REDIS_PORT:-46379}
CLUSTER_PORT=${PODBOR_REDIS_CLUSTER_PORT:-46380}

install_server() {
  echo "redis.sh: redis-server not found; installing Debian's redis-server package" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  ($sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq redis-server) >&2
}

start() {
  command -v redis-server >/dev/null || install_server
  [ -f "$STATE/url" ] && stop >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  local data
  data=$(mktemp -d /tmp/podbor-redis.XXXXXX)
  echo "$data" > "$STATE/datadir"
  mkdir -p "$data/plain" "$data/cluster"
  redis-server --port "$PORT" --bind 127.0.0.1 --dir "$data/plain" --save '' --appendonly no \
    --daemonize yes --pidfile "$data/plain/pid" --logfile "$data/plain/log" >/dev/null
  redis-server --port "$CLUSTER_PORT" --bind 127.0.0.1 --dir "$data/cluster" --save '' \
    --appendonly no --cluster-enabled yes --cluster-config-file nodes.conf \
    --daemonize yes --pidfile "$data/cluster/pid" --logfile "$data/cluster/log" >/dev/null
  local i port
  for port in "$PORT" "$CLUSTER_PORT"; do
    for i in $(seq 1 60); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.25
    done
    redis-cli -p "$port" ping >/dev/null
  done
  # one node that serves every hash slot: a whole cluster, as clients see it
  redis-cli -p "$CLUSTER_PORT" cluster addslotsrange 0 16383 >/dev/null
  for i in $(seq 1 60); do
    redis-cli -p "$CLUSTER_PORT" cluster info | grep -q "cluster_state:ok" && break
    sleep 0.25
  done
  redis-cli -p "$CLUSTER_PORT" cluster info | grep -q "cluster_state:ok"
  echo "redis://127.0.0.1:$CLUSTER_PORT" > "$STATE/cluster_url"
  local url="redis://127.0.0.1:$PORT/0"
  echo "$url" > "$STATE/url"
  echo "$url"
}

stop() {
  [ -f "$STATE/datadir" ] || return 0
  local data
  data=$(cat "$STATE/datadir")
  local file pid
  for file in "$data/plain/pid" "$data/cluster/pid"; do
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  done
  rm -rf "$data" "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
