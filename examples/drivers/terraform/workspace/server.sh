#!/bin/sh
# server.sh start|stop HOME PORT: the workspace's HTTP server, one per instance. Both are idempotent, because the
# terraform driver may run an apply again after a controller restart.
set -eu
op=$1 home=$2 port=$3
pidfile="$home/.server.pid"
# Alive and not a zombie: an exited server is reparented to an init that may be slow to reap it.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] || return 0
  [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}
running() { [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; }
case "$op" in
start)
  if running; then exit 0; fi
  # The previous run's log still says "listening": remove it here, because the redirect below truncates it only
  # once the background child runs, and the wait loop could read the stale line first.
  rm -f "$home/.server.log"
  # Its own session, so it outlives terraform's process group; no pipes held open.
  setsid node "$(dirname "$0")/server.js" "$home" "$port" </dev/null >"$home/.server.log" 2>&1 &
  echo $! >"$pidfile"
  # Report failure (for example a port already taken) instead of a server that is not there.
  i=0
  while [ $i -lt 50 ]; do
    if grep -q "^listening" "$home/.server.log" 2>/dev/null; then exit 0; fi
    if ! running; then echo "server failed to start: $(tail -n 3 "$home/.server.log")" >&2; exit 1; fi
    sleep 0.1; i=$((i + 1))
  done
  echo "server did not start listening on 127.0.0.1:$port within 5 s" >&2
  exit 1
  ;;
stop)
  if running; then
    pid=$(cat "$pidfile")
    kill "$pid"
    # Stopped means stopped: wait until it is gone (SIGKILL after 5 s), so nothing answers once stop returns.
    i=0
    while alive "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  ;;
*)
  echo "usage: server.sh start|stop HOME PORT" >&2
  exit 2
  ;;
esac
