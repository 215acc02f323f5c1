#!/usr/bin/env bash
# A diagnostic, not run by CI: the worst case for a restart, without nginx in between.
# Clients open a new connection for every POST, straight to one instance on port 8111,
# while the instance is replaced again and again (new process with SO_REUSEPORT, then
# SIGTERM to the old one, drain $DRAIN s). Every connection the old process accepts, or
# the kernel queues for it, around the moment it stops must still be answered.
# Through nginx (rolling-restart.sh) the same losses are rarer, since nginx reuses its
# connections, but each one would be a 502 for a POST. See deploy/README.md.
#
#   bash deploy/fresh-connections.sh              # 20 s, drain 0.5 s
#   DURATION=60 bash deploy/fresh-connections.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
DRAIN=${DRAIN:-0.5}
PORT=8111

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  fail "port $PORT is in use"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fresh-connections.XXXXXX")
pids=()
cleanup() {
  set +e
  # SIGINT: a graceful shutdown without the drain, so the instance is gone at once.
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

cargo build --quiet --example deploy
bin=target/debug/examples/deploy

seq_no=0
start_instance() {
  seq_no=$((seq_no + 1))
  local log="$tmp/instance-$seq_no.log"
  PORT=$PORT HOST=127.0.0.1 REUSE_PORT=1 DRAIN_PERIOD=$DRAIN HTTPSERVER_ACCESS_LOG=off \
    "$bin" >"$log" 2>&1 &
  new_pid=$!
  pids+=("$new_pid")
  for _ in $(seq 100); do
    grep -q "^serving on" "$log" && return 0
    sleep 0.02
  done
  fail "instance did not start"
}

# 8 threads, each: connect, send a POST, read the answer, close. A failure is counted by
# where it happened: the connect, or after the request was sent (reset, or closed
# without an answer), the case no proxy may retry for a POST.
cat >"$tmp/client.py" <<'EOF'
import collections, json, socket, sys, threading, time
port, duration = int(sys.argv[1]), float(sys.argv[2])
request = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
total, lock = collections.Counter(), threading.Lock()
def worker():
    counts, deadline = collections.Counter(), time.monotonic() + duration
    while time.monotonic() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError as e:
            counts["connect failed: " + type(e).__name__] += 1
            continue
        try:
            s.sendall(request)
            data = b""
            while not data.endswith(b"hello"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello"):
                counts["ok"] += 1
            elif not data:
                counts["sent, then closed without an answer"] += 1
            else:
                counts["sent, then a wrong answer"] += 1
        except OSError as e:
            counts["sent, then " + type(e).__name__] += 1
        finally:
            s.close()
    with lock:
        total.update(counts)
threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(dict(total)))
EOF

start_instance
current=$new_pid
python3 "$tmp/client.py" "$PORT" "$DURATION" >"$tmp/result.json" &
client=$!
pids+=("$client")
sleep 0.5
restarts=0
while kill -0 "$client" 2>/dev/null; do
  start_instance
  kill -TERM "$current"
  wait "$current" || fail "old process $current exited with an error"
  current=$new_pid
  restarts=$((restarts + 1))
done
wait "$client" || true
echo "restarts: $restarts"
python3 - "$tmp/result.json" <<'EOF'
import json, sys
counts = json.load(open(sys.argv[1]))
ok = counts.pop("ok", 0)
print(f"requests: {ok + sum(counts.values())}, answered: {ok}, lost: {sum(counts.values())}")
for kind, n in sorted(counts.items()):
    print(f"  {kind}: {n}")
raise SystemExit(1 if counts else 0)
EOF
