"""A lean HTTP/1.1 keep-alive client for the load runs: one prepared request, sent again and again.

The load client's own cost is part of every figure it measures. httpx's pooled AsyncClient
spends several milliseconds of CPU per request at 16 connections (more than our proxy and
server together), so REST figures measured with it mostly measured httpx. Like `wrk`, this
client writes the request's bytes, prepared once, and reads the status line, the headers and a
`Content-Length` body, on one connection per concurrent worker. gRPC is driven the same way
(pre-serialized bytes through grpc.aio), so both protocols pay a minimal client.
"""

import asyncio
from urllib.parse import urlsplit

HEADER_END = b"\r\n\r\n"
CONTENT_LENGTH = b"\r\ncontent-length:"


class HttpError(RuntimeError):
    """A response other than 200, or one this client cannot read."""


def prepared_post(base_url: str, path: str, body: bytes) -> tuple[str, int, bytes]:
    """Host, port and the bytes of a keep-alive JSON POST of `body` to `path`."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nAccept-Encoding: identity\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return host, port, head.encode("latin-1") + body


class KeepAlivePool:
    """Connections to one server; each call takes an idle one (or opens one) and returns it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def send(self, request: bytes) -> bytes:
        """Send `request` and return the body of its 200 response."""
        connection = self._idle.pop() if self._idle else await self._open()
        reader, writer = connection
        writer.write(request)
        head = await reader.readuntil(HEADER_END)
        body = await reader.readexactly(_content_length(head))
        self._idle.append(connection)  # only a fully read connection is reused
        if head[9:12] != b"200":
            raise HttpError(f"HTTP {head[9:12].decode()}: {body[:300]!r}")
        return body

    async def close(self) -> None:
        """Close every idle connection."""
        for _reader, writer in self._idle:
            writer.close()
        self._idle = []

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, limit=2**26)


def _content_length(head: bytes) -> int:
    start = head.lower().find(CONTENT_LENGTH)
    if start < 0:
        raise HttpError(f"no Content-Length in the response: {head[:300]!r}")
    start += len(CONTENT_LENGTH)
    return int(head[start : head.index(b"\r\n", start)])
