"""The dashboard's entry point: `streamlit run dashboard/app.py` from the repository root."""

import sys
from collections.abc import Callable
from pathlib import Path

# Streamlit runs this file as a script with only dashboard/ on sys.path; the repository root
# must be importable for `import dashboard...` to work.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.client import Client  # noqa: E402
from dashboard.resources import ServiceStatus  # noqa: E402
from dashboard.tabs import datasets, inference, status, training  # noqa: E402
from dashboard.widgets import get_client, service_banner  # noqa: E402

TABS: dict[str, Callable[[Client], None]] = {
    "Datasets": datasets.render,
    "Training": training.render,
    "Inference": inference.render,
}
STATUS_TAB = "Status"


def draw_tab(label: str, client: Client, service: ServiceStatus | None) -> None:
    """Draw one tab, or a short note when the service is unavailable (see the banner)."""
    if service is None:
        st.info("Nothing to show while the service is unavailable.")
    elif label == STATUS_TAB:
        status.render(service)
    else:
        TABS[label](client)


def main() -> None:
    """Probe the service once, then draw only the open tab (tabs run lazily)."""
    st.set_page_config(page_title="mlservice", page_icon=":material/model_training:", layout="wide")
    st.title("mlservice")
    client = get_client()
    service = service_banner(client)
    labels = [*TABS, STATUS_TAB]
    tabs = st.tabs(labels, key="tab", on_change="rerun", bind="query-params")
    for label, tab in zip(labels, tabs, strict=True):
        if tab.open:
            with tab:
                draw_tab(label, client, service)


if __name__ == "__main__":  # Streamlit runs the script as __main__
    main()
