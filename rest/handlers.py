"""One generic operation per HTTP binding, its Connexion handler, and the resolver."""

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn, cast

import orjson
from connexion import request as current_request
from connexion.exceptions import ResolverError
from connexion.lifecycle import ConnexionRequest
from connexion.resolver import Resolver
from starlette.datastructures import Headers, QueryParams
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


class UnaryOperation:
    """One binding: transcode the request, call the RPC, answer its response as JSON.

    Both the Connexion handler and the fast path (`rest.fast_path`) serve requests with it.
    """

    def __init__(self, endpoint: UnaryEndpoint, gateway: GrpcGateway) -> None:
        self.endpoint = endpoint
        self.transcoder = Transcoder(endpoint.method, endpoint.binding)
        self.path = grpc_path(endpoint.method)
        self.gateway = gateway

    @property
    def operation_id(self) -> str:
        """The OpenAPI operation id."""
        return self.endpoint.operation_id

    @property
    def has_body(self) -> bool:
        """Whether requests carry a JSON body."""
        return self.transcoder.has_body

    async def respond(
        self,
        path_params: Mapping[str, Any],
        query: Sequence[tuple[str, str]],
        body: Any,
        headers: Headers,
    ) -> Response:
        """Call the RPC for one validated request; failures raise `ApiError`."""
        message = self.transcoder.request(path_params, query, body)
        metadata = outgoing_metadata(headers)
        response_type = self.transcoder.deserialized_type
        response = await self.gateway.unary(self.path, message, response_type, metadata)
        return json_response(self.transcoder.response(response))


def unary_handler(operation: UnaryOperation) -> Handler:
    """The Connexion handler of one binding."""

    async def handle(**path_params: Any) -> Response:
        request = cast(ConnexionRequest, current_request)
        body = await parsed_body(request) if operation.has_body else None
        query = QueryParams(request.scope.get("query_string", b"")).multi_items()
        return await operation.respond(path_params, query, body, request.headers)

    handle.__name__ = operation.operation_id
    handle.__signature__ = path_signature(operation.endpoint.binding)  # type: ignore[attr-defined]
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
