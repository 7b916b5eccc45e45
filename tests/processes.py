"""Start the project's real programs as subprocesses on free loopback ports, for tests."""

import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent


# Ports are taken below the kernel's ephemeral range: a port from `bind(0)` can be given to
# some client's outgoing connection before the test's server binds it. Each xdist worker has
# its own slice, walked from a random start (other test sessions may run alongside).
FIRST_PORT = 20000
EPHEMERAL_LOW = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def _port_candidates() -> Iterator[int]:
    """This worker's slice of [FIRST_PORT, EPHEMERAL_LOW), endlessly, from a random start."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = (EPHEMERAL_LOW - FIRST_PORT) // workers
    assert size >= 100, f"too few ports below the ephemeral range ({EPHEMERAL_LOW})"
    start = FIRST_PORT + index * size
    offset = random.randrange(size)
    while True:
        yield from range(start + offset, start + size)
        yield from range(start, start + offset)


_candidates = _port_candidates()


def free_port() -> int:
    """Return a loopback port that was free a moment ago and that no other worker hands out."""
    for port in itertools.islice(_candidates, 1000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port found")


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `ready` until it returns True, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout} s")


@dataclass
class Process:
    """A running program with its log file."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the program, its output going to the log file."""
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        """Whether the program is still running."""
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        """Send `sig` and wait for the exit; kill it if it does not exit in time."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def log(self) -> str:
        """The program's output so far."""
        return self.log_path.read_text(errors="replace")


def _health_serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=1
            )
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING


@dataclass
class GrpcServer(Process):
    """`python -m server` on a free port with its own data dir."""

    data_dir: Path = field(default_factory=Path)
    port: int = 0

    @property
    def target(self) -> str:
        """The address clients dial."""
        return f"127.0.0.1:{self.port}"

    def start_and_wait(self, timeout: float = 180) -> None:
        """Start the server and wait until its health check says SERVING."""
        self.start()

        def ready() -> bool:
            if not self.alive():
                raise RuntimeError(f"server exited early:\n{self.log()[-4000:]}")
            return _health_serving(self.target)

        wait_until(ready, timeout, "gRPC server")


# The developer's own settings must not leak into test servers (e.g. ClearML mode by accident).
STRIPPED_PREFIXES = ("CLEARML_", "MLSERVICE_")


def inherited_environment() -> dict[str, str]:
    """This process's environment without `CLEARML_*` and `MLSERVICE_*` variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_PREFIXES)}


def grpc_server_process(data_dir: Path, log_dir: Path, **env: str) -> GrpcServer:
    """Describe a server on a free port whose data lives in `data_dir` (not started yet)."""
    port = free_port()
    full_env = {
        **inherited_environment(),
        "MLSERVICE_GRPC_PORT": str(port),
        "MLSERVICE_DATA_DIR": str(data_dir),
        "MLSERVICE_TRAINING_WORKERS": "2",
        "MLSERVICE_METRICS_PORT": "0",  # any free port: test servers run side by side
        **env,
    }
    return GrpcServer(
        args=[sys.executable, "-m", "server"],
        env=full_env,
        log_path=log_dir / f"server-{port}.log",
        data_dir=data_dir,
        port=port,
    )
