"""The `/metrics` HTTP endpoint of the server process (prometheus_client's server, a thread)."""

import threading
from wsgiref.simple_server import WSGIServer

from loguru import logger
from prometheus_client import CollectorRegistry, start_http_server


class MetricsExporter:
    """Serves one registry on `host:port` (port 0: any free port); `port` is the bound one."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self._registry = registry
        self._host = host
        self.port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start serving; a port in use is logged and leaves the service running unmeasured."""
        try:
            self._server, self._thread = start_http_server(
                self.port, addr=self._host, registry=self._registry
            )
        except OSError as error:
            logger.error("metrics endpoint not started on {}:{}: {}", self._host, self.port, error)
            return
        self.port = int(self._server.server_port)
        logger.info("metrics on http://{}:{}/metrics", self._host, self.port)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
