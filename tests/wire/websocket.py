"""A real WebSocket client (Python's `websockets`) against the app of
tests/websocket_python.rs. Usage: websocket.py BASE_URL (ws://host:port). Prints `ok`."""

import asyncio
import sys
import urllib.error
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

BASE = sys.argv[1]
HTTP = BASE.replace("ws://", "http://", 1)
MIB = 1024 * 1024
TIMEOUT = 20


async def text_binary_and_large():
    async with connect(BASE + "/echo", max_size=4 * MIB) as ws:
        await ws.send("héllo")
        assert await ws.recv() == "héllo"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
        big = bytes(range(256)) * (MIB // 256)
        await ws.send(big)
        assert await ws.recv() == big, "1 MiB binary echoed intact"
        text = "ü" * (MIB // 2)
        await ws.send(text)
        assert await ws.recv() == text, "1 MiB of text echoed intact"


async def ping():
    async with connect(BASE + "/echo") as ws:
        pong = await ws.ping(b"are you there")
        latency = await asyncio.wait_for(pong, 5)
        assert latency >= 0


async def oversize_closes_with_1009():
    async with connect(BASE + "/echo", max_size=None) as ws:
        await ws.send("fits")
        assert await ws.recv() == "fits"
        try:
            await ws.send(b"x" * (16 * MIB + 1))
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("an oversized message was accepted")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, f"no close frame: {closed!r}"
            assert closed.rcvd.code == 1009, closed.rcvd


async def client_close_code_is_echoed():
    ws = await connect(BASE + "/echo")
    await ws.close(code=4000, reason="bye")
    assert ws.close_code == 4000, ws.close_code


async def server_close_code():
    async with connect(BASE + "/closer") as ws:
        await ws.send("4321 enough")
        try:
            await asyncio.wait_for(ws.recv(), 5)
            raise AssertionError("expected the server to close")
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 4321, closed.rcvd
            assert closed.rcvd.reason == "enough", closed.rcvd


async def subprotocol():
    async with connect(BASE + "/proto", subprotocols=["v9", "superchat", "chat"]) as ws:
        assert ws.subprotocol == "superchat", ws.subprotocol
        assert await ws.recv() == "superchat"


async def hundred_clients():
    async def one(i):
        async with connect(BASE + "/echo") as ws:
            for j in range(10):
                await ws.send(f"{i}:{j}")
                assert await ws.recv() == f"{i}:{j}"

    await asyncio.gather(*(one(i) for i in range(100)))


def plain_get_is_426():
    try:
        urllib.request.urlopen(HTTP + "/echo", timeout=5)
        raise AssertionError("a plain GET was answered")
    except urllib.error.HTTPError as e:
        assert e.code == 426, e.code
        assert e.headers["Upgrade"] == "websocket", dict(e.headers)


async def shutdown_sends_1001():
    sockets = [await connect(BASE + "/echo") for _ in range(5)]
    for ws in sockets:
        await ws.send("before")
        assert await ws.recv() == "before"
    await asyncio.to_thread(urllib.request.urlopen, HTTP + "/shutdown", None, 5)
    for ws in sockets:
        try:
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("expected Close 1001")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1001, closed


async def main():
    for check in [
        text_binary_and_large,
        ping,
        oversize_closes_with_1009,
        client_close_code_is_echoed,
        server_close_code,
        subprotocol,
        hundred_clients,
    ]:
        await asyncio.wait_for(check(), TIMEOUT)
        print(check.__name__, "passed", flush=True)
    plain_get_is_426()
    print("plain_get_is_426 passed", flush=True)
    # Last: it stops the server.
    await asyncio.wait_for(shutdown_sends_1001(), TIMEOUT)
    print("shutdown_sends_1001 passed")
    print("ok")


asyncio.run(main())
