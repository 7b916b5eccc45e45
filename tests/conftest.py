"""Shared fixtures: a real gRPC server subprocess (session-wide) and channels to it."""

from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from tests.processes import GrpcServer, grpc_server_process


@pytest.fixture(scope="session")
def grpc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrpcServer]:
    """One `python -m server` for the whole session, with an empty data dir."""
    root = tmp_path_factory.mktemp("grpc-server")
    server = grpc_server_process(root / "data", root)
    server.start_and_wait()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def grpc_channel(grpc_server: GrpcServer) -> Iterator[grpc.Channel]:
    """A blocking channel to the session's server."""
    with grpc.insecure_channel(grpc_server.target) as channel:
        yield channel


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., GrpcServer]]:
    """Start servers of one's own (for restart and fault tests); all are stopped afterwards."""
    started: list[GrpcServer] = []

    def start(data_dir: Path | None = None, **env: str) -> GrpcServer:
        server = grpc_server_process(data_dir or tmp_path / "data", tmp_path, **env)
        server.start_and_wait()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


from tests.s3_server import S3Server  # noqa: E402  (kept next to its fixture)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 API (moto_server) with the test bucket; `stop()`/`start()` for outages."""
    server = S3Server(tmp_path_factory.mktemp("s3-server"))
    server.start()
    yield server
    server.stop(save=False)
