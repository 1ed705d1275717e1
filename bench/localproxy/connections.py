#!/usr/bin/env python3
"""bench/localproxy helpers for the loaded-memory figure (stdlib only, loopback only).

  connections.py ws-echo <port>
      A WebSocket echo server (RFC 6455 handshake, echoes text/binary frames, answers close), standing in for a dev
      server's HMR socket. Plain HTTP requests get a small page.
  connections.py hold <proxy-port> <http-port> <ws-port> <http-count> <ws-count>
      Opens <http-count> keep-alive HTTP/1.1 connections and <ws-count> WebSockets through the proxy (Host
      <port>.localhost), checks one response / one echo on each, prints "open <http> <ws>" and keeps them all open until
      stdin closes; then checks every WebSocket still echoes and prints "closed <http> <ws>".
"""
import asyncio
import base64
import hashlib
import os
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


async def read_frame(reader):
    head = await reader.readexactly(2)
    opcode, masked, length = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4) if masked else b""
    data = await reader.readexactly(length)
    if masked:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return opcode, data


def frame(opcode, data, masked):
    if len(data) >= 126:
        raise ValueError("frames over 125 bytes are not needed here")
    if not masked:
        return bytes([0x80 | opcode, len(data)]) + data
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def serve_client(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        key = next((line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                    if line.lower().startswith(b"sec-websocket-key:")), None)
        if key is None:
            body = b"<!doctype html><p>ws echo</p>"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            return
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        await writer.drain()
        while True:
            opcode, data = await read_frame(reader)
            if opcode == 8:
                writer.write(frame(8, b"", masked=False))
                await writer.drain()
                return
            writer.write(frame(opcode, data, masked=False))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def ws_echo(port):
    server = await asyncio.start_server(serve_client, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


async def open_http(proxy, port):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy)
    writer.write(b"GET / HTTP/1.1\r\nHost: %d.localhost\r\n\r\n" % port)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("HTTP through the proxy answered " + head.split(b"\r\n", 1)[0].decode())
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return reader, writer


async def open_ws(proxy, port, i):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy)
    key = base64.b64encode(os.urandom(16))
    writer.write(b"GET /hmr HTTP/1.1\r\nHost: %d.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n" % (port, key))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError("WebSocket upgrade through the proxy answered " + head.split(b"\r\n", 1)[0].decode())
    await echo(reader, writer, b"hello %d" % i)
    return reader, writer


async def echo(reader, writer, text):
    writer.write(frame(1, text, masked=True))
    await writer.drain()
    opcode, data = await read_frame(reader)
    if opcode != 1 or data != text:
        raise RuntimeError("WebSocket echo through the proxy returned %r" % data)


async def hold(proxy, http_port, ws_port, http_count, ws_count):
    http = await asyncio.gather(*(open_http(proxy, http_port) for _ in range(http_count)))
    ws = await asyncio.gather(*(open_ws(proxy, ws_port, i) for i in range(ws_count)))
    print("open %d %d" % (len(http), len(ws)), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await asyncio.gather(*(echo(r, w, b"still there %d" % i) for i, (r, w) in enumerate(ws)))
    for _, writer in http + ws:
        writer.close()
    print("closed %d %d" % (len(http), len(ws)), flush=True)


def main(argv):
    if len(argv) == 3 and argv[1] == "ws-echo":
        asyncio.run(ws_echo(int(argv[2])))
    elif len(argv) == 7 and argv[1] == "hold":
        asyncio.run(hold(*(int(a) for a in argv[2:])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
