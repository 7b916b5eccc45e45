"""MLServer, the baseline: its own venv (its pins clash with ours), model repository, process.

The venv gets the same scikit-learn, numpy, scipy and joblib versions as our environment, so
the pipeline our service fitted is dumped with joblib and loaded unchanged by mlserver-sklearn.
"""

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import joblib

from bench.config import BENCH_DIR
from tests.processes import Process, free_port, wait_until

VENV = BENCH_DIR / ".venv-mlserver"
PYTHON = VENV / "bin" / "python"
MLSERVER_PINS = ("mlserver==1.7.1", "mlserver-sklearn==1.7.1")
SHARED_PINS = ("scikit-learn", "numpy", "scipy", "joblib")


def pins() -> list[str]:
    """MLServer's pins plus our versions of the packages the pickled pipeline depends on."""
    return [*MLSERVER_PINS, *(f"{name}=={metadata.version(name)}" for name in SHARED_PINS)]


def _installed(requirements: list[str]) -> bool:
    if not PYTHON.exists():
        return False
    probe = (
        "import importlib.metadata as m, sys; "
        "print(' '.join(f'{a}=={m.version(a)}' for a in sys.argv[1:]))"
    )
    names = [pin.split("==")[0] for pin in requirements]
    done = subprocess.run(
        [PYTHON, "-c", probe, *names], capture_output=True, text=True, check=False
    )
    return done.returncode == 0 and done.stdout.split() == requirements


def ensure_venv() -> Path:
    """Create or update the MLServer venv (`uv venv` + `uv pip install`); return its python."""
    requirements = pins()
    if _installed(requirements):
        return PYTHON
    if not PYTHON.exists():
        subprocess.run(["uv", "venv", str(VENV), "--python", "3.11", "--quiet"], check=True)
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(PYTHON), *requirements], check=True
    )
    return PYTHON


def write_repository(root: Path, name: str, pipeline: Any) -> Path:
    """A model repository with one sklearn model: `<root>/<name>/model.joblib` + settings."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, folder / "model.joblib")
    settings = {
        "name": name,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib"},
    }
    (folder / "model-settings.json").write_text(json.dumps(settings))
    return root


def server_settings(http_port: int, grpc_port: int) -> dict[str, Any]:
    """settings.json: loopback ports, no parallel workers, no metrics server, no debug logs."""
    return {
        "debug": False,
        "parallel_workers": 0,
        "host": "127.0.0.1",
        "http_port": http_port,
        "grpc_port": grpc_port,
        "metrics_endpoint": None,
    }


@dataclass
class MLServer(Process):
    """`mlserver start <repository>` on free loopback ports."""

    http_port: int = 0
    grpc_port: int = 0

    @property
    def url(self) -> str:
        """The REST base URL."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        """The gRPC address."""
        return f"127.0.0.1:{self.grpc_port}"

    def _ready(self, models: list[str]) -> bool:
        if not self.alive():
            raise RuntimeError(f"MLServer exited early:\n{self.log()[-4000:]}")
        paths = ["/v2/health/ready", *(f"/v2/models/{m}/ready" for m in models)]
        try:
            return all(httpx.get(self.url + p, timeout=2).status_code == 200 for p in paths)
        except httpx.TransportError:
            return False

    def start(self) -> None:
        """Start MLServer in its repository (it may write files into its working dir)."""
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args, cwd=self.args[-1], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_and_wait(self, models: list[str], timeout: float = 120) -> None:
        """Start MLServer and wait until it and every model is ready."""
        self.start()
        wait_until(lambda: self._ready(models), timeout, "MLServer")


def mlserver_process(repository: Path, log_dir: Path) -> MLServer:
    """Describe MLServer serving `repository` (not started yet)."""
    http_port, grpc_port = free_port(), free_port()
    (repository / "settings.json").write_text(json.dumps(server_settings(http_port, grpc_port)))
    env = {**os.environ, "VIRTUAL_ENV": str(VENV), "PATH": f"{VENV / 'bin'}:{os.environ['PATH']}"}
    return MLServer(
        args=[str(VENV / "bin" / "mlserver"), "start", str(repository)],
        env=env,
        log_path=log_dir / f"mlserver-{http_port}.log",
        http_port=http_port,
        grpc_port=grpc_port,
    )


@contextlib.contextmanager
def running_mlserver(work_dir: Path, pipelines: dict[str, Any]) -> Iterator[MLServer]:
    """Set up the venv, write the repository, start MLServer; stop it at exit."""
    started = time.monotonic()
    ensure_venv()
    repository = work_dir / "mlserver-models"
    for name, pipeline in pipelines.items():
        write_repository(repository, name, pipeline)
    logs = work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    server = mlserver_process(repository, logs)
    try:
        server.start_and_wait(list(pipelines))
        print(f"  MLServer ready in {time.monotonic() - started:.1f} s", flush=True)
        yield server
    finally:
        server.stop()
