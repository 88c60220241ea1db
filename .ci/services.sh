# Sourced by .ci/run: install (if missing) and start the real servers the tests use, on
# loopback ports, and export their addresses. Tests that see these variables use the
# servers and fail, rather than skip, when they are unreachable.
#   TRADEOFFS_REDIS_URL      redis://127.0.0.1:PORT/0
#   TRADEOFFS_POSTGRES_URL   postgresql+psycopg://tradeoffs@127.0.0.1:PORT/tradeoffs
#   TRADEOFFS_REQUIRE_SANDBOX=1 (bubblewrap is installed: sandbox tests must not skip)
#   TRADEOFFS_REQUIRE_PROMETHEUS=1 (prometheus and promtool are installed: their tests must
#   not skip; tests and lessons start their own Prometheus on a free loopback port)
#   TRADEOFFS_REQUIRE_BROWSER=1 (Debian's chromium is installed: the browser test, which
#   drives it with Playwright, must not skip)

_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

_need=()
command -v redis-server >/dev/null 2>&1 || _need+=(redis-server)
command -v bwrap >/dev/null 2>&1 || _need+=(bubblewrap)
command -v prometheus >/dev/null 2>&1 || _need+=(prometheus)
[ -n "$(_pg_bin)" ] || _need+=(postgresql)
command -v chromium >/dev/null 2>&1 || _need+=(chromium)
if [ "${#_need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${_need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${_need[@]}" >/dev/null
  else
    echo "warning: ${_need[*]} missing and cannot be installed here; their tests will skip" >&2
  fi
fi

TRADEOFFS_RUN_DIR=$(mktemp -d /tmp/tradeoffs-ci.XXXXXX)
chmod 755 "$TRADEOFFS_RUN_DIR"
export TRADEOFFS_RUN_DIR

_stop_services() {
  if [ -f "$TRADEOFFS_RUN_DIR/redis.pid" ]; then kill "$(cat "$TRADEOFFS_RUN_DIR/redis.pid")" 2>/dev/null || true; fi
  if [ -d "$TRADEOFFS_RUN_DIR/pg" ]; then
    $_as_pg "$(_pg_bin)/pg_ctl" -D "$TRADEOFFS_RUN_DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TRADEOFFS_RUN_DIR"
}
trap _stop_services EXIT

if command -v redis-server >/dev/null 2>&1; then
  _port=$(_free_port)
  redis-server --bind 127.0.0.1 --port "$_port" --save '' --appendonly no --daemonize yes \
    --pidfile "$TRADEOFFS_RUN_DIR/redis.pid" --logfile "$TRADEOFFS_RUN_DIR/redis.log"
  for _ in $(seq 50); do redis-cli -p "$_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export TRADEOFFS_REDIS_URL="redis://127.0.0.1:$_port/0"
  echo "redis-server on $TRADEOFFS_REDIS_URL"
fi

_as_pg=""
if [ -n "$(_pg_bin)" ]; then
  [ "$(id -u)" = 0 ] && _as_pg="runuser -u postgres --"
  mkdir -p "$TRADEOFFS_RUN_DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$TRADEOFFS_RUN_DIR/pg"
  _port=$(_free_port)
  $_as_pg "$(_pg_bin)/initdb" -D "$TRADEOFFS_RUN_DIR/pg" -U tradeoffs --auth=trust >/dev/null
  $_as_pg "$(_pg_bin)/pg_ctl" -D "$TRADEOFFS_RUN_DIR/pg" -w -l "$TRADEOFFS_RUN_DIR/pg/server.log" \
    -o "-p $_port -k $TRADEOFFS_RUN_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  $_as_pg "$(_pg_bin)/createdb" -h 127.0.0.1 -p "$_port" -U tradeoffs tradeoffs
  export TRADEOFFS_POSTGRES_URL="postgresql+psycopg://tradeoffs@127.0.0.1:$_port/tradeoffs"
  echo "postgresql on $TRADEOFFS_POSTGRES_URL"
fi

if command -v bwrap >/dev/null 2>&1; then
  export TRADEOFFS_REQUIRE_SANDBOX=1
fi

if command -v chromium >/dev/null 2>&1; then
  export TRADEOFFS_REQUIRE_BROWSER=1
fi

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  export TRADEOFFS_REQUIRE_PROMETHEUS=1
fi
