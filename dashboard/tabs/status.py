"""Status tab: service version, uptime, each component's state and message, counts."""

import pandas as pd
import streamlit as st

from dashboard.resources import ServiceStatus
from dashboard.tabs.status_stats import render_serving_stats
from dashboard.widgets import enum_label, human_duration, state_badge

COUNT_LABELS = {"datasets": "Datasets", "datasetVersions": "Dataset versions", "models": "Models"}


def render(status: ServiceStatus) -> None:
    """Draw the status the app probed at the start of this run."""
    st.subheader(f"Service {state_badge(status.state)}")
    _overview(status)
    st.markdown("#### Components")
    _components(status)
    render_serving_stats(status.serving_stats)
    st.markdown("#### Stored")
    _counts(status)
    st.button("Refresh", key="status-refresh")


def _overview(status: ServiceStatus) -> None:
    version, uptime, started = st.columns(3)
    version.metric("Version", status.version or "unknown")
    uptime.metric("Uptime", human_duration(status.uptime_seconds))
    started_at = status.start_time.strftime("%Y-%m-%d %H:%M:%S %Z") if status.start_time else "-"
    started.metric("Started", started_at)


def _components(status: ServiceStatus) -> None:
    rows = [
        {"component": c.name, "state": enum_label(c.state), "message": c.message}
        for c in status.components
    ]
    if not rows:
        st.info("The service reported no components.")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _counts(status: ServiceStatus) -> None:
    columns = st.columns(len(COUNT_LABELS))
    for column, (key, label) in zip(columns, COUNT_LABELS.items(), strict=True):
        column.metric(label, status.counts.get(key, 0))
    if status.models_by_state:
        by_state = {enum_label(k): v for k, v in sorted(status.models_by_state.items())}
        st.caption(
            "Models by state: " + ", ".join(f"{state} {count}" for state, count in by_state.items())
        )
