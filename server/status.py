"""StatusService: version, uptime, counts and the state of every component; drives health."""

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from google.protobuf import duration_pb2, timestamp_pb2
from grpc_health.v1 import _async as health_aio  # the asyncio servicer (health.aio)
from grpc_health.v1 import health_pb2
from loguru import logger

from server.gen import status_pb2, status_pb2_grpc
from server.metrics.runtime import ServerMetricsRuntime

VERSION = "0.1.0"
STATES = {
    "OK": status_pb2.COMPONENT_STATE_OK,
    "DEGRADED": status_pb2.COMPONENT_STATE_DEGRADED,
    "DOWN": status_pb2.COMPONENT_STATE_DOWN,
}
# Health is SERVING only when these are usable (a DEGRADED remote still lets the service work).
ESSENTIAL = ("dataset_store", "model_registry")


@dataclass(frozen=True)
class Component:
    """One checked component: name, "OK" | "DEGRADED" | "DOWN", and a message."""

    name: str
    state: str
    message: str


ComponentCheck = Callable[[], Iterable[Component]]
CountsSource = Callable[[], status_pb2.Counts]


class StatusReporter:
    """Runs the component checks (in a thread: they touch disk and network) and keeps health."""

    def __init__(
        self,
        checks: list[ComponentCheck],
        counts: CountsSource,
        metrics: ServerMetricsRuntime | None = None,
    ) -> None:
        self._checks = checks
        self._counts = counts
        self._metrics = metrics
        self.started = datetime.now(UTC)
        self._monotonic_start = time.monotonic()
        self.health = health_aio.HealthServicer()
        self._serving: bool | None = None

    def _run_checks(self) -> list[Component]:
        results: list[Component] = []
        for check in self._checks:
            try:
                results.extend(check())
            except Exception as error:  # a failing check must not take the status down
                logger.exception("status check failed")
                results.append(Component(getattr(check, "__name__", "check"), "DOWN", str(error)))
        return results

    async def components(self) -> list[Component]:
        """Run every check and update the health status to match."""
        results = await asyncio.to_thread(self._run_checks)
        await self._update_health(results)
        if self._metrics is not None:
            self._metrics.observe_components((c.name, c.state) for c in results)
        return results

    async def _update_health(self, results: list[Component]) -> None:
        serving = all(c.state != "DOWN" for c in results if c.name in ESSENTIAL)
        if serving != self._serving:
            status = (
                health_pb2.HealthCheckResponse.SERVING
                if serving
                else (health_pb2.HealthCheckResponse.NOT_SERVING)
            )
            await self.health.set("", status)
            if self._serving is not None:
                logger.warning("health changed to {}", "SERVING" if serving else "NOT_SERVING")
            self._serving = serving

    async def watch(self, interval: float = 10.0) -> None:
        """Re-check the components every `interval` seconds, forever."""
        while True:
            await asyncio.sleep(interval)
            await self.components()

    def uptime(self) -> duration_pb2.Duration:
        """Time since the server started."""
        uptime = duration_pb2.Duration()
        uptime.FromNanoseconds(int((time.monotonic() - self._monotonic_start) * 1e9))
        return uptime

    async def snapshot(self) -> status_pb2.GetStatusResponse:
        """Build the full status response."""
        results = await self.components()
        worst = max((STATES[c.state] for c in results), default=status_pb2.COMPONENT_STATE_OK)
        start = timestamp_pb2.Timestamp()
        start.FromDatetime(self.started)
        return status_pb2.GetStatusResponse(
            version=VERSION,
            start_time=start,
            uptime=self.uptime(),
            state=worst,
            components=[
                status_pb2.ComponentStatus(name=c.name, state=STATES[c.state], message=c.message)
                for c in results
            ],
            counts=await asyncio.to_thread(self._counts),
            serving_stats=self._metrics.serving_stats() if self._metrics is not None else None,
        )


class StatusServicer(status_pb2_grpc.StatusServiceServicer):
    """Serves GetStatus from a `StatusReporter`."""

    def __init__(self, reporter: StatusReporter) -> None:
        self._reporter = reporter

    async def GetStatus(
        self, request: status_pb2.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> status_pb2.GetStatusResponse:
        """Return the service's status."""
        return await self._reporter.snapshot()
