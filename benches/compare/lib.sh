# Shared by the benchmark scripts (sourced, not run): building the servers, one server
# at a time on $PORT, its CPU time, and its instructions per request under callgrind.

# build_each_bin DIR BIN...: builds each BIN of the bench project in DIR (release, into
# DIR/target) in a cargo invocation of its own, with only the feature of its name. One
# invocation for all would unify the features of their dependencies, and each server
# would carry what the others turn on (see compare/Cargo.toml).
build_each_bin() {
    local dir="$1" bin
    shift
    for bin in "$@"; do
        (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --release --quiet \
            --no-default-features --features "$bin" --bin "$bin")
    done
}

pid=""

# Stops the running server, if any: SIGINT, then SIGKILL after 5 s.
stop() {
    [ -n "$pid" ] || return 0
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
}

# Waits (at most 10 s) until something listens on $PORT.
wait_port() {
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "$(basename "$0"): nothing listens on $PORT" >&2
    exit 1
}

# cpu_ticks PID: CPU time (user + system, all threads, in clock ticks of $CLK_TCK) the
# process has used so far; the name field is cut first, as it may hold spaces.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
CLK_TCK="$(getconf CLK_TCK)"

# instructions_per_request BINARY N CLIENT [ARGS...]: starts BINARY on $PORT under
# callgrind, runs `CLIENT ARGS... PID` (which warms up, zeroes the counters, sends N
# requests and dumps the counters), stops the server and prints the process's
# instructions (all threads) divided by N.
instructions_per_request() {
    local binary="$1" n="$2"
    shift 2
    local out_dir
    out_dir="$(mktemp -d)"
    valgrind --tool=callgrind --callgrind-out-file="$out_dir/cg.%p" "$binary" "$PORT" >/dev/null 2>&1 &
    pid=$!
    wait_port
    "$@" "$pid"
    stop
    local dump
    dump="$(ls -t "$out_dir"/cg.*.* | head -1)"
    echo $(($(awk '/^summary:/ {print $2}' "$dump") / n))
    rm -rf "$out_dir"
}
