#!/usr/bin/env bash
# The one Docker engine the test suite uses, isolated from any other dockerd on the machine:
# its own socket, data root, exec root, pidfile, config file and containerd namespace, no bridge
# and no iptables/forwarding changes, and a private mount namespace in which /run/containerd is
# an empty directory, so it never attaches to a system containerd (dockerd 20.10 does whenever
# /run/containerd/containerd.sock exists) but starts its own.
#
#   bash scripts/dockerd.sh start   # idempotent; last stdout line is the engine's URL
#   bash scripts/dockerd.sh stop    # ends only the dockerd this script started, and waits
#   bash scripts/dockerd.sh env     # prints the export line when the engine is up
#
#   export TRICIRCLE_TEST_DOCKER_HOST=$(bash scripts/dockerd.sh start | tail -1)
#
# Must run as root. Progress goes to stderr.
set -euo pipefail

RUN=/run/tricircle-test
SOCKET=$RUN/docker.sock
URL=unix://$SOCKET
PIDFILE=$RUN/dockerd.pid
LOG=$RUN/dockerd.log
DATA_ROOT=/var/lib/tricircle-test-docker
EXEC_ROOT=$RUN/exec
HIDDEN_CONTAINERD=$RUN/empty-containerd
NAMESPACE=tricircle-test
WAIT_SECONDS=30
STOP_SECONDS=60

log() { echo "dockerd: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# The PID in our pidfile, if that process is alive and is a dockerd serving our socket. Checking
# the command line keeps a recycled PID (or someone else's dockerd) from ever being mistaken
# for ours.
our_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dockerd .*--host $URL " || return 1
  echo "$pid"
}

# GET /_ping over the socket. node is always present here (the project runs on it); curl may not be.
ping_engine() {
  node -e '
    const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 },
      (res) => process.exit(res.statusCode === 200 ? 0 : 1))
    req.on("error", () => process.exit(1)).on("timeout", () => process.exit(1))
  ' "$SOCKET" 2>/dev/null
}

fail_with_log() {
  log "$1; tail of $LOG:"
  tail -n 30 "$LOG" >&2 || true
  exit 1
}

start() {
  [[ $EUID -eq 0 ]] || die "run as root (dockerd needs it)"
  command -v dockerd >/dev/null || die "dockerd missing; run scripts/system-deps.sh (docker.io)"
  local pid
  if pid=$(our_pid); then
    if ping_engine; then
      log "already running (pid $pid)"
      echo "$URL"
      return
    fi
  else
    rm -f "$PIDFILE" # stale: the process is gone or is not ours
    mkdir -p "$RUN" "$DATA_ROOT" "$EXEC_ROOT" "$HIDDEN_CONTAINERD" /run/containerd
    # Our own (empty) config, so a host /etc/docker/daemon.json changes nothing here.
    [[ -f $RUN/daemon.json ]] || echo '{}' >"$RUN/daemon.json"
    log "starting on $URL (log $LOG)"
    # setsid, unshare and sh all exec, so the background job is dockerd itself; the mounts made
    # here live only in its mount namespace and vanish when it exits.
    setsid unshare --mount --propagation slave -- /bin/sh -c "
      mount --bind '$HIDDEN_CONTAINERD' /run/containerd
      exec dockerd --host '$URL' --config-file '$RUN/daemon.json' \
        --data-root '$DATA_ROOT' --exec-root '$EXEC_ROOT' --pidfile '$PIDFILE' \
        --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
        --userland-proxy=false \
        --containerd-namespace=$NAMESPACE --containerd-plugins-namespace=$NAMESPACE-plugins
    " >"$LOG" 2>&1 </dev/null &
    pid=$!
  fi
  for ((i = 0; ; i++)); do
    ping_engine && break
    kill -0 "$pid" 2>/dev/null || fail_with_log "dockerd (pid $pid) exited during start"
    ((i < WAIT_SECONDS * 10)) || fail_with_log "no answer to _ping on $SOCKET after ${WAIT_SECONDS}s"
    sleep 0.1
  done
  log "ready (pid $pid)"
  echo "$URL"
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    log "not running"
    return
  fi
  log "stopping pid $pid"
  kill -TERM "$pid"
  # dockerd stops its containers and its containerd before exiting; give it time, then insist.
  for ((i = 0; i < STOP_SECONDS * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still alive after ${STOP_SECONDS}s; sending SIGKILL"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    our_pid >/dev/null && ping_engine || die "not running; run: bash scripts/dockerd.sh start"
    echo "export TRICIRCLE_TEST_DOCKER_HOST=$URL"
    ;;
  *) die "usage: $0 start|stop|env" ;;
esac
