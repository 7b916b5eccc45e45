"""Follows a training in progress: a progress bar polled every second until READY or FAILED."""

import streamlit as st

from dashboard.client import ApiError, Client, ServiceDown
from dashboard.resources import FAILED, Model
from dashboard.widgets import enum_label, flash, show_error

WATCH_KEY = "tr-watch"


def watch(model_id: str) -> None:
    """Follow the training of `model_id` until its latest version is READY or FAILED."""
    st.session_state[WATCH_KEY] = model_id


def render(client: Client) -> None:
    """Show the watched model's progress, if a training is being watched."""
    model_id = st.session_state.get(WATCH_KEY)
    if model_id:
        _poll(client, model_id)


@st.fragment(run_every=1.0)
def _poll(client: Client, model_id: str) -> None:
    """Poll the watched model every second; stop and refresh the page when it is done."""
    try:
        model = client.get_model(model_id)
    except (ApiError, ServiceDown) as exc:
        st.session_state.pop(WATCH_KEY, None)
        show_error(exc)
        return
    text = f"Training `{model_id}` v{model.version}: {enum_label(model.state)}"
    st.progress(min(max(model.progress, 0.0), 1.0), text=text)
    if model.done:
        st.session_state.pop(WATCH_KEY, None)
        _report_done(model)
        st.rerun()


def _report_done(model: Model) -> None:
    if model.state == FAILED:
        reason = model.error or "no reason given"
        flash("training", f"`{model.model_id}` v{model.version} FAILED: {reason}", failed=True)
        return
    shown = ", ".join(f"{k} {v:.3f}" for k, v in sorted(model.metrics.items()))
    flash("training", f"`{model.model_id}` v{model.version} is READY. {shown}")
