"""Logging: loguru configured once, with a request id carried in a context variable."""

import itertools
import os
import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

request_id: ContextVar[str] = ContextVar("request_id", default="-")
# Fresh ids: this process's random prefix and a counter (unique without a random draw each).
_ID_PREFIX = os.urandom(4).hex()
_ID_COUNTER = itertools.count()

FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> <level>{level: <7}</level> "
    "<cyan>{extra[request_id]}</cyan> {message}"
)


def _add_request_id(record: "Record") -> None:
    record["extra"].setdefault("request_id", request_id.get())


def configure(level: str = "INFO", json_lines: bool = False) -> None:
    """Send logs to stderr, as JSON lines when asked; every record gets the request id."""
    logger.remove()
    logger.configure(patcher=_add_request_id)
    logger.add(
        sys.stderr,
        level=level,
        serialize=json_lines,
        format=FORMAT,
        diagnose=False,
        backtrace=False,
    )


def new_request_id(incoming: str | None = None) -> str:
    """Set (and return) the request id of the current task: the caller's, or a fresh one."""
    if incoming and len(incoming) <= 64:
        value = incoming
    else:
        value = f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFFFFFF:08x}"
    request_id.set(value)
    return value
