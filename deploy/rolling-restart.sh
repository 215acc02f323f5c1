#!/usr/bin/env bash
# Rolling restarts under load, through nginx, must lose nothing.
#
# Builds examples/deploy.rs (debug profile: `cargo test --workspace` has compiled its
# dependencies already, so in CI this costs seconds, and the load here is far below what a
# debug build serves), starts nginx with deploy/nginx/httpserver.conf in front of two
# instances (127.0.0.1:8101 and :8102, SO_REUSEPORT, a drain period), and sends GET and
# POST requests through it (deploy/load.py) for $DURATION seconds while each instance is
# replaced in turn, again and again, as a deploy would: a new process binds the same port,
# then the old one gets SIGTERM, drains and exits. Prints what happened to every request;
# exits non-zero if any request failed, an old process did not exit cleanly, or nginx
# retried a request because an instance dropped it.
#
# Also checks that the other configurations in deploy/ are well-formed (systemd units,
# Kubernetes YAML), since nothing here can run them for real.
#
# Uses ports 8100 (nginx), 8101 and 8102; fails at once if any is taken. Needs nginx,
# python3 and cargo; systemd-analyze is used when present. Runs as any user: nginx gets a
# temporary prefix, and every file it writes is under it.
#
#   bash deploy/rolling-restart.sh                  # 30 s of load, drain 4 s
#   DURATION=10 bash deploy/rolling-restart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian installs nginx in /usr/sbin, which an ordinary user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

DURATION=${DURATION:-30}
# Shorter than the default 5 s so that more restarts fit in the run, yet longer than nginx
# keeps an idle upstream connection (keepalive_timeout 3s), as deploy/README.md requires.
DRAIN=${DRAIN:-4}
GRACE=${GRACE:-10}
NGINX_PORT=8100
PORTS=(8101 8102)

say() { printf '==> %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rolling-restart.XXXXXX")
started_pids=()
nginx_pid=
load_pid=
cleanup() {
  local status=$?
  set +e
  [[ -n $load_pid ]] && kill "$load_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill -QUIT "$nginx_pid" 2>/dev/null
  # SIGINT: a graceful shutdown without the drain, so the instances are gone at once.
  for pid in "${started_pids[@]}"; do
    kill -INT "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  if ((status != 0)) && [[ -s $tmp/error.log ]]; then
    # Without the notes about large POST bodies going to temp files, which are expected.
    echo "--- nginx error.log (last 20 lines about upstreams)" >&2
    grep -v 'buffered to a temporary file' "$tmp/error.log" | tail -n 20 >&2
  fi
  if [[ ${KEEP_TMP:-0} == 1 ]]; then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

for tool in nginx python3 cargo curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
for port in "$NGINX_PORT" "${PORTS[@]}"; do
  # Something else on a port would take part in the test: an instance left from an earlier
  # run would even share it, through SO_REUSEPORT.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is in use"
  fi
done

say "building examples/deploy.rs (debug)"
cargo build --quiet --example deploy
bin=target/debug/examples/deploy

say "checking the configurations"
python3 - deploy/kubernetes/deployment.yaml <<'EOF'
import sys
try:
    import yaml
except ImportError:
    raise SystemExit("PyYAML is missing: python3 -m pip install pyyaml")
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = [d["kind"] for d in docs]
assert kinds == ["Deployment", "Service"], kinds
pod = docs[0]["spec"]["template"]["spec"]
c = pod["containers"][0]
env = {e["name"]: e["value"] for e in c["env"]}
pre_stop = int(c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0))
drain, grace = float(env["DRAIN_PERIOD"]), float(env["HTTPSERVER_GRACE_PERIOD"])
need = pre_stop + drain + grace
assert pod["terminationGracePeriodSeconds"] >= need, (pod["terminationGracePeriodSeconds"], need)
assert c["readinessProbe"]["httpGet"]["path"] == "/healthz"
assert c["livenessProbe"]["httpGet"]["path"] == "/livez"
print(f"    kubernetes/deployment.yaml: {' + '.join(kinds)}; terminationGracePeriodSeconds "
      f"{pod['terminationGracePeriodSeconds']} >= preStop {pre_stop} + drain {drain:g} + grace {grace:g}")
EOF
if command -v systemd-analyze >/dev/null; then
  # verify wants ExecStart to exist: check copies that point at the binary just built.
  mkdir -p "$tmp/units"
  for unit in deploy/systemd/httpserver@.service deploy/systemd/httpserver@.socket; do
    sed "s|/usr/local/bin/httpserver-app|$PWD/$bin|" "$unit" >"$tmp/units/${unit##*/}"
  done
  if ! out=$(cd "$tmp/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify \
    --man=no "$tmp/units/httpserver@8101.socket" "$tmp/units/httpserver@8101.service" 2>&1); then
    printf '%s\n' "$out" >&2
    fail "systemd-analyze verify"
  fi
  [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/    /'
  echo "    systemd units: systemd-analyze verify passed"
else
  echo "    systemd-analyze not installed: systemd units not checked"
fi

# nginx as an ordinary program: a private prefix for its pid file, logs and temp files.
mkdir -p "$tmp"/{client_body,proxy,fastcgi,uwsgi,scgi}
sed "s|^\( *\)listen 80;|\1listen 127.0.0.1:$NGINX_PORT;|" deploy/nginx/httpserver.conf >"$tmp/httpserver.conf"
grep -q "listen 127.0.0.1:$NGINX_PORT;" "$tmp/httpserver.conf" || fail "no 'listen 80;' in deploy/nginx/httpserver.conf"
user_line=
# As root, workers would switch to "nobody" and could not write to the temp dirs.
[[ $(id -u) == 0 ]] && user_line="user root;"
cat >"$tmp/nginx.conf" <<EOF
$user_line
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
    # Each request with the upstream attempts nginx made for it ("502, 200" is a retry).
    log_format attempts '\$status \$request_method "\$upstream_addr" "\$upstream_status"';
    access_log $tmp/access.log attempts;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/httpserver.conf;
}
EOF

# One instance on $1, logging to its own file; waits until it listens. Sets $new_pid.
instance_seq=0
start_instance() {
  local port=$1 log
  instance_seq=$((instance_seq + 1))
  log="$tmp/instance-$port-$instance_seq.log"
  PORT=$port HOST=127.0.0.1 REUSE_PORT=1 DRAIN_PERIOD=$DRAIN \
    HTTPSERVER_GRACE_PERIOD=$GRACE HTTPSERVER_ACCESS_LOG=off \
    HTTPSERVER_TRUSTED_PROXIES=127.0.0.1/32 \
    "$bin" >"$log" 2>&1 &
  new_pid=$!
  started_pids+=("$new_pid")
  # It prints "serving on" once bound, right before its first accept.
  for _ in $(seq 100); do
    grep -q "^serving on" "$log" && return 0
    kill -0 "$new_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log" >&2
  fail "instance on port $port did not start"
}

declare -A current
for port in "${PORTS[@]}"; do
  start_instance "$port"
  current[$port]=$new_pid
done

say "starting nginx on 127.0.0.1:$NGINX_PORT ($(nginx -v 2>&1 | sed 's/.*: //'))"
nginx -p "$tmp" -c "$tmp/nginx.conf" -t -q || fail "nginx -t"
nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" 2>/dev/null && break
  sleep 0.05
done
curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" || fail "nginx does not answer"

say "checking what the app believes about the client through nginx"
# A client claiming another address and https, in every header the app reads: nginx must
# replace or remove them all, so the app still sees 127.0.0.1 over http.
seen=$(curl -fsS "http://127.0.0.1:$NGINX_PORT/" \
  -H 'X-Forwarded-For: 203.0.113.9' -H 'X-Forwarded-Proto: https' \
  -H 'Forwarded: for=203.0.113.9;proto=https')
echo "    $seen"
[[ $seen == *'"client":"127.0.0.1"'* && $seen == *'"scheme":"http"'* ]] ||
  fail "forged forwarding headers got through nginx"

say "load for ${DURATION}s through nginx, restarting each instance in turn (drain ${DRAIN}s, grace ${GRACE}s)"
python3 deploy/load.py --port "$NGINX_PORT" --duration "$DURATION" >"$tmp/load.json" &
load_pid=$!
sleep 1 # load on both instances before the first restart

restarts=0
unclean=0
t0=$SECONDS
# Stop in time for the last restart to finish under load (whole seconds: DRAIN may be 3.5).
restart_takes=$((${DRAIN%%.*} + 3))
while ((SECONDS - t0 + restart_takes < DURATION)); do
  for port in "${PORTS[@]}"; do
    old=${current[$port]}
    start_instance "$port"
    current[$port]=$new_pid
    kill -TERM "$old"
    # The old process drains for $DRAIN s, then finishes what is in flight.
    status=0
    wait "$old" || status=$?
    restarts=$((restarts + 1))
    if ((status != 0)); then
      unclean=$((unclean + 1))
      echo "    port $port: old process $old exited with status $status" >&2
    fi
    printf '    %2ds  port %s: %s -> %s\n' $((SECONDS - t0)) "$port" "$old" "$new_pid"
  done
done

load_status=0
wait "$load_pid" || load_status=$?
load_pid=

say "results"
python3 - "$tmp/load.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"    requests: {s['total']} in {s['seconds']}s (GET {s['get']}, POST {s['post']}), "
      f"answered by {s['instances_seen']} processes")
print(f"    failed:   {s['failed']}")
for kind, n in s["failures"].items():
    print(f"      {kind}: {n}")
EOF
echo "    restarts: $restarts (old processes that did not exit cleanly: $unclean)"
# Failures nginx hid from the client by retrying (a GET sent to an instance that dropped
# it), and any it could not hide: both are the server's doing.
retried=$(grep -c ', ' "$tmp/access.log" || true)
upstream_errors=$(grep -c 'upstream' "$tmp/error.log" || true)
echo "    nginx: $(wc -l <"$tmp/access.log") requests logged, $retried retried on the other instance, $upstream_errors upstream errors"
if ((upstream_errors > 0)); then
  # "recv() failed (104: Connection reset by peer) while reading response header from
  # upstream ... POST" and the like, counted by message and method.
  grep 'upstream' "$tmp/error.log" |
    sed -E 's/^[0-9/: ]+\[([a-z]+)\] [0-9#]+: \*[0-9]+ /\1: /; s/, client:.*request: "([A-Z]+) .*/ (\1)/' |
    sort | uniq -c | sort -rn | sed 's/^/      /'
fi

if ((load_status != 0 || unclean != 0 || retried != 0 || upstream_errors != 0)); then
  fail "requests were lost or retried during rolling restarts"
fi
if ((restarts < 4)); then
  fail "only $restarts restarts happened"
fi
say "PASS: no request lost across $restarts restarts"
