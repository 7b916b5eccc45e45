"""Per-request id and access log: one line per request with method, path, status, duration."""

import re
import time

from loguru import logger
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import new_request_id

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def incoming_request_id(headers: Headers) -> str | None:
    """The caller's request id when it is short and plain, else None (a fresh one is made)."""
    value = headers.get(REQUEST_ID_HEADER)
    return value if value and _SAFE_ID.fullmatch(value) else None


class AccessLogMiddleware:
    """Sets the request id (echoed in `x-request-id`) and logs every request once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id, add the header, log the outcome."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id(incoming_request_id(Headers(scope=scope)))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            # Formatted here: loguru would call str.format on a template with arguments.
            logger.info(f"{scope['method']} {scope['path']} {status} {elapsed_ms:.1f} ms")
