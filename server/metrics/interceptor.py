"""Per-call metrics of the gRPC server: calls by method and code, latency, in flight.

The method label is the full method name of a service the server registered; any other name
is counted as "unknown", so callers cannot grow the label set. Calls with a streamed response
(health Watch, reflection) pass through unmeasured.

Per call, the work is kept small: one closure and one handler, two `perf_counter()` reads,
plain-number updates of metric children resolved once per method (`server.metrics.loop`) and
of the live figures of GetStatus.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from time import perf_counter
from typing import Any, cast

import grpc
from google.protobuf import descriptor_pool

from server.metrics.definitions import GrpcMetrics
from server.metrics.live import LiveStats
from server.metrics.loop import CounterChild
from server.metrics.recorder import MetricsRecorder
from server.models.wire_rows import PREDICT_METHOD

Behavior = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]
UNKNOWN_METHOD = "unknown"
API_PREFIX = "/mlservice.v1."
OK = grpc.StatusCode.OK
UNIMPLEMENTED = grpc.StatusCode.UNIMPLEMENTED


def registered_methods(service_names: Iterable[str]) -> frozenset[str]:
    """Every "/package.Service/Method" of the named services (from the default pool)."""
    pool = descriptor_pool.Default()
    return frozenset(
        f"/{service.full_name}/{method.name}"
        for service in map(pool.FindServiceByName, service_names)
        for method in service.methods
    )


def final_code(context: grpc.aio.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status a call ended with: set or aborted on the context, else from the outcome."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if error is None:
        return OK
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN


def measured_handler(
    handler: grpc.RpcMethodHandler, streaming_request: bool, behavior: Behavior
) -> grpc.RpcMethodHandler:
    """A unary-response handler like `handler` with `behavior` instead of its own."""
    deserializer, serializer = handler.request_deserializer, handler.response_serializer
    if streaming_request:
        return grpc.stream_unary_rpc_method_handler(behavior, deserializer, serializer)
    return grpc.unary_unary_rpc_method_handler(behavior, deserializer, serializer)


class MethodInstruments:
    """The metric children and live figures of one method label, resolved once.

    Series appear as with prometheus_client's metrics: latency and in-flight when the method
    is first called, calls by code at the first call ending with that code.
    """

    def __init__(self, method: str, metrics: GrpcMetrics, live: LiveStats) -> None:
        self.method = method
        self.latency = metrics.latency.labels(method)
        self.in_flight = metrics.in_flight.labels(method)
        self._requests = metrics.requests
        self._by_code: dict[grpc.StatusCode, CounterChild] = {}
        self._ok: CounterChild | None = None  # the OK child, once there is one
        # Live figures: the rate of mlservice.v1 calls, the latency of successful Predicts.
        self._rate = live.requests if method.startswith(API_PREFIX) else None
        self._latencies = live.predict_latency if method == PREDICT_METHOD else None

    def count(self, code: grpc.StatusCode) -> None:
        """Count one finished call with its status code."""
        if code is OK and (ok := self._ok) is not None:
            ok.value += 1
            return
        counter = self._by_code.get(code)
        if counter is None:
            counter = self._by_code[code] = self._requests.labels(self.method, code.name)
            if code is OK:
                self._ok = counter
        counter.value += 1

    def finished(self, code: grpc.StatusCode, started: float, ended: float) -> None:
        """Record one call that ran from `started` to `ended` (`perf_counter()`)."""
        seconds = ended - started
        self.count(code)
        self.latency.observe(seconds)
        if self._rate is not None:
            self._rate.add(ended)
        if self._latencies is not None and code is OK:
            self._latencies.add(ended, seconds)


def measure(behavior: Behavior, instruments: MethodInstruments) -> Behavior:
    """Wrap a behaviour: in-flight gauge, latency, status code and live figures."""
    in_flight = instruments.in_flight

    async def measured(request: Any, context: grpc.aio.ServicerContext) -> Any:
        in_flight.value += 1
        started = perf_counter()
        try:
            response = await behavior(request, context)
        except BaseException as error:
            ended = perf_counter()
            in_flight.value -= 1
            instruments.finished(final_code(context, error), started, ended)
            raise
        ended = perf_counter()
        in_flight.value -= 1
        # A call that returned is OK unless its context says otherwise (`set_code`).
        code = OK if context.code() is None else final_code(context, None)
        instruments.finished(code, started, ended)
        return response

    return measured


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Measures every unary-response call; put it first so it sees the final status."""

    def __init__(self, recorder: MetricsRecorder, methods: frozenset[str]) -> None:
        self._recorder = recorder
        self._methods = methods
        # By label: the registered methods called so far and "unknown" (bounded).
        self._instruments: dict[str, MethodInstruments] = {}

    def _for(self, method: str) -> MethodInstruments:
        found = self._instruments.get(method)
        if found is not None:
            return found
        label = method if method in self._methods else UNKNOWN_METHOD
        found = self._instruments.get(label)
        if found is None:
            recorder = self._recorder
            found = MethodInstruments(label, recorder.metrics.grpc, recorder.live)
            self._instruments[label] = found
        return found

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        """Return the method's handler, measured when its response is unary."""
        handler = await continuation(handler_call_details)
        instruments = self._for(handler_call_details.method)
        if handler is None:  # grpc answers UNIMPLEMENTED
            instruments.count(UNIMPLEMENTED)
            return handler
        if (behavior := handler.unary_unary) is not None:
            return measured_handler(handler, False, measure(cast(Behavior, behavior), instruments))
        if (behavior := handler.stream_unary) is not None:
            return measured_handler(handler, True, measure(cast(Behavior, behavior), instruments))
        return handler
