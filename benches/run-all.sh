#!/usr/bin/env bash
# Every comparison in one run, one table: httpserver against axum (and actix-web and hyper
# alone where the bench has them), with the machine's load noted.
#
#   bash benches/run-all.sh                # all of it (about 25 minutes on 2 cores)
#   PARTS="callgrind memory" bash benches/run-all.sh
#
# Parts (PARTS, default all):
#   callgrind  instructions and mallocs per request, HTTP/1.1 (benches/compare/callgrind.sh)
#   memory     RSS per idle keep-alive connection (benches/conn-memory/run.sh), per open
#              WebSocket and per open HTTP/2 connection (benches/conn-memory/open.sh)
#   h2         HTTP/2 (h2c): req/s under h2load at 200x50 and 10x10 streams, and instructions
#              per request (benches/compare/h2.sh)
#   h2tls      the same over TLS (h2 by ALPN; TLS=1 bash benches/compare/h2.sh)
#   static     static files, 1 KiB and 1 MiB: req/s (wrk) and instructions per request,
#              against tower-http's ServeDir (benches/compare/static.sh)
#   ws         WebSocket echo messages/s at 1, 100 and 1,000 connections (benches/ws-echo/run.sh)
#              and instructions per message (benches/ws-echo/callgrind.sh)
#   compile    compile time and peak memory at 100/500/2,000 routes, with and without the
#              "openapi" feature (benches/compile-cost/run.sh)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PARTS="${PARTS:-callgrind h2 h2tls static memory ws compile}"
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

# rows "rps <case> <framework> <round> <value>" and "callgrind <case> <framework> <value>"
# from h2.sh and static.sh, as one table: per case, the median req/s of each, their ratio
# (the median of the per-round ratios), and instructions per request.
two_way_table() { # title unit-of-case
    awk -F'\t' -v title="$1" -v unit="$2" '
        function median(list,   a, n, i, j, t) {
            n = split(list, a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n ? ((n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0
        }
        $1 == "rps" { rps[$2, $3] = rps[$2, $3] " " $5; cell[$2, $3, $4] = $5; rounds[$4] = 1; if (!seen[$2]++) order[++n] = $2 }
        $1 == "callgrind" { ins[$2, $3] = $4; if (!seen[$2]++) order[++n] = $2 }
        END {
            print "## " title
            print ""
            print "| " unit " | req/s httpserver | req/s axum | httpserver / axum | instructions httpserver | instructions axum | axum / httpserver |"
            print "|---|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                c = order[i]; list = ""
                for (r in rounds) if (cell[c, "httpserver", r] > 0 && cell[c, "axum", r] > 0) list = list " " cell[c, "httpserver", r] / cell[c, "axum", r]
                h = ins[c, "httpserver"]; a = ins[c, "axum"]
                printf "| %s | %s | %s | %s | %s | %s | %s |\n", c,
                    rps[c, "httpserver"] ? sprintf("%.0f", median(rps[c, "httpserver"])) : "-",
                    rps[c, "axum"] ? sprintf("%.0f", median(rps[c, "axum"])) : "-",
                    list ? sprintf("**%.2f**", median(list)) : "-",
                    h ? h : "-", a ? a : "-", (h && a) ? sprintf("**%.3f**", a / h) : "-"
            }
            print ""
        }'
}

if has h2; then
    echo "== HTTP/2 (h2load)" >&2
    bash "$here/compare/h2.sh" | tee "$out/h2.tsv" >&2
    two_way_table "HTTP/2 h2c (benches/compare/h2.sh): GET /hello under h2load, both with TCP_NODELAY; instructions per request over one connection, 10 streams at a time" \
        "connections x streams, or route" <"$out/h2.tsv" >>"$out/table.md"
    NODELAY=0 PART=rps bash "$here/compare/h2.sh" | tee "$out/h2-axum-default.tsv" >&2
    two_way_table "HTTP/2 h2c again, axum as it comes (no TCP_NODELAY: the kernel coalesces its small writes)" \
        "connections x streams" <"$out/h2-axum-default.tsv" >>"$out/table.md"
fi

if has h2tls; then
    echo "== HTTP/2 over TLS (h2load)" >&2
    TLS=1 bash "$here/compare/h2.sh" | tee "$out/h2tls.tsv" >&2
    two_way_table "HTTP/2 over TLS (TLS=1 benches/compare/h2.sh; rustls with ring on both sides): GET /hello under h2load, both with TCP_NODELAY; instructions per request over one connection, 10 streams at a time" \
        "connections x streams, or route" <"$out/h2tls.tsv" >>"$out/table.md"
fi

if has static; then
    echo "== static files" >&2
    bash "$here/compare/static.sh" | tee "$out/static.tsv" >&2
    two_way_table "Static files (benches/compare/static.sh): httpserver's static_files against tower-http's ServeDir, wrk -c64" \
        "file" <"$out/static.tsv" >>"$out/table.md"
fi

if has memory; then
    echo "== memory per connection" >&2
    bash "$here/conn-memory/run.sh" 2>&1 | tee "$out/memory.txt" >&2
    bash "$here/conn-memory/open.sh" 2>&1 | tee "$out/memory-open.txt" >&2
    { echo "## Memory per connection (benches/conn-memory)"; echo; echo '```'; tail -n 12 "$out/memory.txt"; grep '^server=' "$out/memory-open.txt"; echo '```'; echo; } >>"$out/table.md"
fi

if has ws; then
    echo "== WebSocket echo" >&2
    bash "$here/ws-echo/run.sh" 2>&1 | tee "$out/ws.txt" >&2
    { echo "## WebSocket echo (benches/ws-echo)"; echo; echo '```'; sed -n '/^connections /,$p' "$out/ws.txt"; echo '```'; echo; } >>"$out/table.md"
    bash "$here/ws-echo/callgrind.sh" | tee "$out/ws-callgrind.tsv" >&2
    awk -F'\t' '
        { all[$2, $3] = $4; bare[$2, $3] = $5; if (!seen[$2]++) order[++n] = $2 }
        END {
            print "## WebSocket, instructions per echoed message (benches/ws-echo/callgrind.sh)"
            print ""
            print "| connections | httpserver | axum | axum / httpserver | httpserver without memset | axum without memset | axum / httpserver |"
            print "|---|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                c = order[i]; h = all[c, "httpserver"]; a = all[c, "axum"]; hb = bare[c, "httpserver"]; ab = bare[c, "axum"]
                printf "| %s | %s | %s | %s | %s | %s | %s |\n", c, h, a, (h + 0 && a + 0) ? sprintf("**%.2f**", a / h) : "-",
                    hb, ab, (hb + 0 && ab + 0) ? sprintf("**%.3f**", ab / hb) : "-"
            }
            print ""
            print "Without memset: tungstenite zeroes its read buffer before each read, which callgrind counts byte by byte."
            print ""
        }' "$out/ws-callgrind.tsv" >>"$out/table.md"
fi

if has compile; then
    echo "== compile cost" >&2
    FRAMEWORKS="httpserver httpserver-openapi axum" bash "$here/compile-cost/run.sh" 2>&1 | tee "$out/compile.txt" >&2
    { echo "## Compile cost (benches/compile-cost)"; echo; sed -n '/^| build/,/^$/p' "$out/compile.txt"; echo; } >>"$out/table.md"
fi

echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out/table.md"
cat "$out/table.md"
