"""The Status tab, and the banner when the service cannot be reached."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app import STATUS_TAB, TABS
from tests.dashboard.helpers import open_tab, shown
from tests.processes import free_port


def test_status_shows_version_uptime_components_and_counts(
    app: Callable[[str], AppTest],
) -> None:
    at = app("Status")
    assert not at.exception and not shown(at, "error")
    metrics = {m.label: m.value for m in at.metric}
    assert {"Version", "Uptime", "Started", "Datasets", "Dataset versions", "Models"} <= set(
        metrics
    )
    assert {"Requests/s (1 min)", "Predict p50", "Predict p99", "Model cache hit rate"} <= set(
        metrics
    )
    assert metrics["Uptime"].endswith("s")
    components = at.dataframe[0].value
    assert len(components) >= 1 and {"component", "state", "message"} <= set(components.columns)


@pytest.mark.parametrize("tab", [*TABS, STATUS_TAB])
def test_service_down_shows_one_banner_and_the_app_still_renders(
    tab: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSERVICE_REST_URL", f"http://127.0.0.1:{free_port()}")
    at = open_tab(tab)
    assert not at.exception
    [banner] = shown(at, "error")
    assert "unreachable" in banner and "MLSERVICE_REST_URL" in banner
    assert at.title[0].value == "mlservice"
    assert shown(at, "info") == ["Nothing to show while the service is unavailable."]
