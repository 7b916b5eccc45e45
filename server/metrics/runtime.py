"""The server's metrics as one part with a start and a stop; inert when disabled."""

from collections.abc import Iterable

import grpc

from server.gen import status_pb2
from server.metrics import hooks
from server.metrics.exporter import MetricsExporter
from server.metrics.interceptor import MetricsInterceptor, registered_methods
from server.metrics.recorder import MetricsRecorder
from server.settings import Settings


class ServerMetricsRuntime:
    """Recorder, interceptor and `/metrics` exporter, built from the settings."""

    def __init__(self, settings: Settings, service_names: Iterable[str]) -> None:
        self.recorder = MetricsRecorder() if settings.metrics_enabled else None
        self._methods = registered_methods(service_names)
        self.exporter = (
            MetricsExporter(self.recorder.registry, settings.grpc_host, settings.metrics_port)
            if self.recorder is not None
            else None
        )

    def interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        """The interceptor to put first in the chain (none when disabled)."""
        if self.recorder is None:
            return []
        return [MetricsInterceptor(self.recorder, self._methods)]

    def start(self) -> None:
        """Receive the hooks' reports and serve `/metrics`."""
        if self.recorder is not None and self.exporter is not None:
            hooks.install(self.recorder)
            self.exporter.start()

    def stop(self) -> None:
        """Stop serving `/metrics` and receiving reports."""
        if self.recorder is not None and self.exporter is not None:
            self.exporter.stop()
            hooks.uninstall(self.recorder)

    def observe_components(self, states: Iterable[tuple[str, str]]) -> None:
        """Record the latest component checks."""
        if self.recorder is not None:
            self.recorder.components(states)

    def serving_stats(self) -> status_pb2.ServingStats | None:
        """The live figures for GetStatus (None when disabled)."""
        return self.recorder.serving_stats() if self.recorder is not None else None
