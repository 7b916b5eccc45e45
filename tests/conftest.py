"""Shared fixtures: a real gRPC server subprocess (session-wide) and channels to it.

With pytest-xdist (`make test` runs two workers), session fixtures exist once per worker:
each worker has its own servers, ports and temporary directories.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.processes import GrpcServer, grpc_server_process

# Packages whose tests share package-scoped fixtures (one server for the package).
WHOLE_PACKAGES = ("tests/reliability/",)


class ModuleScheduling(LoadScopeScheduling):
    """`--dist loadscope` by test module; a package of `WHOLE_PACKAGES` is one unit, in order."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return next((package for package in WHOLE_PACKAGES if path.startswith(package)), path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    """Hand out whole modules (and whole `WHOLE_PACKAGES`) under `--dist loadscope`."""
    return ModuleScheduling(config, log) if config.getoption("dist") == "loadscope" else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test its own node id: xdist hands tests out by id and runs one per id.

    schemathesis (under pytest 9.2) ids each operation's test by the function alone; the
    item's name (with the operation) becomes the id. Any id still shared is an error.
    """
    shared = Counter(item.nodeid for item in items)
    for item in items:
        if shared[item.nodeid] > 1 and item.parent is not None:
            item._id = item.parent.id.child(item.name)  # type: ignore[attr-defined]
    repeated = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if repeated:
        raise pytest.UsageError(f"tests share a node id (xdist would run one of each): {repeated}")


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
