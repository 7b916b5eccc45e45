"""Builds the Connexion app: the generated spec, one handler per operation, the uploads."""

from collections.abc import Awaitable, Callable
from pathlib import Path

from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.requests import Request
from starlette.responses import Response

from rest import error_handlers
from rest.access_log import AccessLogMiddleware
from rest.endpoints import discover
from rest.fast_path import FastOperation, FastPathMiddleware
from rest.grpc_client import GrpcGateway
from rest.handlers import (
    HandlerResolver,
    UnaryOperation,
    served_by_upload_middleware,
    unary_handler,
)
from rest.metrics import METRICS_PATH, MetricsMiddleware, RestMetrics
from rest.precheck import RequestCheck
from rest.routes import RouteTable, load_operations
from rest.settings import RestSettings
from rest.upload import UploadHandler, UploadMiddleware
from rest.validation import ValidatorCache, body_validator, parameter_validator

SPEC = Path(__file__).resolve().parent / "openapi" / "openapi.json"
SPEC_PATH = "/openapi.json"
# The spec is served from its file's bytes: Connexion would copy and re-validate it per request.
SWAGGER_UI = SwaggerUIOptions(swagger_ui_path="/docs", spec_path=SPEC_PATH, serve_spec=False)


def spec_endpoint(spec: bytes) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint answering the generated spec."""

    async def openapi_json(_request: Request) -> Response:
        return Response(spec, media_type="application/json")

    return openapi_json


def validator_map(cache: ValidatorCache) -> dict[str, object]:
    """JSON bodies and parameters validated with cached validators (multipart is streamed)."""
    return {
        "parameter": parameter_validator(cache),
        "body": MediaTypeDict({"*/*json": body_validator(cache)}),
    }


def create_app(settings: RestSettings) -> AsyncApp:
    """The proxy app; its gRPC channel opens and closes with the app's lifespan."""
    gateway = GrpcGateway(settings)
    unary, uploads = discover()
    operations = {e.operation_id: UnaryOperation(e, gateway) for e in unary}
    handlers = {op_id: unary_handler(op) for op_id, op in operations.items()}
    handlers |= {u.operation_id: served_by_upload_middleware for u in uploads}
    upload_handlers = {
        u.operation_id: UploadHandler(u, gateway, settings.upload_chunk_bytes) for u in uploads
    }
    cache = ValidatorCache()
    app = AsyncApp(__name__, lifespan=gateway.lifespan)
    app.add_api(
        SPEC,
        resolver=HandlerResolver(handlers),
        strict_validation=True,
        validate_responses=False,
        validator_map=validator_map(cache),
        swagger_ui_options=SWAGGER_UI,
    )
    app.add_url_rule(SPEC_PATH, "openapi", spec_endpoint(SPEC.read_bytes()), methods=["GET"])
    position = MiddlewarePosition.BEFORE_SECURITY
    app.add_middleware(UploadMiddleware, position=position, uploads=upload_handlers)
    app.add_middleware(AccessLogMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION)
    metrics = add_metrics(app) if settings.metrics_enabled else None
    if settings.rest_fast_path:
        add_fast_path(app, operations, cache, metrics)
    error_handlers.register(app)
    return app


def add_metrics(app: AsyncApp) -> RestMetrics:
    """Serve `GET /metrics` (outside the spec) and measure every request."""
    metrics = RestMetrics()
    app.add_url_rule(METRICS_PATH, "metrics", metrics.endpoint(), methods=["GET"])
    position = MiddlewarePosition.BEFORE_EXCEPTION
    app.add_middleware(MetricsMiddleware, position=position, metrics=metrics)
    return metrics


def add_fast_path(
    app: AsyncApp,
    operations: dict[str, UnaryOperation],
    cache: ValidatorCache,
    metrics: RestMetrics | None,
) -> None:
    """Serve unary operations in front of Connexion's chain, inside the access log and metrics."""
    spec_operations = load_operations(SPEC)
    fast = {
        op.operation_id: FastOperation(RequestCheck(op, cache), operations[op.operation_id])
        for op in spec_operations
        if op.operation_id in operations
    }
    app.add_middleware(
        FastPathMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        routes=RouteTable(spec_operations),
        operations=fast,
        served=metrics.count_fast_path if metrics else None,
    )
