"""The proxy's one gRPC channel, opened in the app lifespan, and the calls made over it."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import message
from loguru import logger

from rest.errors import ApiError, from_rpc_error
from rest.settings import RestSettings

Metadata = tuple[tuple[str, str], ...]


def channel_options(settings: RestSettings) -> list[tuple[str, int]]:
    """Message size limits, and short connect and reconnect times so a down server fails fast."""
    connect_ms = int(settings.connect_timeout_seconds * 1000)
    return [
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.min_reconnect_backoff_ms", connect_ms),
        ("grpc.initial_reconnect_backoff_ms", min(connect_ms, 1000)),
        ("grpc.max_reconnect_backoff_ms", max(connect_ms, 5000)),
    ]


def _serialized(request: message.Message | bytes) -> bytes:
    """A request's wire bytes."""
    return request if isinstance(request, bytes) else request.SerializeToString()


class GrpcGateway:
    """Owns the channel; unary and client-streaming calls that raise `ApiError` on failure."""

    def __init__(self, settings: RestSettings) -> None:
        self.settings = settings
        self._channel: grpc.aio.Channel | None = None
        self._unary: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        """Open the channel for the app's lifetime (a Connexion/Starlette lifespan)."""
        target = self.settings.grpc_target
        self._channel = grpc.aio.insecure_channel(target, options=channel_options(self.settings))
        logger.info("REST proxy started; gRPC target {}", target)
        try:
            yield
        finally:
            await self._channel.close(grace=None)
            self._channel = None
            self._unary.clear()
            logger.info("REST proxy stopped")

    @property
    def channel(self) -> grpc.aio.Channel:
        """The open channel; UNAVAILABLE outside the lifespan."""
        if self._channel is None:
            raise ApiError(grpc.StatusCode.UNAVAILABLE, "the gRPC channel is not open")
        return self._channel

    async def unary(
        self, path: str, request: message.Message | bytes, response_type: Any, metadata: Metadata
    ) -> message.Message | bytes:
        """Call a unary RPC without waiting for a server that is not ready.

        The request may come serialized already (see `Transcoder.request`). With
        `response_type` None, the response is returned as its wire bytes. A path is always
        called with the same `response_type`.
        """
        call = self._unary.get(path)
        if call is None:
            call = self._unary[path] = self.channel.unary_unary(
                path,
                request_serializer=_serialized,
                response_deserializer=None if response_type is None else response_type.FromString,
            )
        try:
            response: message.Message | bytes = await call(
                request,
                metadata=metadata,
                timeout=self.settings.grpc_timeout_seconds,
                wait_for_ready=False,
            )
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        return response

    def stream_unary(
        self, path: str, request_type: Any, response_type: Any, metadata: Metadata
    ) -> grpc.aio.StreamUnaryCall:
        """Start a client-streaming call; the caller writes the messages."""
        call = self.channel.stream_unary(
            path,
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        return call(
            None,
            metadata=metadata,
            timeout=self.settings.upload_timeout_seconds,
            wait_for_ready=False,
        )
