"""The gRPC metadata a proxied call carries: the request id and the caller's credentials."""

import re

from starlette.datastructures import Headers

from rest.grpc_client import Metadata
from server.logs import request_id

_PRINTABLE = re.compile(r"[\x20-\x7e]+")


def outgoing_metadata(headers: Headers) -> Metadata:
    """`x-request-id` always; `authorization` forwarded verbatim when the request has one.

    The proxy never adds credentials of its own: a client without a token reaches the server
    without one, and the server answers UNAUTHENTICATED when it requires a token.
    """
    metadata: list[tuple[str, str]] = [("x-request-id", request_id.get())]
    authorization = headers.get("authorization")
    if authorization and _PRINTABLE.fullmatch(authorization):
        metadata.append(("authorization", authorization))
    return tuple(metadata)
