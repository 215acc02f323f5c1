"""Memory per open WebSocket or HTTP/2 connection: opens N of them to a server, each used
once and then left open, and samples the server's resident set (VmRSS) before and after.

    python3 open.py ws PORT PID N     # N WebSockets to /ws, one 32-byte echo on each
    python3 open.py h2 PORT PID N     # N h2c connections, one GET /hello on each

Prints: kind=.. n=.. before_kib=.. after_kib=.. per_conn_kib=..
Needs Python's `websockets` and `h2` (pip install websockets h2)."""

import asyncio
import sys

SETTLE = 1.5  # seconds for the server to finish with the requests before a sample


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_ws(port):
    import websockets

    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None, ping_interval=None)
    await ws.send(b"x" * 32)
    echo = await ws.recv()
    if len(echo) != 32:
        raise RuntimeError(f"echo of {len(echo)} bytes")
    return ws


async def close_ws(ws):
    await ws.close()


class H2Client:
    """One h2c connection (prior knowledge) that answers the server's frames while open."""

    def __init__(self, reader, writer, port):
        import h2.config
        import h2.connection

        self.reader, self.writer, self.port = reader, writer, port
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.done = asyncio.Event()
        self.pump = None

    async def get_once(self, path):
        import h2.events

        self.conn.initiate_connection()
        headers = [(":method", "GET"), (":path", path), (":scheme", "http"),
                   (":authority", f"127.0.0.1:{self.port}")]
        self.conn.send_headers(1, headers, end_stream=True)
        self.writer.write(self.conn.data_to_send())
        await self.writer.drain()
        while not self.done.is_set():
            data = await self.reader.read(65536)
            if not data:
                raise RuntimeError("closed before the response ended")
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(event.flow_controlled_length, 1)
                if isinstance(event, h2.events.StreamEnded):
                    self.done.set()
            self.writer.write(self.conn.data_to_send())
        self.pump = asyncio.ensure_future(self.answer_frames())

    async def answer_frames(self):
        while True:
            data = await self.reader.read(65536)
            if not data:
                return
            self.conn.receive_data(data)
            self.writer.write(self.conn.data_to_send())

    async def close(self):
        if self.pump:
            self.pump.cancel()
        self.writer.close()


async def open_h2(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client = H2Client(reader, writer, port)
    await client.get_once("/hello")
    return client


async def main():
    kind, port, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    opener = {"ws": open_ws, "h2": open_h2}[kind]
    # Warm the server up on a connection that then closes.
    warm = await opener(port)
    await (close_ws(warm) if kind == "ws" else warm.close())
    await asyncio.sleep(SETTLE)
    before = rss_kib(pid)
    conns = []
    for start in range(0, n, 50):
        conns += await asyncio.gather(*(opener(port) for _ in range(start, min(n, start + 50))))
    await asyncio.sleep(SETTLE)
    after = rss_kib(pid)
    print(f"kind={kind} n={n} before_kib={before} after_kib={after} "
          f"per_conn_kib={(after - before) / n:.1f}")
    for conn in conns:
        await (close_ws(conn) if kind == "ws" else conn.close())


asyncio.run(main())
