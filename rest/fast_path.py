"""The fast path: unary operations served in front of Connexion's middleware chain.

Connexion's chain (Swagger UI, routing, security, validation, context, handler call) costs
more than the proxied call itself. A request routed to a unary operation whose parameters and
body pass the checks Connexion would make (`rest.precheck`) is served here, by the same
`UnaryOperation` the Connexion handler uses, with the same error bodies. Every other request,
including each one Connexion would reject, goes down the chain unchanged; a body already read
is replayed to it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rest.error_handlers import error_response, internal_error
from rest.errors import ApiError
from rest.handlers import UnaryOperation
from rest.precheck import Rejected, RequestCheck
from rest.routes import RouteTable


@dataclass(frozen=True)
class FastOperation:
    """A unary operation and the checks that let the fast path serve it."""

    check: RequestCheck
    operation: UnaryOperation


class FastPathMiddleware:
    """Serves the requests of `operations` that Connexion would accept; passes on the rest."""

    def __init__(
        self,
        app: ASGIApp,
        routes: RouteTable,
        operations: Mapping[str, FastOperation],
        served: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.routes = routes
        self.operations = {k: v for k, v in operations.items() if v.check.supported}
        self.served = served or (lambda _operation_id: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request here when it qualifies, else hand it to the chain."""
        found = self._find(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        fast, path_params = found
        query = QueryParams(scope["query_string"])
        if not fast.check.parameters_pass(path_params, query):
            await self.app(scope, receive, send)
            return
        body = None
        if fast.check.has_body:
            if not fast.check.content_type_passes(scope):
                await self.app(scope, receive, send)
                return
            messages, raw = await read_body(receive)
            try:
                body = fast.check.body(raw)
            except Rejected:
                await self.app(scope, replay(messages, receive), send)
                return
        routing = scope.setdefault("extensions", {}).setdefault(ROUTING_CONTEXT, {})
        routing.update({"api_base_path": "", "operation_id": fast.operation.operation_id})
        self.served(fast.operation.operation_id)
        response = await self._respond(fast.operation, path_params, query, body, scope)
        await response(scope, receive, send)

    def _find(self, scope: Scope) -> tuple[FastOperation, dict[str, str]] | None:
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        found = self.routes.find(scope["method"], scope["path"])
        if found is None:
            return None
        route, path_params = found
        fast = self.operations.get(route.operation_id)
        return None if fast is None else (fast, path_params)

    @staticmethod
    async def _respond(
        operation: UnaryOperation,
        path_params: dict[str, str],
        query: QueryParams,
        body: Any,
        scope: Scope,
    ) -> Response:
        try:
            headers = Headers(scope=scope)
            return await operation.respond(path_params, query.multi_items(), body, headers)
        except ApiError as error:
            return error_response(error)
        except Exception as error:
            return error_response(internal_error(error))


async def read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """Every message of the request body, and the body."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages, b"".join(chunks)


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive channel giving `messages` again, then the rest of `receive`."""
    pending = iter(messages)

    async def replayed() -> Message:
        message = next(pending, None)
        return message if message is not None else await receive()

    return replayed
