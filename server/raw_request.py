"""The bytes a unary request arrived in, for handlers that read them directly.

The error interceptor (`server.interceptors`) parses every request itself; it keeps the bytes
of the call it is serving here (a context variable: each call runs in its own task), so a
handler can read a large request's rows from them instead of serializing the message again.
"""

from contextvars import ContextVar

_RAW_REQUEST: ContextVar[bytes | None] = ContextVar("raw_request", default=None)


def keep_raw_request(raw: bytes) -> None:
    """Remember the bytes of the request the current task serves."""
    _RAW_REQUEST.set(raw)


def current_raw_request() -> bytes | None:
    """The bytes of the request the current task serves, if they were kept."""
    return _RAW_REQUEST.get()
