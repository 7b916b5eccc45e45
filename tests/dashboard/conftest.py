"""Dashboard fixtures: the real REST proxy in front of the session's gRPC server, and data."""

import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from streamlit.testing.v1 import AppTest

from dashboard.client import Client, TrainSpec
from dashboard.resources import READY, Model
from tests.dashboard.helpers import open_tab, unique, upload_csv, wait_trained
from tests.processes import GrpcServer, Process, free_port, wait_until


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/v1/status", timeout=2)
    except httpx.TransportError:
        return False
    return True


@pytest.fixture(scope="session")
def rest_proxy(grpc_server: GrpcServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m rest` on a free port in front of the session's server; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "MLSERVICE_REST_PORT": str(port),
        "MLSERVICE_GRPC_TARGET": grpc_server.target,
    }
    log_dir = tmp_path_factory.mktemp("rest-proxy")
    proxy = Process([sys.executable, "-m", "rest"], env, log_dir / "rest.log")
    proxy.start()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if not proxy.alive():
            raise RuntimeError(f"rest proxy exited early:\n{proxy.log()[-4000:]}")
        return _answers(url)

    wait_until(ready, 60, "REST proxy")
    yield url
    proxy.stop()


@pytest.fixture
def api(rest_proxy: str) -> Iterator[Client]:
    """The dashboard's own client, pointed at the live proxy (for setup and checks)."""
    client = Client(rest_proxy)
    yield client
    client.close()


@pytest.fixture
def app(rest_proxy: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], AppTest]:
    """Open the dashboard on a tab, talking to the live proxy."""
    monkeypatch.setenv("MLSERVICE_REST_URL", rest_proxy)
    return lambda tab: open_tab(tab)


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    """The iris data set with a numeric `target` column."""
    return load_iris(as_frame=True).frame


@pytest.fixture(scope="session")
def iris_csv(iris: pd.DataFrame) -> bytes:
    """Iris as CSV bytes."""
    buffer = io.StringIO()
    iris.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@pytest.fixture(scope="session")
def iris_file(iris_csv: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Iris written to a CSV file."""
    path = tmp_path_factory.mktemp("data") / "iris.csv"
    path.write_bytes(iris_csv)
    return path


@pytest.fixture(scope="session")
def ready_model(rest_proxy: str, iris_csv: bytes) -> Model:
    """A READY LogisticRegression on iris, trained through the REST API."""
    client = Client(rest_proxy)
    dataset_id, model_id = unique("dash-iris"), unique("dash-lr")
    upload_csv(client, dataset_id, iris_csv)
    spec = TrainSpec("LogisticRegression", dataset_id, "target", model_id=model_id)
    client.train_model(spec)
    model = wait_trained(client, model_id)
    client.close()
    assert model.state == READY, model.error
    return model
