#!/usr/bin/env python3
"""Load for deploy/rolling-restart.sh: GET and POST requests through the proxy for a fixed
time, every outcome counted exactly.

Each worker thread holds one keep-alive connection (reopened after the proxy closes it, as
a browser or an HTTP client library would) and sends, at random:
  - GET /            (most), or GET /?delay_ms=N (some: a request still in flight when its
                     instance is told to stop); the JSON answer must name 127.0.0.1 as the
                     client and http as the scheme (the forwarding headers at work);
  - POST /echo       with a random body of 0..64 KiB, which must come back byte for byte.

A request succeeds when it gets a 200 with the expected body. Everything else is a failure,
counted by kind: each other status code, each connection error (by exception type), each
wrong body. Standard library only, so that CI needs nothing installed for it.

Prints a JSON summary on stdout; exit status 0 when nothing failed, 1 otherwise.
"""

import argparse
import collections
import http.client
import json
import os
import random
import threading
import time


def worker(host, port, deadline, seed, tally, lock):
    rng = random.Random(seed)
    local = collections.Counter()
    pids = set()
    conn = None
    while time.monotonic() < deadline:
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=20)
        roll = rng.random()
        if roll < 0.35:
            method = "POST"
            body = os.urandom(rng.choice([0, 1, 100, 4096, 20_000, 65_536]))
            path, headers = "/echo", {"Content-Type": "application/octet-stream"}
        else:
            method, body, headers = "GET", None, {}
            path = "/?delay_ms=%d" % rng.choice([20, 200]) if roll > 0.99 else "/"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.will_close:
                conn.close()
                conn = None
        except Exception as e:  # every kind of failure is counted, by its type
            local[f"{method} error {type(e).__name__}"] += 1
            conn.close()
            conn = None
            continue
        if resp.status != 200:
            local[f"{method} status {resp.status}"] += 1
            continue
        if method == "POST":
            if data != body:
                local["POST wrong body"] += 1
                continue
        else:
            try:
                answer = json.loads(data)
            except ValueError:
                local["GET wrong body"] += 1
                continue
            if answer.get("client") != "127.0.0.1" or answer.get("scheme") != "http":
                local["GET wrong client or scheme"] += 1
                continue
            pids.add(answer.get("pid"))
        local[f"{method} ok"] += 1
    if conn is not None:
        conn.close()
    with lock:
        tally["counts"].update(local)
        tally["pids"].update(pids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()

    tally = {"counts": collections.Counter(), "pids": set()}
    lock = threading.Lock()
    deadline = time.monotonic() + args.duration
    threads = [
        threading.Thread(
            target=worker, args=(args.host, args.port, deadline, seed, tally, lock)
        )
        for seed in range(args.workers)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    counts = tally["counts"]
    by_method = collections.Counter()
    for key, n in counts.items():
        by_method[key.split(" ", 1)[0]] += n
    failures = {k: n for k, n in sorted(counts.items()) if not k.endswith(" ok")}
    summary = {
        "seconds": round(elapsed, 1),
        "total": sum(counts.values()),
        "get": by_method["GET"],
        "post": by_method["POST"],
        "ok": counts["GET ok"] + counts["POST ok"],
        "failed": sum(failures.values()),
        "failures": failures,
        "instances_seen": len(tally["pids"]),
    }
    print(json.dumps(summary))
    return 1 if summary["failed"] or not summary["total"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
