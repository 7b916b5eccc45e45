"""Multipart uploads streamed chunk by chunk into their client-streaming RPCs.

The form's text fields must come before the file part: they fill the metadata message, which
is the stream's first message. A field after the file part is rejected with 400 (when the file
is larger than one chunk, the call has started by then and is cancelled). The file is never
held whole in memory: at most one chunk plus one body message are buffered.
"""

import asyncio
from collections.abc import Mapping

import grpc
from connexion.middleware.abstract import ROUTING_CONTEXT
from google.protobuf import message
from google.protobuf.message_factory import GetMessageClass
from loguru import logger
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from rest import multipart
from rest.endpoints import UploadEndpoint, grpc_path
from rest.errors import ApiError, Code, bad_request, from_rpc_error
from rest.fields import nest
from rest.grpc_client import GrpcGateway, Metadata
from rest.handlers import json_response
from rest.metadata import outgoing_metadata
from rest.transcode import parse, to_json

MAX_FIELDS = 100


class UploadStream:
    """One upload in flight: the form fields, then the file fed to the call in chunks.

    The call starts with the first full chunk (or at the end, for a file smaller than one
    chunk), so a small upload with a misplaced field never reaches the server.
    """

    def __init__(self, handler: "UploadHandler", metadata: Metadata) -> None:
        self.handler = handler
        self.metadata = metadata
        self.fields: list[tuple[str, str]] = []
        self.file_seen = False
        self.call: grpc.aio.StreamUnaryCall | None = None
        self.buffer = bytearray()

    async def feed(self, event: multipart.Event) -> None:
        """Take the next multipart event."""
        if isinstance(event, multipart.FormField):
            if self.file_seen:
                message = "form fields must come before the file part"
                raise bad_request(message, event.name, "sent after the file part")
            if len(self.fields) >= MAX_FIELDS:
                raise bad_request(f"more than {MAX_FIELDS} form fields", event.name, "too many")
            self.fields.append((event.name, event.value))
        elif isinstance(event, multipart.FileStart):
            file_part = self.handler.endpoint.rule.file_part
            if event.name != file_part or self.file_seen:
                message = f"unexpected file part {event.name!r}"
                raise bad_request(message, event.name, f"expected one {file_part!r} part")
            self.file_seen = True
        elif isinstance(event, multipart.FileData):
            self.buffer += event.data
            while len(self.buffer) >= self.handler.chunk_bytes:
                await self._send_chunk()

    async def finish(self) -> message.Message:
        """Send what is left, half-close the stream and return the RPC's response."""
        if not self.file_seen:
            file_part = self.handler.endpoint.rule.file_part
            raise bad_request(f"the {file_part!r} file part is missing", file_part, "required")
        while self.buffer:
            await self._send_chunk()
        call = await self._call()
        await call.done_writing()
        response: message.Message = await call
        return response

    def cancel(self) -> None:
        """Cancel the call, if it started."""
        if self.call is not None:
            self.call.cancel()

    async def _call(self) -> grpc.aio.StreamUnaryCall:
        if self.call is None:
            first = self.handler.first_message(self.fields)
            self.call = self.handler.open_call(self.metadata)
            await self._write(self.call, first)
        return self.call

    async def _send_chunk(self) -> None:
        chunk = bytes(self.buffer[: self.handler.chunk_bytes])
        del self.buffer[: self.handler.chunk_bytes]
        await self._write(await self._call(), self.handler.chunk_message(chunk))

    @staticmethod
    async def _write(call: grpc.aio.StreamUnaryCall, request: message.Message) -> None:
        try:
            await call.write(request)
        except (asyncio.InvalidStateError, grpc.aio.AioRpcError):
            # The server ended the call early. A failed write reports a generic INTERNAL
            # error, so take the outcome from the call itself: it raises the server's status.
            await call
            raise ApiError(Code.INTERNAL, "the server ended the upload early") from None


class UploadHandler:
    """Serves one upload operation as a raw ASGI app."""

    def __init__(self, endpoint: UploadEndpoint, gateway: GrpcGateway, chunk_bytes: int) -> None:
        self.endpoint = endpoint
        self.gateway = gateway
        self.chunk_bytes = chunk_bytes
        self.request_type = GetMessageClass(endpoint.method.input_type)
        metadata_field = endpoint.method.input_type.fields_by_name[endpoint.rule.metadata_field]
        assert metadata_field.message_type is not None, "the metadata field must be a message"
        self.metadata_descriptor = metadata_field.message_type
        self.metadata_type = GetMessageClass(self.metadata_descriptor)
        self.response_type = GetMessageClass(endpoint.method.output_type)

    def first_message(self, fields: list[tuple[str, str]]) -> message.Message:
        """The stream's first message, its metadata parsed from the form fields."""
        data = nest(fields, self.metadata_descriptor)
        metadata = parse(data, self.metadata_type)
        return self.request_type(**{self.endpoint.rule.metadata_field: metadata})

    def chunk_message(self, chunk: bytes) -> message.Message:
        """A stream message carrying one chunk of the file."""
        return self.request_type(**{self.endpoint.rule.chunk_field: chunk})

    def open_call(self, metadata: Metadata) -> grpc.aio.StreamUnaryCall:
        """Start the client-streaming call."""
        path = grpc_path(self.endpoint.method)
        return self.gateway.stream_unary(path, self.request_type, self.response_type, metadata)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the upload, answer with the RPC's response as JSON."""
        headers = Headers(scope=scope)
        stream = UploadStream(self, outgoing_metadata(headers))
        body = multipart.Body(receive)
        try:
            response = await self._run(stream, multipart.boundary_of(headers), body)
        except multipart.ClientDisconnected:
            stream.cancel()
            raise ApiError(Code.CANCELLED, "the client disconnected during the upload") from None
        except Exception:
            stream.cancel()
            await body.drain()
            raise
        await json_response(to_json(response))(scope, receive, send)

    async def _run(
        self, stream: UploadStream, boundary: bytes, receive: Receive
    ) -> message.Message:
        try:
            async for event in multipart.events(receive, boundary):
                await stream.feed(event)
            return await stream.finish()
        except grpc.aio.AioRpcError as error:
            logger.info("upload failed: {} {}", error.code().name, error.details())
            raise from_rpc_error(error) from None


class UploadMiddleware:
    """Serves upload operations between Connexion's routing and its validation.

    Connexion's validation would read the whole form; every other request passes through.
    """

    def __init__(self, app: ASGIApp, uploads: Mapping[str, UploadHandler]) -> None:
        self.app = app
        self.uploads = dict(uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch on the routed operation id."""
        routing = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
        handler = self.uploads.get(routing.get("operation_id") or "")
        if scope["type"] == "http" and handler is not None:
            await handler(scope, receive, send)
        else:
            await self.app(scope, receive, send)
