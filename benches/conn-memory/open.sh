#!/usr/bin/env bash
# Memory per open WebSocket and per open HTTP/2 (h2c) connection, httpserver and axum.
#
#   bash benches/conn-memory/open.sh
#
# The servers are those of benches/ws-echo (WebSocket echo on /ws) and benches/compare
# (h2c on /hello), built in release in their own target dirs. For each kind and server in
# turn: starts it, runs open.py (N connections, each used once, all left open), which
# samples the server's VmRSS before and after, and prints the figures. Knobs (environment):
# N (200), PORT (19220), KINDS ("ws h2"), SERVERS ("httpserver axum").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benches="$(dirname "$here")"
N="${N:-200}"
PORT="${PORT:-19220}"
KINDS="${KINDS:-ws h2}"
SERVERS="${SERVERS:-httpserver axum}"
ulimit -n 8192 2>/dev/null || true

python3 -c 'import websockets, h2' 2>/dev/null || {
    echo "open.sh: needs Python's websockets and h2 (pip install websockets h2)" >&2
    exit 1
}
echo "building (release) ..." >&2
# build_each_bin, and stop and wait_port on $pid and $PORT: the compare benches' own.
source "$benches/compare/lib.sh"
build_each_bin "$benches/ws-echo" $SERVERS
build_each_bin "$benches/compare" $SERVERS
trap stop EXIT

for kind in $KINDS; do
    case "$kind" in
        ws) bin="$benches/ws-echo/target/release" ;;
        # As in h2.sh: TCP_NODELAY in axum too (it changes no memory, only the writes).
        h2) bin="$benches/compare/target/release"; export BENCH_TCP_NODELAY=1 ;;
        *) echo "open.sh: unknown kind $kind" >&2; exit 1 ;;
    esac
    for server in $SERVERS; do
        "$bin/$server" "$PORT" >/dev/null 2>&1 &
        pid=$!
        wait_port
        printf 'server=%s ' "$server"
        python3 "$here/open.py" "$kind" "$PORT" "$pid" "$N"
        stop
    done
done
