"""Prometheus metrics of the REST proxy, served at `GET /metrics` on the proxy's own port.

Requests are labelled by the OpenAPI operationId Connexion matched, never by the raw path:
the proxy's own pages get fixed names and anything else is "unmatched". The HTTP method is
one of the standard ones or "OTHER", and the status is the numeric HTTP code.
"""

import time
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.metrics.definitions import LATENCY_BUCKETS

METRICS_PATH = "/metrics"
OWN_PATHS = {"/openapi.json": "openapi", METRICS_PATH: "metrics"}
DOCS_PATH = "/docs"
UNMATCHED = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ROUTING_CONTEXT = "connexion_routing"


class RestMetrics:
    """The proxy's metrics, in a registry of their own."""

    def __init__(self) -> None:
        disable_created_metrics()  # no `*_created` series: they double the series count
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "mlservice_http_requests", "HTTP requests by operation, method and status code.",
            ["operation", "method", "code"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "mlservice_http_request_duration_seconds", "HTTP request latency by operation.",
            ["operation"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.fast_path = Counter(
            "mlservice_http_fast_path_requests",
            "HTTP requests served by the unary fast path (outside Connexion), by operation.",
            ["operation"], registry=self.registry,
        )  # fmt: skip
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._fast_path: dict[str, Counter] = {}
        self.in_flight = Gauge(
            "mlservice_http_requests_in_flight", "HTTP requests being handled now.",
            registry=self.registry,
        )  # fmt: skip

    def endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        """A Starlette endpoint answering the metrics in Prometheus' text format."""

        async def metrics(_request: Request) -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return metrics

    def count_fast_path(self, operation: str) -> None:
        """Count one request served by the fast path."""
        counter = self._fast_path.get(operation)
        if counter is None:
            counter = self._fast_path[operation] = self.fast_path.labels(operation)
        counter.inc()

    def record(self, scope: Scope, status: int, seconds: float) -> None:
        """Count one finished request."""
        operation = operation_label(scope)
        method = scope.get("method", "")
        key = (operation, method if method in HTTP_METHODS else "OTHER", status)
        children = self._children.get(key)
        if children is None:  # labels() takes a lock and builds the key on every call
            children = (
                self.requests.labels(key[0], key[1], str(status)),
                self.latency.labels(operation),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def operation_label(scope: Scope) -> str:
    """The matched operationId, a fixed name for the proxy's own pages, else "unmatched"."""
    routing = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
    operation = routing.get("operation_id")
    if operation:
        return str(operation)
    path = scope.get("path", "")
    if path in OWN_PATHS:
        return OWN_PATHS[path]
    if path == DOCS_PATH or path.startswith(DOCS_PATH + "/"):
        return "docs"
    return UNMATCHED


class MetricsMiddleware:
    """Measures every HTTP request; placed outermost so it sees the final status."""

    def __init__(self, app: ASGIApp, metrics: RestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, then count it with its status and latency."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("extensions", {})  # shared with the routing middleware further in
        started = time.perf_counter()
        status = 500

        async def send_seeing_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_seeing_status)
        finally:
            self.metrics.in_flight.dec()
            self.metrics.record(scope, status, time.perf_counter() - started)
