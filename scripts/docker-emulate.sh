#!/usr/bin/env bash
# Exercises the Dockerfile without a Docker engine:
#   1. the build context: the repository's tracked files less .dockerignore's patterns;
#   2. the build stage: the Dockerfile's own `go build` line, run in that context;
#   3. the runtime stage: its COPY targets in a private root, made read-only except the state
#      volume, its ENV (paths under that root, listeners on free loopback ports), its USER as an
#      unprivileged uid (nobody) through setpriv, the WORKDIR as the working directory;
#   4. the HEALTHCHECK command, verbatim, until it passes; then /v1/ready, a query through psql
#      with a key made in the state DB, nothing written outside the volume, and a clean SIGTERM.
# The gateway runs in production mode as the image does: UBI_SECRET_KEY from 'keygen', REDIS_URL
# on the local Redis (SETU_TEST_REDIS_URL), an API key from 'keys create'.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
run_uid=${EMULATE_UID:-65534}
run_gid=${EMULATE_GID:-65534}
redis_url=${SETU_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
say() { printf 'docker-emulate: %s\n' "$*"; }
fail() { say "FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -n 40 "$work/serve.log" >&2; exit 1; }

# The runtime stage is everything after the last FROM; continuation lines joined.
runtime=$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' Dockerfile | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')

# 1. Build context.
mapfile -t patterns < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' .dockerignore)
ignored() {
  local f=$1 p
  for p in "${patterns[@]}"; do
    case $p in
      '**/'*) p=${p#'**/'}
        # shellcheck disable=SC2053
        [[ $f == $p || $f == */$p || $f == $p/* || $f == */$p/* ]] && return 0 ;;
      *) p=${p#/}
        # shellcheck disable=SC2053
        [[ $f == $p || $f == $p/* ]] && return 0 ;;
    esac
  done
  return 1
}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files)
else
  mapfile -t files < <(find . -type f -printf '%P\n')
fi
keep=()
for f in "${files[@]}"; do
  [ -e "$f" ] || continue
  ignored "$f" || keep+=("$f")
done
mkdir -p "$work/context"
printf '%s\0' "${keep[@]}" | tar --null -cf - -T - | tar -xf - -C "$work/context"
say "build context: ${#keep[@]} of ${#files[@]} files"

# 2. The build stage's go build line, with /out/ under the work directory.
build=$(grep -E '^[[:space:]]+CGO_ENABLED=1 go build ' Dockerfile | sed 's/^[[:space:]]*//')
[ -n "$build" ] || fail "no 'CGO_ENABLED=1 go build' line in the Dockerfile"
mkdir -p "$work/out"
build=${build//\/out\//$work/out/}
say "build: $build"
(cd "$work/context" && VERSION=emulated && eval "$build") || fail "build"

# 3. The runtime root: the binary and the COPY targets of the runtime stage.
root=$work/root
while read -r src dst; do
  case $src in
    --from=build) read -r src dst <<<"$dst"; src=$work/out/${src#/out/} ;;
    *) src=$work/context/$src ;;
  esac
  mkdir -p "$root$(dirname "$dst")"
  cp "$src" "$root$dst"
done < <(printf '%s\n' "$runtime" | sed -n 's/^COPY[[:space:]]\+//p')
[ -x "$root/usr/local/bin/setupranali" ] || fail "the runtime stage does not copy the binary to /usr/local/bin/setupranali"

# Its ENV, with absolute paths under the root.
declare -A env=()
while read -r kv; do
  k=${kv%%=*}; v=${kv#*=}
  [[ $v == /* ]] && v=$root$v
  env[$k]=$v
done < <(printf '%s\n' "$runtime" | sed -n 's/^ENV[[:space:]]\+//p' | tr -s ' \t' '\n' | sed '/^$/d')
volume=$(printf '%s\n' "$runtime" | sed -n 's/^VOLUME[[:space:]]*\["\(.*\)"\]/\1/p')
workdir=$(printf '%s\n' "$runtime" | sed -n 's/^WORKDIR[[:space:]]\+//p' | tail -n1)
user=$(printf '%s\n' "$runtime" | sed -n 's/^USER[[:space:]]\+//p')
healthcheck=$(printf '%s\n' "$runtime" | sed -n 's/^HEALTHCHECK .* CMD[[:space:]]\+\(\[.*\]\)/\1/p')
[ -n "$volume" ] && [ -n "$user" ] && [ -n "$healthcheck" ] || fail "runtime stage lacks VOLUME, USER or HEALTHCHECK"
[[ ${user%%:*} != 0 && $user != root* ]] || fail "USER $user is root"
mkdir -p "$root$volume"
chown "$run_uid:$run_gid" "$root$volume"
chmod 700 "$root$volume"
# Everything else read-only, as with readOnlyRootFilesystem.
find "$root" -path "$root$volume" -prune -o -exec chmod a-w {} +
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port); http_port=$(free_port)
env[SETU_PG_ADDR]=127.0.0.1:$pg_port
env[SETU_HTTP_ADDR]=127.0.0.1:$http_port
env[HOME]=$root$volume
env[PATH]=$root/usr/local/bin:/usr/bin:/bin

# exec_as_user replaces the current (sub)shell with the command as the unprivileged user, in
# the WORKDIR, with exactly the image's environment.
exec_as_user() {
  local args=()
  for k in "${!env[@]}"; do args+=("$k=${env[$k]}"); done
  cd "$root$workdir"
  exec setpriv --reuid="$run_uid" --regid="$run_gid" --clear-groups --no-new-privs env -i "${args[@]}" "$@"
}
as_user() { (exec_as_user "$@"); }

env[UBI_SECRET_KEY]=$(as_user setupranali keygen) || fail "keygen"
env[REDIS_URL]=$redis_url
# The first API key, made by docker-compose.yml's keys-init command itself; run again, it must
# leave the existing key alone.
init_cmd=$(awk '/^  keys-init:/{f=1} f&&/^      - /{sub(/^      - /,""); print; exit}' docker-compose.yml)
[ -n "$init_cmd" ] || fail "no keys-init command in docker-compose.yml"
key=$(as_user sh -c "$init_cmd" 2>/dev/null) || fail "keys-init: $init_cmd"
[[ $key == sp_* ]] || fail "keys-init printed no key"
again=$(as_user sh -c "$init_cmd" 2>&1) || fail "keys-init again: $again"
[ -z "$again" ] || fail "keys-init made another key: $again"
say "keys-init: made the admin key once"

# 4. Serve, probe with the HEALTHCHECK command itself.
marker=$work/marker
touch "$marker"
sleep 1
(exec_as_user setupranali serve) >"$work/serve.log" 2>&1 &
pid=$!
mapfile -t probe < <(python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$healthcheck")
healthy=
for _ in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || fail "serve exited"
  if as_user "${probe[@]}" 2>/dev/null; then healthy=1; break; fi
  sleep 0.5
done
[ -n "$healthy" ] || fail "HEALTHCHECK ${probe[*]} never passed"
say "HEALTHCHECK ${probe[*]}: healthy"
as_user setupranali healthcheck --path /v1/ready --quiet || fail "/v1/ready"
uid=$(ps -o uid= -p "$pid" | tr -d ' ')
[ "$uid" = "$run_uid" ] || fail "serve runs as uid $uid"
if command -v psql >/dev/null; then
  rows=$(PGPASSWORD=$key psql -X -At "host=127.0.0.1 port=$pg_port user=admin dbname=setupranali sslmode=disable" \
    -c "SELECT city, total_revenue FROM orders ORDER BY city" 2>&1) || fail "psql: $rows"
  [ "$(printf '%s\n' "$rows" | wc -l)" = 5 ] || fail "query returned: $rows"
  say "query through psql: $(printf '%s' "$rows" | tr '\n' ' ')"
fi
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "serve exited $status on SIGTERM"
written=$(find "$root" -path "$root$volume" -prune -o -newer "$marker" -print)
[ -z "$written" ] || fail "written outside the volume: $written"
say "ok: built as the Dockerfile does, served as uid $run_uid on a read-only root, healthy, stopped cleanly"
