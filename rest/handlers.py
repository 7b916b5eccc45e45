"""One generic Connexion handler per HTTP binding, and the resolver that hands them out."""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NoReturn, cast

import orjson
from connexion import request as current_request
from connexion.exceptions import ResolverError
from connexion.lifecycle import ConnexionRequest
from connexion.resolver import Resolver
from starlette.datastructures import QueryParams
from starlette.responses import Response

from rest.endpoints import UnaryEndpoint, grpc_path
from rest.errors import ApiError, Code
from rest.grpc_client import GrpcGateway
from rest.http_rule import Binding
from rest.metadata import outgoing_metadata
from rest.transcode import Transcoder
from rest.validation import parsed_body

Handler = Callable[..., Awaitable[Response]]


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response serialized with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def unary_handler(endpoint: UnaryEndpoint, gateway: GrpcGateway) -> Handler:
    """The handler of one binding: transcode the request, call the RPC, transcode back."""
    transcoder = Transcoder(endpoint.method, endpoint.binding)
    path = grpc_path(endpoint.method)

    async def handle(**path_params: Any) -> Response:
        request = cast(ConnexionRequest, current_request)
        body = await parsed_body(request) if transcoder.has_body else None
        query = QueryParams(request.scope.get("query_string", b"")).multi_items()
        message = transcoder.request(path_params, query, body)
        metadata = outgoing_metadata(request.headers)
        response = await gateway.unary(path, message, transcoder.response_type, metadata)
        return json_response(transcoder.response(response))

    handle.__name__ = endpoint.operation_id
    handle.__signature__ = path_signature(endpoint.binding)  # type: ignore[attr-defined]
    return handle


def path_signature(binding: Binding) -> inspect.Signature:
    """A signature naming exactly the path parameters, so Connexion passes only those.

    Connexion then neither parses the body a second time nor converts the query.
    """
    names = [s.param for v in binding.variables for s in v.params]
    return inspect.Signature([inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in names])


async def served_by_upload_middleware() -> NoReturn:
    """Placeholder for upload operations: `UploadMiddleware` serves them before this point."""
    raise ApiError(Code.INTERNAL, "upload operation reached the generic handler")


class HandlerResolver(Resolver):
    """Maps operation ids to the handlers built from the RPC descriptors."""

    def __init__(self, handlers: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__(function_resolver=self._find)
        self._handlers = dict(handlers)

    def _find(self, operation_id: str) -> Callable[..., Any]:
        try:
            return self._handlers[operation_id]
        except KeyError:
            raise ResolverError(
                f"operation {operation_id} has no RPC; regenerate the spec with `make proto`"
            ) from None
