#!/usr/bin/env bash
# Two local ClickHouse servers for the tests of engine: clickhouse, as a two-shard cluster.
#
#   eval "$(scripts/clickhouse.sh start)"   start them; prints the exports the tests read
#   scripts/clickhouse.sh stop DIR          stop them and delete DIR (SETU_CLICKHOUSE_DIR)
#
# Each server gets free loopback ports and a directory of its own under one temporary
# directory, so it never touches /var/lib/clickhouse or a system server. Both know the cluster
# "setu_two" (one shard each), so a Distributed table created on either spreads a query over
# both: a test that splits every tenant's rows across the shards gets a right total only when
# both shards answer.
set -euo pipefail

cluster=setu_two

free_ports() { # prints $1 free loopback TCP ports
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# config DIR TCP HTTP INTERSERVER: the Debian config with this server's ports and paths.
config() {
  local dir=$1 tcp=$2 http=$3 inter=$4
  mkdir -p "$dir/data" "$dir/config.d"
  sed -e "s|<tcp_port>9000</tcp_port>|<tcp_port>$tcp</tcp_port>|" \
      -e "s|<http_port>8123</http_port>|<http_port>$http</http_port>|" \
      -e "s|<interserver_http_port>9009</interserver_http_port>|<interserver_http_port>$inter</interserver_http_port>|" \
      -e "s|/var/lib/clickhouse/|$dir/data/|g" \
      -e "s|/var/log/clickhouse-server/|$dir/|g" \
      -e "s|<listen_host>::1</listen_host>||" \
      -e "s|<users_config>users.xml</users_config>|<users_config>$dir/users.xml</users_config>|" \
      /etc/clickhouse-server/config.xml >"$dir/config.xml"
  cp /etc/clickhouse-server/users.xml "$dir/users.xml"
}

cluster_xml() { # the cluster over both servers' native ports
  cat <<XML
<yandex>
  <remote_servers>
    <$cluster>
      <shard><replica><host>127.0.0.1</host><port>$1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$2</port></replica></shard>
    </$cluster>
  </remote_servers>
</yandex>
XML
}

wait_up() { # waits for a server to answer on its native port
  local port=$1 i
  for i in $(seq 1 150); do
    if clickhouse-client --host 127.0.0.1 --port "$port" -q 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "clickhouse on port $port did not start; see its log" >&2
  return 1
}

start() {
  local root ports
  root=$(mktemp -d /tmp/setu-clickhouse.XXXXXX)
  read -r -a ports <<<"$(free_ports 6)"
  local addrs=()
  for i in 0 1; do
    local dir=$root/s$i
    config "$dir" "${ports[$((i * 3))]}" "${ports[$((i * 3 + 1))]}" "${ports[$((i * 3 + 2))]}"
    cluster_xml "${ports[0]}" "${ports[3]}" >"$dir/config.d/cluster.xml"
    # exec: the recorded pid is the server's own, for stop.
    (cd "$dir" && exec clickhouse-server --config-file="$dir/config.xml") \
      >"$dir/stdout.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    addrs+=("127.0.0.1:${ports[$((i * 3))]}")
  done
  wait_up "${ports[0]}" >&2
  wait_up "${ports[3]}" >&2
  echo "export SETU_CLICKHOUSE_DIR=$root"
  echo "export SETU_TEST_CLICKHOUSE_ADDRS=$(IFS=,; echo "${addrs[*]}")"
  echo "export SETU_TEST_CLICKHOUSE_CLUSTER=$cluster"
}

stop() {
  local root=${1:?usage: clickhouse.sh stop DIR}
  case $root in /tmp/setu-clickhouse.*) ;; *) echo "not a directory of this script: $root" >&2; return 1 ;; esac
  for pidf in "$root"/s*/pid; do
    [ -f "$pidf" ] || continue
    local pid; pid=$(cat "$pidf")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$root"
}

case ${1:-} in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
