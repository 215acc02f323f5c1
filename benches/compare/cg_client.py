"""The fixed-count client of callgrind.sh: one keep-alive connection, one request at a time
(the bytes wrk and echo.lua send), 500 warm-up requests, then the callgrind counters are
zeroed, N requests sent, and the counters dumped.

    python3 cg_client.py PORT N PATH VALGRIND_PID
"""
import socket
import subprocess
import sys

port, n, path, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = socket.create_connection(("127.0.0.1", port))
if path == "/echo":
    body = b'{"a":1,"b":[1,2,3],"c":"hello"}'
    request = (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
else:
    request = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n"


def one():
    conn.sendall(request)
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            raise SystemExit("the server closed the connection")
        buf += chunk
        if b"\r\n\r\n" in buf:
            head, _, rest = buf.partition(b"\r\n\r\n")
            length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")][0]
            if len(rest) >= length:
                return


for _ in range(500):
    one()
subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=False)
for _ in range(n):
    one()
subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=False)
