#!/usr/bin/env bash
# Every comparison in one run, one table: httpserver against axum (and actix-web and hyper
# alone where the bench has them), with the machine's load noted.
#
#   bash benches/run-all.sh                # all of it (about 25 minutes on 2 cores)
#   PARTS="callgrind memory" bash benches/run-all.sh
#
# Parts (PARTS, default all):
#   callgrind  instructions and mallocs per request, HTTP/1.1 (benches/compare/callgrind.sh)
#   memory     RSS per idle keep-alive connection (benches/conn-memory/run.sh)
#   ws         WebSocket echo messages/s at 1 and 100 connections (benches/ws-echo/run.sh)
#   compile    compile time and peak memory at 100/500/2,000 routes, with and without the
#              "openapi" feature (benches/compile-cost/run.sh)
# Not measured by this script yet: HTTP/2 with h2load (the compare servers speak HTTP/1.1
# only), static files against tower-http's ServeDir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PARTS="${PARTS:-callgrind memory ws compile}"
out="$here/target-run-all"
mkdir -p "$out"

has() { [[ " $PARTS " == *" $1 "* ]]; }

{
    echo "# benches/run-all.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) cores, $(rustc --version | cut -d' ' -f1-2); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} >"$out/table.md"

if has callgrind; then
    echo "== callgrind (instructions per request)" >&2
    N="${N:-5000}" bash "$here/compare/callgrind.sh" | tee "$out/callgrind.tsv" >&2
    awk -F'\t' '
        { instr[$1 SUBSEP $2] = $3; mallocs[$1 SUBSEP $2] = $4; seen[$2] = 1; order[++n] = $2 }
        END {
            print "## Instructions per request (callgrind, HTTP/1.1, one keep-alive connection)"
            print ""
            print "| request | httpserver | axum | actix-web | hyper alone | axum / httpserver | actix / httpserver | mallocs httpserver / axum |"
            print "|---|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                r = order[i]; if (done[r]++) continue
                h = instr["httpserver" SUBSEP r]; a = instr["axum" SUBSEP r]; x = instr["actix" SUBSEP r]; y = instr["hyper" SUBSEP r]
                printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", r, h, a, x, y,
                    (h && a) ? sprintf("%.3f", a / h) : "-", (h && x) ? sprintf("%.3f", x / h) : "-",
                    mallocs["httpserver" SUBSEP r], mallocs["axum" SUBSEP r]
            }
            print ""
            print "Above 1 in the ratio columns: httpserver executes fewer instructions."
            print ""
        }' "$out/callgrind.tsv" >>"$out/table.md"
fi

if has memory; then
    echo "== memory per connection" >&2
    bash "$here/conn-memory/run.sh" 2>&1 | tee "$out/memory.txt" >&2
    { echo "## Memory per idle keep-alive connection (benches/conn-memory)"; echo; echo '```'; tail -n 12 "$out/memory.txt"; echo '```'; echo; } >>"$out/table.md"
fi

if has ws; then
    echo "== WebSocket echo" >&2
    bash "$here/ws-echo/run.sh" 2>&1 | tee "$out/ws.txt" >&2
    { echo "## WebSocket echo (benches/ws-echo)"; echo; echo '```'; tail -n 12 "$out/ws.txt"; echo '```'; echo; } >>"$out/table.md"
fi

if has compile; then
    echo "== compile cost" >&2
    FRAMEWORKS="httpserver httpserver-openapi axum" bash "$here/compile-cost/run.sh" 2>&1 | tee "$out/compile.txt" >&2
    { echo "## Compile cost (benches/compile-cost)"; echo; sed -n '/^| build/,/^$/p' "$out/compile.txt"; echo; } >>"$out/table.md"
fi

echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out/table.md"
cat "$out/table.md"
