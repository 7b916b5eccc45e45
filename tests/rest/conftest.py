"""REST fixtures: the real `python -m rest` subprocess in front of a real gRPC server."""

import io
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sklearn.datasets import load_iris

from tests.processes import GrpcServer, Process, free_port, wait_until


@dataclass
class RestProxy(Process):
    """`python -m rest` on a free port."""

    port: int = 0

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.popen is not None
        return self.popen.pid

    def start_and_wait(self, timeout: float = 60) -> None:
        """Start the proxy and wait until it serves its spec (which needs no gRPC server)."""
        self.start()

        def ready() -> bool:
            if not self.alive():
                raise RuntimeError(f"rest proxy exited early:\n{self.log()[-4000:]}")
            try:
                return httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout, "REST proxy")


def start_proxy(grpc_target: str, log_dir: Path, **env: str) -> RestProxy:
    """Start a proxy in front of `grpc_target` and wait until it answers."""
    port = free_port()
    full_env = {
        **os.environ,
        "MLSERVICE_REST_PORT": str(port),
        "MLSERVICE_GRPC_TARGET": grpc_target,
        **env,
    }
    proxy = RestProxy(
        [sys.executable, "-m", "rest"], full_env, log_dir / f"rest-{port}.log", port=port
    )
    proxy.start_and_wait()
    return proxy


@pytest.fixture(scope="session")
def rest_proxy(grpc_server: GrpcServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One proxy for the session in front of the session's gRPC server; yields its base URL."""
    proxy = start_proxy(grpc_server.target, tmp_path_factory.mktemp("rest"))
    yield proxy.url
    proxy.stop()


@pytest.fixture
def proxy_factory(tmp_path: Path) -> Iterator[Callable[..., RestProxy]]:
    """Start proxies of one's own (other targets, settings); all are stopped afterwards."""
    started: list[RestProxy] = []

    def start(grpc_target: str, **env: str) -> RestProxy:
        proxy = start_proxy(grpc_target, tmp_path, **env)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture(scope="session")
def api(rest_proxy: str) -> Iterator[httpx.Client]:
    """An HTTP client for the session's proxy."""
    with httpx.Client(base_url=rest_proxy, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def iris_csv() -> bytes:
    """The iris table as CSV, the target as class names."""
    iris = load_iris(as_frame=True)
    frame = iris.frame
    frame["target"] = iris.target_names[iris.target]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def unique(prefix: str) -> str:
    """A resource id no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
