"""Helpers for dashboard tests: open the app on a tab, read what it shows, wait for work."""

import io
import uuid
from collections.abc import Callable

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.client import Client
from dashboard.resources import DONE_STATES, Model
from tests.processes import ROOT, wait_until

APP = ROOT / "dashboard" / "app.py"
APP_TIMEOUT = 60
TRAIN_TIMEOUT = 300  # an upper bound for a loaded machine, not a speed check


def open_tab(tab: str) -> AppTest:
    """A fresh dashboard session with `tab` selected, after its first run."""
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.session_state["tab"] = tab
    return at.run()


def unique(prefix: str) -> str:
    """A resource id no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def upload_csv(client: Client, dataset_id: str, data: bytes) -> None:
    """Upload CSV bytes with the dashboard's client."""
    client.upload_dataset(dataset_id, io.BytesIO(data), f"{dataset_id}.csv", "csv")


def wait_trained(client: Client, model_id: str, version: int = 0) -> Model:
    """Poll until the model's latest (or given) version is READY or FAILED."""
    found: list[Model] = []

    def done() -> bool:
        model = client.get_model(model_id)
        wanted = model.versions[version - 1] if version else model.versions[-1]
        found[:] = [model]
        return wanted.state in DONE_STATES

    wait_until(done, TRAIN_TIMEOUT, f"training of {model_id}")
    return found[0]


def shown(at: AppTest, kind: str) -> list[str]:
    """The texts of every element of one kind: "error", "success", "info", "markdown"..."""
    return [str(element.value) for element in getattr(at, kind)]


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first st.dataframe that has `column`."""
    frames = [element.value for element in at.dataframe]
    return next(frame for frame in frames if column in frame.columns)


def run_until(
    at: AppTest, what: str, ready: Callable[[AppTest], bool], timeout: float = TRAIN_TIMEOUT
) -> None:
    """Rerun the app (as the monitor's timer would) until `ready` sees what it waits for."""

    def check() -> bool:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return ready(at)

    wait_until(check, timeout, what)
