#!/usr/bin/env bash
# HTTP/2 in the clear (h2c, prior knowledge): httpserver against axum, on the same hyper
# and h2, with h2load (Debian's nghttp2-client).
#
#   bash benches/compare/h2.sh                 # both parts
#   PART=rps bash benches/compare/h2.sh        # requests/s only
#   PART=callgrind bash benches/compare/h2.sh  # instructions per request only
#
# rps: for each round, each load shape (CONNS x STREAMS, default "200x50 10x10") and each
# framework in turn (A B A B ...): the server pinned to SERVER_CPU, h2load pinned to
# CLIENT_CPU, WARMUP then DURATION of GET /hello. Prints one TSV line per measurement:
#   rps <shape> <framework> <round> <req/s>
# callgrind: the server under valgrind; h2load sends 500 warm-up requests, the counters
# are zeroed, N requests on one connection with 10 streams at a time, the counters dumped.
# Prints: callgrind <route> <framework> <instructions per request>.
# NODELAY (1): 1 sets TCP_NODELAY in axum too, as httpserver always does (nginx and Go do
# the same; axum leaves it off unless the app sets it); 0 runs axum as it comes.
# TLS (0): 1 runs HTTP/2 over TLS instead (h2 by ALPN, a fresh self-signed P-256
# certificate from openssl; both servers on rustls with ring).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PART="${PART:-rps callgrind}"
FRAMEWORKS="${FRAMEWORKS:-httpserver axum}"
SHAPES="${SHAPES:-200x50 10x10}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
N="${N:-5000}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
PORT="${PORT:-3997}"
export BENCH_TCP_NODELAY="${NODELAY:-1}"

command -v h2load >/dev/null || { echo "h2.sh: h2load not found (apt-get install nghttp2-client)" >&2; exit 1; }
export CARGO_TARGET_DIR="$here/target"
source "$here/lib.sh"
build_each_bin "$here" $FRAMEWORKS
bin="$CARGO_TARGET_DIR/release"
scheme=http
if [ "${TLS:-0}" = 1 ]; then
    command -v openssl >/dev/null || { echo "h2.sh: TLS=1 needs openssl" >&2; exit 1; }
    tls_dir="$(mktemp -d)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=localhost -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null
    export BENCH_TLS_CERT="$tls_dir/cert.pem" BENCH_TLS_KEY="$tls_dir/key.pem"
    scheme=https
fi
trap 'stop; rm -rf "${tls_dir:-}"' EXIT

# h2load's "finished in 10.00s, 123456.78 req/s, ..." line, and no failed request.
req_per_s() {
    local out="$1"
    if ! grep -q "requests: .* 0 failed, 0 errored" <<<"$out"; then
        echo "h2.sh: h2load saw failures:" >&2
        grep "requests:" <<<"$out" >&2
        exit 1
    fi
    sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out"
}

if [[ " $PART " == *" rps "* ]]; then
    for round in $(seq "$ROUNDS"); do
        for shape in $SHAPES; do
            conns="${shape%x*}"
            streams="${shape#*x}"
            for fw in $FRAMEWORKS; do
                taskset -c "$SERVER_CPU" "$bin/$fw" "$PORT" >/dev/null 2>&1 &
                pid=$!
                wait_port
                out="$(taskset -c "$CLIENT_CPU" h2load -c "$conns" -m "$streams" \
                    --warm-up-time="$WARMUP" -D "$DURATION" "$scheme://127.0.0.1:$PORT/hello" 2>&1)"
                printf "rps\t%s\t%s\t%s\t%s\n" "$shape" "$fw" "$round" "$(req_per_s "$out")"
                stop
            done
        done
    done
fi

if [[ " $PART " == *" callgrind "* ]]; then
    # One connection, 10 streams at a time: 500 warm-up requests, then N counted.
    h2_client() { # path pid
        h2load -n 500 -c 1 -m 10 "$scheme://127.0.0.1:$PORT$1" >/dev/null
        callgrind_control -z "$2" >/dev/null 2>&1
        req_per_s "$(h2load -n "$N" -c 1 -m 10 "$scheme://127.0.0.1:$PORT$1" 2>&1)" >/dev/null
        callgrind_control -d "$2" >/dev/null 2>&1
    }
    for fw in $FRAMEWORKS; do
        for path in /hello /users/42; do
            printf "callgrind\t%s\t%s\t%s\n" "$path" "$fw" \
                "$(instructions_per_request "$bin/$fw" "$N" h2_client "$path")"
        done
    done
fi
