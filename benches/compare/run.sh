#!/usr/bin/env bash
# Side-by-side throughput of httpserver, axum and actix-web on the same three routes.
#
#   bash benches/compare/run.sh
#
# Builds the three servers in release, then for each round, each endpoint and each
# framework in turn (A B C A B C ...): starts the server pinned to one core, warms up,
# measures with wrk pinned to another core, stops the server. Prints the median of the
# rounds. Knobs (environment): ROUNDS (3), DURATION (10s), WARMUP (2s), CONNS (64),
# SERVER_CPU (0), CLIENT_CPU (1), PORT (18080), FRAMEWORKS, ENDPOINTS (names below).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
CONNS="${CONNS:-64}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
PORT="${PORT:-18080}"
FRAMEWORKS="${FRAMEWORKS:-httpserver axum actix}"
ENDPOINTS="${ENDPOINTS:-hello user echo}"
WRK="${WRK:-wrk}"

for tool in "$WRK" taskset curl awk; do
    command -v "$tool" >/dev/null || { echo "run.sh: '$tool' not found" >&2; exit 1; }
done

# Its own target dir, whatever the caller's environment says.
export CARGO_TARGET_DIR="$here/target"
echo "building (release) ..." >&2
source "$here/lib.sh"
build_each_bin "$here" $FRAMEWORKS
bin="$CARGO_TARGET_DIR/release"

declare -A EP_PATH=([hello]="/hello" [user]="/users/42" [echo]="/echo")
declare -A EP_LABEL=([hello]="GET /hello" [user]="GET /users/42" [echo]="POST /echo")
declare -A EP_ARGS=([hello]="" [user]="" [echo]="-s $here/echo.lua")

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$here/results"
raw="$here/results/$stamp.tsv"      # one line per measurement
log="$here/results/$stamp.log"      # wrk output and server stderr
printf 'round\tendpoint\tframework\trps\tp50_us\tp99_us\terrors\tcpu_us_per_req\n' >"$raw"

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

start_server() { # framework
    taskset -c "$SERVER_CPU" "$bin/$1" "$PORT" >>"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: $1 exited at start (see $log)" >&2; exit 1; }
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/hello" && return 0
        sleep 0.05
    done
    echo "run.sh: $1 did not answer on port $PORT" >&2
    exit 1
}

# The three servers must answer the same bodies, or the comparison means nothing.
check_answers() { # framework
    local body='{"name":"wrk","id":42,"tags":["a","b"],"nested":{"ok":true}}'
    local got
    got="$(curl -sf "http://127.0.0.1:$PORT/hello")"
    [ "$got" = '{"message":"Hello, World!"}' ] || { echo "run.sh: $1 /hello: $got" >&2; exit 1; }
    got="$(curl -sf "http://127.0.0.1:$PORT/users/42")"
    [ "$got" = '{"user_id":42}' ] || { echo "run.sh: $1 /users/42: $got" >&2; exit 1; }
    got="$(curl -sf -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PORT/echo")"
    [ "$got" = '{"id":42,"name":"wrk","nested":{"ok":true},"tags":["a","b"]}' ] \
        || { echo "run.sh: $1 /echo: $got" >&2; exit 1; }
}

# wrk's "Requests/sec", 50% and 99% latency (in microseconds), error count, and the
# server's CPU time per request (microseconds) from the ticks it used during the run.
parse_wrk() { # server_cpu_ticks
    awk -v ticks="$1" -v hz="$CLK_TCK" '
        function us(v) {
            if (v ~ /us$/) return v + 0
            if (v ~ /ms$/) return (v + 0) * 1000
            if (v ~ /m$/)  return (v + 0) * 60000000
            if (v ~ /s$/)  return (v + 0) * 1000000
            return v + 0
        }
        /Requests\/sec:/ { rps = $2 }
        / requests in / { total = $1 }
        $1 == "50%" { p50 = us($2) }
        $1 == "99%" { p99 = us($2) }
        /Non-2xx or 3xx responses:/ { err += $NF }
        /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
        END { printf "%s\t%s\t%s\t%d\t%.3f\n", rps, p50, p99, err, (total > 0 ? ticks * 1000000 / hz / total : 0) }
    '
}

run_wrk() { # duration endpoint
    # shellcheck disable=SC2086
    taskset -c "$CLIENT_CPU" "$WRK" -t1 -c"$CONNS" -d"$1" --latency ${EP_ARGS[$2]} \
        "http://127.0.0.1:$PORT${EP_PATH[$2]}"
}

n_ep=$(wc -w <<<"$ENDPOINTS"); n_fw=$(wc -w <<<"$FRAMEWORKS")
echo "$ROUNDS round(s) x $n_ep endpoint(s) x $n_fw framework(s), $WARMUP warm-up + $DURATION each;" \
     "server on CPU $SERVER_CPU, wrk -t1 -c$CONNS on CPU $CLIENT_CPU" >&2
for round in $(seq "$ROUNDS"); do
    for ep in $ENDPOINTS; do
        for fw in $FRAMEWORKS; do
            start_server "$fw"
            [ "$round" = 1 ] && check_answers "$fw"
            run_wrk "$WARMUP" "$ep" >/dev/null
            echo "== round $round, $fw, ${EP_LABEL[$ep]}" >>"$log"
            ticks0="$(cpu_ticks "$server_pid")"
            out="$(run_wrk "$DURATION" "$ep")"
            ticks1="$(cpu_ticks "$server_pid")"
            echo "$out" >>"$log"
            stop_server
            line="$(parse_wrk "$((ticks1 - ticks0))" <<<"$out")"
            printf '%s\t%s\t%s\t%s\n' "$round" "$ep" "$fw" "$line" >>"$raw"
            printf '  round %s  %-14s %-10s %s\n' "$round" "${EP_LABEL[$ep]}" "$fw" \
                "$(awk -F'\t' '{printf "%10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  CPU %6.2f us/req%s", $1, $2/1000, $3/1000, $5, ($4 > 0 ? "  ERRORS " $4 : "")}' <<<"$line")" >&2
        done
    done
done

# Tables. Per framework: the median over rounds of req/s, p50, p99 and server CPU time
# per request. Ratios: for each round, httpserver against the others measured right
# before/after it (so machine drift cancels within a round), then the median over rounds.
# Every ratio reads "> 1: httpserver is better": req/s is httpserver/other, CPU per
# request is other/httpserver.
echo
echo "httpserver vs axum vs actix-web, $(date -u '+%Y-%m-%d %H:%M UTC'), median of $ROUNDS round(s)," \
     "wrk -t1 -c$CONNS -d$DURATION, server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU, $(nproc) cores"
echo
awk -F'\t' -v eps="$ENDPOINTS" -v fws="$FRAMEWORKS" -v labels="hello=GET /hello;user=GET /users/42;echo=POST /echo" '
    function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return ""
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function ratio(e, other, col, invert,   r, h, o, list) {
        list = ""
        for (r in rounds) {
            h = cell[r, e, "httpserver", col]; o = cell[r, e, other, col]
            if (h > 0 && o > 0) list = list " " (invert ? o / h : h / o)
        }
        return list == "" ? "-" : sprintf("%.2f", median(list))
    }
    NR > 1 {
        k = $2 SUBSEP $3
        rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; err[k] += $7
        cpu[k] = cpu[k] " " $8
        cell[$1, $2, $3, "rps"] = $4; cell[$1, $2, $3, "cpu"] = $8; rounds[$1] = 1
    }
    END {
        split(labels, lp, ";"); for (i in lp) { split(lp[i], kv, "="); label[kv[1]] = kv[2] }
        nf = split(fws, fw, " "); ne = split(eps, ep, " ")
        printf "| endpoint | framework | req/s | p50 (ms) | p99 (ms) | server CPU (us/req) |\n"
        printf "|---|---|---:|---:|---:|---:|\n"
        for (e = 1; e <= ne; e++) {
            for (f = 1; f <= nf; f++) {
                k = ep[e] SUBSEP fw[f]
                printf "| %s | %s | %.0f | %.3f | %.3f | %.2f |%s\n", \
                    (f == 1 ? label[ep[e]] : ""), fw[f], median(rps[k]), median(p50[k]) / 1000, \
                    median(p99[k]) / 1000, median(cpu[k]), (err[k] > 0 ? "  (" err[k] " errors!)" : "")
            }
        }
        printf "\n| endpoint | req/s httpserver/axum | req/s httpserver/actix | CPU/req axum/httpserver | CPU/req actix/httpserver |\n"
        printf "|---|---:|---:|---:|---:|\n"
        for (e = 1; e <= ne; e++)
            printf "| %s | **%s** | **%s** | %s | %s |\n", label[ep[e]], \
                ratio(ep[e], "axum", "rps", 0), ratio(ep[e], "actix", "rps", 0), \
                ratio(ep[e], "axum", "cpu", 1), ratio(ep[e], "actix", "cpu", 1)
    }
' "$raw"
echo
echo "raw numbers: ${raw#"$here/"}, wrk output: ${log#"$here/"} (under benches/compare/)"
