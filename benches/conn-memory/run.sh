#!/usr/bin/env bash
# Memory per keep-alive connection after one 512 KiB response, httpserver and axum.
#
#   bash benches/conn-memory/run.sh
#
# Builds the servers and the client in release (own target dir), then for each server in
# turn: starts it, runs the client (N connections, each GET /small then GET /big once,
# all left open), which samples the server's VmRSS before, after the small GETs and after
# the big ones, and prints the figures. Knobs (environment): N (200), PORT (19210),
# SERVERS ("httpserver axum"; each a binary with a feature of its name), ROUNDS (1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

N="${N:-200}"
PORT="${PORT:-19210}"
SERVERS="${SERVERS:-httpserver axum}"
ROUNDS="${ROUNDS:-1}"

export CARGO_TARGET_DIR="$here/target"
echo "building (release) ..." >&2
source "$here/../compare/lib.sh"
build_each_bin "$here" $SERVERS client
bin="$CARGO_TARGET_DIR/release"

server_pid=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
trap stop_server EXIT

for round in $(seq "$ROUNDS"); do
    for server in $SERVERS; do
        "$bin/$server" "$PORT" >/dev/null 2>&1 &
        server_pid=$!
        for _ in $(seq 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
            sleep 0.05
        done
        printf 'round=%s server=%s ' "$round" "$server"
        "$bin/client" "$PORT" "$server_pid" "$N"
        stop_server
    done
done
