"""The models part of the Training tab: table, versions with metrics, retrain and delete."""

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from dashboard import frames
from dashboard.client import Client
from dashboard.resources import Dataset, Model
from dashboard.tabs import monitor
from dashboard.widgets import (
    attempt,
    clearml_enabled,
    clearml_url,
    confirm_button,
    flash,
    input_error,
    json_text,
    parse_json_object,
    state_badge,
    succeeded,
)

CLEARML_COLUMNS = {"clearml task": "experiments", "clearml model": "models"}


def render(client: Client, datasets: list[Dataset]) -> None:
    """Draw the models table and the chosen model's versions, metrics and actions."""
    models = attempt(client.list_models)
    if models is None:
        return
    st.subheader("Models")
    if not models:
        st.info("No models yet: train one above.")
        return
    st.dataframe(frames.models_frame(models), hide_index=True, width="stretch")
    ids = [m.model_id for m in models]
    chosen = st.selectbox("Model", ids, key="tr-model") or ids[0]
    model = next(m for m in models if m.model_id == chosen)
    _versions(model)
    dataset = next((d for d in datasets if d.name == model.dataset), None)
    _retrain(client, model, dataset)
    _delete(client, model)


def _versions(model: Model) -> None:
    st.markdown(f"#### `{model.model_id}`: {model.model_class}, {state_badge(model.state)}")
    if model.error:
        st.error(f"Version {model.version} failed: {model.error}", icon=":material/cancel:")
    table, config = _with_clearml_links(frames.model_versions_frame(model))
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    metrics = frames.metrics_frame(model)
    if not metrics.empty:
        st.markdown("**Metrics across versions**")
        st.bar_chart(metrics, stack=False, sort=False)


def _with_clearml_links(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, ColumnConfig]]:
    """Turn ClearML ids into links to the ClearML web UI when CLEARML_WEB_HOST is set."""
    config: dict[str, ColumnConfig] = {}
    for column, kind in CLEARML_COLUMNS.items():
        if column not in table or not table[column].any():
            table = table.drop(columns=column, errors="ignore")
            continue
        if clearml_enabled():
            table[column] = [clearml_url(kind, i) for i in table[column]]
            config[column] = st.column_config.LinkColumn(column, display_text=r".*/([^/]+)$")
    return table, config


def _retrain(client: Client, model: Model, dataset: Dataset | None) -> None:
    with st.expander(f"Retrain `{model.model_id}` (a new version)"):
        latest = model.latest
        text = st.text_area(
            "Hyperparameters (JSON; empty: reuse the latest version's)",
            value=json_text(latest.hyperparameters if latest else model.hyperparameters),
            height=200,
            key=f"tr-re-hp-{model.model_id}-{model.version}",
        )
        versions = [0] + [v.version for v in reversed(dataset.versions)] if dataset else [0]
        dataset_version = st.selectbox(
            "Dataset version",
            versions,
            format_func=lambda v: f"v{v}" if v else "latest",
            key=f"tr-re-dsv-{model.model_id}",
        )
        if st.button("Retrain", key=f"tr-retrain-{model.model_id}", type="primary"):
            _do_retrain(client, model, text, int(dataset_version or 0))


def _do_retrain(client: Client, model: Model, text: str, dataset_version: int) -> None:
    try:
        hyperparameters = parse_json_object(text) if text.strip() else None
    except ValueError as exc:
        input_error(f"**Hyperparameters are {exc}.** Nothing was sent.")
        return
    retrained = attempt(
        client.retrain_model, model.model_id, hyperparameters, dataset_version=dataset_version
    )
    if retrained is not None:
        monitor.watch(retrained.model_id)
        st.rerun()


def _delete(client: Client, model: Model) -> None:
    with st.expander(f"Delete `{model.model_id}`"):
        st.caption("Deletes every version and its weights, and cancels a training in flight.")
        what = f"`{model.model_id}` and its {len(model.versions)} versions"
        if confirm_button("Delete model", f"tr-delete-{model.model_id}", what) and succeeded(
            client.delete_model, model.model_id
        ):
            flash("training", f"Deleted {what}.")
            st.rerun()
