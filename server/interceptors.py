"""The one place where errors become gRPC statuses, and where each call gets its request id."""

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, cast

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from loguru import logger

from server.errors import InvalidArgument, ServiceError
from server.logs import new_request_id

Behavior = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
Deserializer = Callable[[bytes], Any] | None
Serializer = Callable[[Any], bytes] | None
UNPARSABLE = "the request message cannot be parsed (malformed, or nested too deeply)"


def to_rpc_status(error: ServiceError) -> grpc.Status:
    """Build the rich status (with `google.rpc.BadRequest` details) for a domain error."""
    status = status_pb2.Status(code=error.code.value[0], message=str(error))
    if error.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad_request)
        status.details.append(detail)
    return rpc_status.to_status(status)


def _metadata_value(details: grpc.HandlerCallDetails, key: str) -> str | None:
    for item_key, value in details.invocation_metadata or ():
        if item_key == key:
            return str(value)
    return None


def _guard(behavior: Behavior, method: str, incoming_id: str | None) -> Behavior:
    """Wrap a unary-response behaviour so domain errors map to statuses and bugs to INTERNAL."""

    async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
        rid = new_request_id(incoming_id)
        try:
            return await behavior(request, context)
        except ServiceError as error:
            log = logger.warning if error.code == grpc.StatusCode.UNAVAILABLE else logger.info
            log("{} -> {}: {}", method, error.code.name, error)
            status = to_rpc_status(error)
            await context.abort(status.code, status.details, status.trailing_metadata)
        except Exception as error:
            if isinstance(error, grpc.aio.AbortError) or context.code() is not None:
                raise
            logger.exception("{} failed unexpectedly", method)
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error (request id {rid})")

    return guarded


def _parse(deserializer: Deserializer, raw: bytes) -> Any:
    """The request message; INVALID_ARGUMENT (not grpc's UNKNOWN) when it does not parse."""
    if deserializer is None:
        return raw
    try:
        return deserializer(raw)
    except DecodeError as error:
        raise InvalidArgument(UNPARSABLE) from error


def _parsing(behavior: Behavior, deserializer: Deserializer) -> Behavior:
    """Deserialize a unary request inside the guard."""

    async def parsed(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
        return await behavior(_parse(deserializer, raw), context)

    return parsed


def _sending_bytes_as_they_are(serializer: Serializer) -> Serializer:
    """The response serializer, except that a behaviour may return its answer as bytes."""
    if serializer is None:
        return None
    serialize = serializer

    def serialized(response: Any) -> bytes:
        return response if isinstance(response, bytes) else serialize(response)

    return serialized


def _parsing_stream(behavior: Behavior, deserializer: Deserializer) -> Behavior:
    """Deserialize each message of a request stream inside the guard."""

    async def parsed(raw: AsyncIterable[bytes], context: grpc.aio.ServicerContext) -> Any:
        async def messages() -> AsyncIterator[Any]:
            async for item in raw:
                yield _parse(deserializer, item)

        return await behavior(messages(), context)

    return parsed


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Maps `ServiceError`s to their status codes and unexpected errors to INTERNAL.

    `request_parsers` replace the generated deserializers of some methods (by full method
    path): a servicer may read its requests its own way. A unary behaviour may return its
    response already serialized (bytes).
    """

    def __init__(self, request_parsers: Mapping[str, Callable[[bytes], Any]] | None = None):
        self._parsers = dict(request_parsers or {})

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        """Return the method's handler with its unary-response behaviour guarded."""
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        incoming_id = _metadata_value(handler_call_details, "x-request-id")
        # Requests are deserialized inside the guard: grpc itself answers UNKNOWN otherwise.
        deserializer = self._parsers.get(method, handler.request_deserializer)
        if handler.unary_unary is not None:
            behavior = _parsing(cast(Behavior, handler.unary_unary), deserializer)
            return grpc.unary_unary_rpc_method_handler(
                _guard(behavior, method, incoming_id),
                response_serializer=_sending_bytes_as_they_are(handler.response_serializer),
            )
        if handler.stream_unary is not None:
            behavior = _parsing_stream(cast(Behavior, handler.stream_unary), deserializer)
            return grpc.stream_unary_rpc_method_handler(
                _guard(behavior, method, incoming_id),
                response_serializer=handler.response_serializer,
            )
        return handler


__all__ = ["ErrorInterceptor", "to_rpc_status"]
