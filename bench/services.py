"""Our service under test: `python -m server` and `python -m rest` as subprocesses."""

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.processes import GrpcServer, Process, free_port, grpc_server_process, wait_until


@dataclass
class RestProxy(Process):
    """`python -m rest` on a free loopback port."""

    port: int = 0

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"rest proxy exited early:\n{self.log()[-4000:]}")
        try:
            return httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def start_and_wait(self, timeout: float = 60) -> None:
        """Start the proxy and wait until it serves its spec."""
        self.start()
        wait_until(self._answers, timeout, "REST proxy")


@dataclass
class Stack:
    """A running server and proxy."""

    server: GrpcServer
    proxy: RestProxy

    @property
    def server_pid(self) -> int:
        """The gRPC server's process id."""
        assert self.server.popen is not None
        return self.server.popen.pid

    @property
    def proxy_pid(self) -> int:
        """The REST proxy's process id."""
        assert self.proxy.popen is not None
        return self.proxy.popen.pid


def _proxy(grpc_target: str, log_dir: Path, extra_env: dict[str, str]) -> RestProxy:
    port = free_port()
    env = {
        **os.environ,
        "MLSERVICE_REST_PORT": str(port),
        "MLSERVICE_GRPC_TARGET": grpc_target,
        **extra_env,
    }
    return RestProxy([sys.executable, "-m", "rest"], env, log_dir / f"rest-{port}.log", port=port)


@contextlib.contextmanager
def running_stack(work_dir: Path, **env: str) -> Iterator[Stack]:
    """Start the server (fresh data dir under `work_dir`) and the proxy; stop both at exit.

    `env` (e.g. `MLSERVICE_METRICS_ENABLED="false"`) is added to both programs' environment.
    """
    logs = work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    server = grpc_server_process(work_dir / "data", logs, **env)
    proxy = _proxy(server.target, logs, env)
    try:
        server.start_and_wait(timeout=120)
        proxy.start_and_wait(timeout=120)
        yield Stack(server, proxy)
    finally:
        proxy.stop()
        server.stop()
