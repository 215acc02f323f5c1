"""HTTP/2 twins of the hostile requests of tests/hostile.rs, sent frame by frame with
Python's h2 (its own checks of what it sends turned off, so that malformed requests go
out as written), against the app of tests/hostile_h2.rs.

Usage: hostile_h2.py PORT [tls]. Prints one JSON object per case:
{"name", "rule", "want", "got", "ok"}; after each case the connection (when the server
kept it) and a fresh one must still answer GET /ping.
"""

import json
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.errors
import h2.events

PORT = int(sys.argv[1])
TLS = len(sys.argv) > 2 and sys.argv[2] == "tls"
LIMIT = 1024  # the app's max_body_size
TIMEOUT = 5


def connect():
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    if TLS:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
        assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
    config = h2.config.H2Configuration(
        client_side=True,
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
        validate_inbound_headers=False,
    )
    conn = h2.connection.H2Connection(config=config)
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def request(method="GET", path="/ping", authority="t", extra=()):
    headers = [(":method", method), (":scheme", "https" if TLS else "http"), (":path", path)]
    if authority is not None:
        headers.append((":authority", authority))
    return headers + list(extra)


class Outcome:
    """What one stream got: its final status (and body), 1xx statuses, a reset, or the
    connection's end."""

    def __init__(self):
        self.status = None
        self.informational = []
        self.body = b""
        self.reset = None
        self.goaway = None
        self.closed = False
        self.ended = False

    def done(self):
        return self.ended or self.reset or self.goaway or self.closed

    def text(self):
        info = "".join(f"{s} then " for s in self.informational)
        # A complete answer may be followed by RST_STREAM NO_ERROR: the server does not
        # want the rest of the request body (RFC 9113 8.1).
        if self.status is not None and (self.ended or self.reset == "NO_ERROR"):
            return f"{info}{self.status}"
        if self.reset:
            return "reset " + self.reset
        if self.goaway:
            return "goaway " + self.goaway
        if self.status is None:
            return "closed" if self.closed else "no answer"
        return f"{info}{self.status} (unfinished)"


def code_name(code):
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return str(code)


def exchange(sock, conn, stream_id, headers, data=None, end_with_data=True):
    """Sends HEADERS (and DATA), then reads until the stream ends, is reset, or the
    connection ends."""
    conn.send_headers(stream_id, headers, end_stream=data is None)
    if data is not None:
        # Within the peer's window: the cases send at most a few KiB.
        conn.send_data(stream_id, data, end_stream=end_with_data)
    sock.sendall(conn.data_to_send())
    return read_answer(sock, conn, stream_id)


def read_answer(sock, conn, stream_id, until_final=False):
    """Reads what the server sends for `stream_id` until the stream ends, is reset, or the
    connection ends; with `until_final`, only until the final status has arrived (for a
    stream whose request body never comes)."""
    outcome = Outcome()
    while not outcome.done():
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            break
        except (ConnectionResetError, ssl.SSLError, OSError):
            outcome.closed = True
            break
        if not chunk:
            outcome.closed = True
            break
        for event in conn.receive_data(chunk):
            if isinstance(event, h2.events.InformationalResponseReceived):
                outcome.informational.append(int(dict(event.headers)[b":status"]))
            elif isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                outcome.status = int(dict(event.headers)[b":status"])
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if event.stream_id == stream_id:
                    outcome.body += event.data
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                outcome.ended = True
            elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
                outcome.reset = code_name(event.error_code)
            elif isinstance(event, h2.events.ConnectionTerminated):
                outcome.goaway = code_name(event.error_code)
        pending = conn.data_to_send()
        if pending:
            sock.sendall(pending)
        if until_final and outcome.status is not None and outcome.status >= 200:
            break
    return outcome


def ping_answers(sock=None, conn=None, stream_id=None):
    """Whether GET /ping gets "pong": on this connection, or on a fresh one."""
    if sock is None:
        sock, conn = connect()
        stream_id = 1
    try:
        outcome = exchange(sock, conn, stream_id, request())
        return outcome.status == 200 and outcome.body == b"pong"
    finally:
        if stream_id == 1:
            sock.close()


PROTOCOL_ERROR = "reset PROTOCOL_ERROR"
# h2 refuses some malformed header blocks as a connection error (GOAWAY): HPACK has
# decoded them into the shared table, and h2 ends the connection rather than go on.
CONNECTION_PROTOCOL_ERROR = "goaway PROTOCOL_ERROR"

# name, headers, data (None: no DATA; bytes: one DATA frame ending the stream; a tuple
# (bytes, False): DATA without END_STREAM), the outcomes the rule allows, the rule.
CASES = [
    ("well-formed GET", request(), None, ["200"], "baseline"),
    ("Host instead of :authority", request(authority=None, extra=[("host", "t")]), None,
     ["200"], "9113 8.3.1: Host when :authority is absent"),
    ("neither :authority nor Host", request(authority=None), None,
     ["400"], "9110 7.2: the target's host is required"),
    (":authority and Host disagree", request(extra=[("host", "other")]), None,
     ["400", PROTOCOL_ERROR], "9113 8.3.1: SHOULD treat as malformed"),
    (":authority with a space", request(authority="a b"), None,
     ["400", PROTOCOL_ERROR], "9113 8.3.1, 3986 3.2"),
    ("connection: keep-alive", request(extra=[("connection", "keep-alive")]), None,
     [PROTOCOL_ERROR], "9113 8.2.2: connection-specific"),
    ("transfer-encoding: chunked", request("POST", "/echo", extra=[("transfer-encoding", "chunked")]),
     b"hello", [PROTOCOL_ERROR], "9113 8.2.2"),
    ("upgrade: websocket", request(extra=[("upgrade", "websocket")]), None,
     [PROTOCOL_ERROR], "9113 8.2.2"),
    ("keep-alive header", request(extra=[("keep-alive", "timeout=5")]), None,
     [PROTOCOL_ERROR], "9113 8.2.2"),
    ("proxy-connection header", request(extra=[("proxy-connection", "keep-alive")]), None,
     [PROTOCOL_ERROR], "9113 8.2.2"),
    ("te: gzip", request(extra=[("te", "gzip")]), None,
     [PROTOCOL_ERROR], "9113 8.2.2: te only trailers"),
    ("te: trailers", request(extra=[("te", "trailers")]), None, ["200"], "9113 8.2.2"),
    ("upper-case header name", request(extra=[("X-Upper", "v")]), None,
     [PROTOCOL_ERROR, CONNECTION_PROTOCOL_ERROR], "9113 8.2.1"),
    ("missing :method", [h for h in request() if h[0] != ":method"], None,
     [PROTOCOL_ERROR], "9113 8.3.1"),
    ("missing :path", [h for h in request() if h[0] != ":path"], None,
     [PROTOCOL_ERROR], "9113 8.3.1"),
    ("empty :path", request(path=""), None, [PROTOCOL_ERROR], "9113 8.3.1"),
    (":path without a slash", request(path="ping"), None,
     ["400", PROTOCOL_ERROR], "9113 8.3.1: origin-form"),
    ("unknown pseudo-header", request(extra=[(":foo", "bar")]), None,
     [PROTOCOL_ERROR, CONNECTION_PROTOCOL_ERROR], "9113 8.3"),
    ("pseudo-header after a field", request(authority=None, extra=[("x-a", "b"), (":authority", "t")]),
     None, [PROTOCOL_ERROR], "9113 8.3"),
    ("two :path", request(extra=[(":path", "/ping")]), None, [PROTOCOL_ERROR], "9113 8.3.1"),
    (":status in a request", request(extra=[(":status", "200")]), None,
     [PROTOCOL_ERROR], "9113 8.3.2"),
    ("header list over max_head_size", request(extra=[("x-long", "a" * (80 * 1024))]), None,
     ["431", PROTOCOL_ERROR, "reset REFUSED_STREAM", "goaway COMPRESSION_ERROR", "goaway ENHANCE_YOUR_CALM", "closed"],
     "9113 10.5.1, 6585 5"),
    ("unknown method", request("FOO"), None, ["501"], "9110 9.1"),
    ("bad percent-encoding", request(path="/users/%zz"), None, ["400"], "9112 3.2 (as HTTP/1.1)"),
    ("content-length over the limit", request("POST", "/echo", extra=[("content-length", "5000")]),
     (b"x" * 100, False), ["413"], "9110 15.5.14: refused before the body"),
    ("one empty DATA frame ends the body", request("POST", "/echo"), b"", ["200"], "9113 6.1"),
    ("DATA over the limit, no length", request("POST", "/echo"), b"x" * (LIMIT + 1),
     ["413"], "9110 15.5.14"),
    ("DATA longer than content-length", request("POST", "/echo", extra=[("content-length", "5")]),
     b"0123456789", [PROTOCOL_ERROR], "9113 8.1.1"),
    ("DATA shorter than content-length", request("POST", "/echo", extra=[("content-length", "10")]),
     b"01234", [PROTOCOL_ERROR], "9113 8.1.1"),
    ("expect 100-continue, no route",
     request("POST", "/nowhere", extra=[("content-length", "10"), ("expect", "100-continue")]),
     None, ["404"], "9110 10.1.1: final answer, no 100"),
    ("expect 100-continue, refused by a hook",
     request("POST", "/private", extra=[("content-length", "10"), ("expect", "100-continue")]),
     None, ["401"], "9110 10.1.1"),
    ("expect 100-continue, over the limit",
     request("POST", "/echo", extra=[("content-length", "5000"), ("expect", "100-continue")]),
     None, ["413"], "9110 10.1.1"),
    ("expect 100-continue, body sent at once",
     request("POST", "/echo", extra=[("content-length", "5"), ("expect", "100-continue")]),
     b"hello", ["200", "100 then 200"], "9110 10.1.1: the client need not wait"),
]


def main():
    results = []
    for name, headers, data, want, rule in CASES:
        sock, conn = connect()
        try:
            body_data, end = (data, True) if not isinstance(data, tuple) else data
            if name.startswith("expect") and data is None:
                # Headers only, the stream left open: a server that answered 100 would
                # wait for the body; the final answer must come without it.
                conn.send_headers(1, headers, end_stream=False)
                sock.sendall(conn.data_to_send())
                outcome = read_answer(sock, conn, 1, until_final=True)
            else:
                outcome = exchange(sock, conn, 1, headers, body_data, end)
            got = outcome.text()
            ok = got in want
            if ok and not outcome.goaway and not outcome.closed:
                ok = ping_answers(sock, conn, 3)
                if not ok:
                    got += "; the connection did not serve on"
        finally:
            sock.close()
        if not ping_answers():
            ok = False
            got += "; a fresh connection was not served"
        results.append({"name": name, "rule": rule, "want": want, "got": got, "ok": ok})
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
