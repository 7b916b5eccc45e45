"""Per-call metrics of the gRPC server: calls by method and code, latency, in flight.

The method label is the full method name of a service the server registered; any other name
is counted as "unknown", so callers cannot grow the label set. Calls with a streamed response
(health Watch, reflection) pass through unmeasured.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import grpc
from google.protobuf import descriptor_pool
from prometheus_client import Counter

from server.metrics.definitions import GrpcMetrics
from server.metrics.recorder import MetricsRecorder

Behavior = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]
UNKNOWN_METHOD = "unknown"
API_PREFIX = "/mlservice.v1."
PREDICT = "/mlservice.v1.ModelService/Predict"


def registered_methods(service_names: Iterable[str]) -> frozenset[str]:
    """Every "/package.Service/Method" of the named services (from the default pool)."""
    pool = descriptor_pool.Default()
    return frozenset(
        f"/{service.full_name}/{method.name}"
        for service in map(pool.FindServiceByName, service_names)
        for method in service.methods
    )


class MethodInstruments:
    """The metric children of one method label, resolved once."""

    def __init__(self, method: str, metrics: GrpcMetrics) -> None:
        self.method = method
        self.latency = metrics.latency.labels(method)
        self.in_flight = 0  # a plain int (one writer, the event loop), read at scrape time
        metrics.in_flight.labels(method).set_function(lambda: self.in_flight)
        self.api = method.startswith(API_PREFIX)
        self.predict = method == PREDICT
        self._requests = metrics.requests
        self._by_code: dict[grpc.StatusCode, Counter] = {}

    def count(self, code: grpc.StatusCode) -> None:
        """Count one finished call with its status code."""
        counter = self._by_code.get(code)
        if counter is None:
            counter = self._by_code[code] = self._requests.labels(self.method, code.name)
        counter.inc()


def final_code(context: grpc.aio.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status a call ended with: set or aborted on the context, else from the outcome."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if error is None:
        return grpc.StatusCode.OK
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Measures every unary-response call; put it first so it sees the final status."""

    def __init__(self, recorder: MetricsRecorder, methods: frozenset[str]) -> None:
        self._recorder = recorder
        self._methods = methods
        self._instruments: dict[str, MethodInstruments] = {}

    def _for(self, method: str) -> MethodInstruments:
        label = method if method in self._methods else UNKNOWN_METHOD
        found = self._instruments.get(label)
        if found is None:
            found = self._instruments[label] = MethodInstruments(label, self._recorder.metrics.grpc)
        return found

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        """Return the method's handler, measured when its response is unary."""
        handler = await continuation(handler_call_details)
        instruments = self._for(handler_call_details.method)
        if handler is None:  # grpc answers UNIMPLEMENTED
            instruments.count(grpc.StatusCode.UNIMPLEMENTED)
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._measure(cast(Behavior, handler.unary_unary), instruments),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._measure(cast(Behavior, handler.stream_unary), instruments),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _measure(self, behavior: Behavior, instruments: MethodInstruments) -> Behavior:
        """Wrap a behaviour: in-flight gauge, latency, status code and live figures."""

        async def measured(request: Any, context: grpc.aio.ServicerContext) -> Any:
            instruments.in_flight += 1
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as raised:
                error = raised
                raise
            finally:
                ended = time.perf_counter()
                instruments.in_flight -= 1
                self._finish(instruments, final_code(context, error), started, ended)

        return measured

    def _finish(
        self, instruments: MethodInstruments, code: grpc.StatusCode, started: float, ended: float
    ) -> None:
        instruments.count(code)
        instruments.latency.observe(ended - started)
        live = self._recorder.live
        if instruments.api:
            live.requests.add(ended)
        if instruments.predict and code is grpc.StatusCode.OK:
            live.predict_latency.add(ended, ended - started)
