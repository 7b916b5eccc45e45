"""Errors as grpc-gateway v2 answers them: an HTTP status and a `google.rpc.Status` body."""

import base64
from typing import Any

import grpc
import orjson
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

# Importing error_details_pb2 registers google.rpc.BadRequest & co. for JSON conversion.
BAD_REQUEST_TYPE = f"type.googleapis.com/{error_details_pb2.BadRequest.DESCRIPTOR.full_name}"

Code = grpc.StatusCode
HTTP_STATUS: dict[Code, int] = {
    Code.OK: 200,
    Code.INVALID_ARGUMENT: 400,
    Code.FAILED_PRECONDITION: 400,
    Code.OUT_OF_RANGE: 400,
    Code.UNAUTHENTICATED: 401,
    Code.PERMISSION_DENIED: 403,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.ABORTED: 409,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.CANCELLED: 499,
    Code.UNIMPLEMENTED: 501,
    Code.UNAVAILABLE: 503,
    Code.DEADLINE_EXCEEDED: 504,
}
GRPC_CODE: dict[int, Code] = {
    400: Code.INVALID_ARGUMENT,
    401: Code.UNAUTHENTICATED,
    403: Code.PERMISSION_DENIED,
    404: Code.NOT_FOUND,
    405: Code.UNIMPLEMENTED,
    409: Code.ABORTED,
    413: Code.RESOURCE_EXHAUSTED,
    429: Code.RESOURCE_EXHAUSTED,
    499: Code.CANCELLED,
    501: Code.UNIMPLEMENTED,
    503: Code.UNAVAILABLE,
    504: Code.DEADLINE_EXCEEDED,
}


def http_status(code: Code) -> int:
    """The HTTP status grpc-gateway v2 answers for a gRPC code."""
    return HTTP_STATUS.get(code, 500)


def grpc_code(status: int) -> Code:
    """The gRPC code for an HTTP status the proxy itself answers (routing, validation)."""
    if status in GRPC_CODE:
        return GRPC_CODE[status]
    return Code.INVALID_ARGUMENT if 400 <= status < 500 else Code.INTERNAL


class ApiError(Exception):
    """An error answered with a `google.rpc.Status` JSON body."""

    def __init__(
        self,
        code: Code,
        message: str,
        details: list[dict[str, Any]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
        self.status = status or http_status(code)

    def body(self) -> bytes:
        """The JSON body: `{"code": ..., "message": ..., "details": [...]}`."""
        status = {"code": self.code.value[0], "message": self.message, "details": self.details}
        return orjson.dumps(status)


def bad_request(message: str, field: str, description: str) -> ApiError:
    """An INVALID_ARGUMENT error with one `google.rpc.BadRequest` field violation."""
    violation = {"field": field, "description": description}
    detail = {"@type": BAD_REQUEST_TYPE, "fieldViolations": [violation]}
    return ApiError(Code.INVALID_ARGUMENT, message, [detail])


def detail_to_json(detail: any_pb2.Any) -> dict[str, Any]:
    """One status detail as ProtoJSON with `@type`; unknown types keep their raw bytes."""
    try:
        return dict(json_format.MessageToDict(detail))
    except (TypeError, KeyError, json_format.Error):
        value = base64.b64encode(detail.value).decode()
        return {"@type": detail.type_url, "value": value}


def from_rpc_error(error: grpc.aio.AioRpcError) -> ApiError:
    """The `ApiError` of a failed call, details read from `grpc-status-details-bin`."""
    try:
        rich: status_pb2.Status | None = rpc_status.from_call(error)  # type: ignore[arg-type]
    except ValueError:
        rich = None
    details = [detail_to_json(d) for d in rich.details] if rich else []
    return ApiError(error.code(), error.details() or "", details)
