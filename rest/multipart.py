"""Incremental multipart/form-data parsing over an ASGI receive channel, in constant memory.

Each body message is fed to python-multipart's streaming parser; the parts come out as events
(form fields whole, file contents as the pieces that arrived), so a file is never held whole.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.types import Message, Receive

from rest.errors import ApiError, Code

MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class FormField:
    """A complete text field."""

    name: str
    value: str


@dataclass(frozen=True)
class FileStart:
    """The start of a file part."""

    name: str
    filename: str


@dataclass(frozen=True)
class FileData:
    """The next bytes of the current file part."""

    data: bytes


@dataclass(frozen=True)
class FileEnd:
    """The end of the current file part."""


Event = FormField | FileStart | FileData | FileEnd


class ClientDisconnected(Exception):
    """The client went away before sending the whole body."""


def boundary_of(headers: Headers) -> bytes:
    """The multipart boundary; 415 for another content type, 400 without a boundary."""
    content_type, options = parse_options_header(headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        shown = content_type.decode("latin-1") or "none"
        message = f"unsupported content type {shown!r}, expected multipart/form-data"
        raise ApiError(Code.INVALID_ARGUMENT, message, status=415)
    if not options.get(b"boundary"):
        raise ApiError(Code.INVALID_ARGUMENT, "multipart/form-data without a boundary")
    return options[b"boundary"]


class _Parts:
    """The parser's callbacks: they turn parser calls into events."""

    def __init__(self) -> None:
        self.events: list[Event | bytearray] = []
        self.finished = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._value = bytearray()

    def callbacks(self) -> dict[str, object]:
        """The callback mapping MultipartParser expects."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._grow(self._header_field, d[s:e]),
            "on_header_value": lambda d, s, e: self._grow(self._header_value, d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def drain(self) -> list[Event]:
        """The events since the last drain, file pieces joined per body message."""
        events = [FileData(bytes(e)) if isinstance(e, bytearray) else e for e in self.events]
        self.events.clear()
        return events

    def _part_begin(self) -> None:
        self._disposition, self._value = b"", bytearray()

    def _header_end(self) -> None:
        if bytes(self._header_field).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise ApiError(Code.INVALID_ARGUMENT, "a multipart part has no name")
        self._name = options[b"name"].decode("utf-8", "replace")
        self._is_file = b"filename" in options
        if self._is_file:
            filename = options[b"filename"].decode("utf-8", "replace")
            self.events.append(FileStart(self._name, filename))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file:
            self._grow(self._value, data[start:end], MAX_FIELD_BYTES)
        elif self.events and isinstance(self.events[-1], bytearray):
            self.events[-1] += data[start:end]
        else:
            self.events.append(bytearray(data[start:end]))

    def _part_end(self) -> None:
        if self._is_file:
            self.events.append(FileEnd())
            return
        try:
            self.events.append(FormField(self._name, self._value.decode("utf-8")))
        except UnicodeDecodeError:
            raise ApiError(
                Code.INVALID_ARGUMENT, f"form field {self._name!r} is not UTF-8"
            ) from None

    def _end(self) -> None:
        self.finished = True

    @staticmethod
    def _grow(target: bytearray, data: bytes, limit: int = MAX_HEADER_BYTES) -> None:
        if len(target) + len(data) > limit:
            raise ApiError(
                Code.INVALID_ARGUMENT, f"a multipart header or field exceeds {limit} bytes"
            )
        target += data


async def events(receive: Receive, boundary: bytes) -> AsyncIterator[Event]:
    """Read the body message by message and yield its parts as events."""
    parts = _Parts()
    parser = MultipartParser(boundary, callbacks=parts.callbacks())  # type: ignore[arg-type]
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        try:
            parser.write(message.get("body", b""))
        except MultipartParseError as error:
            raise ApiError(Code.INVALID_ARGUMENT, f"malformed multipart body: {error}") from None
        for event in parts.drain():
            yield event
        more = message.get("more_body", False)
    if not parts.finished:
        raise ApiError(Code.INVALID_ARGUMENT, "the multipart body ends before its final boundary")


class Body:
    """An ASGI receive channel that remembers whether the body has been read to its end."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.complete = False

    async def __call__(self) -> Message:
        """Receive the next message."""
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.complete = True
        return message

    async def drain(self) -> None:
        """Read and drop the rest of the body, so the client gets to read the response."""
        while not self.complete:
            await self()
