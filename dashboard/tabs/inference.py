"""Inference tab: predict one row from a generated form or a CSV batch; show and download."""

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import frames
from dashboard.client import ApiError, Client, ServiceDown
from dashboard.resources import Column, Model, Prediction
from dashboard.widgets import attempt, input_error, show_error

RESULT_KEY = "inf-result"
MODES = ("One row", "CSV batch")
CHART_ROWS = 50


def render(client: Client) -> None:
    """Draw the Inference tab."""
    models = attempt(client.list_models)
    if models is None:
        return
    servable = [m for m in models if m.ready_versions()]
    if not servable:
        st.info("No model is READY yet: train one in the Training tab.")
        return
    model, version = _pick_model(servable)
    mode = st.radio("Input", MODES, horizontal=True, key="inf-mode")
    inputs = _one_row(client, model, version) if mode == MODES[0] else _batch(model)
    if inputs is not None:
        _predict(client, model, version, inputs)
    _results(model)


def _pick_model(models: list[Model]) -> tuple[Model, int]:
    by_id = {m.model_id: m for m in models}
    left, right = st.columns(2)
    chosen = left.selectbox(
        "Model",
        list(by_id),
        key="inf-model",
        format_func=lambda i: f"{i} ({by_id[i].model_class}, serving v{by_id[i].serving_version})",
    )
    model = by_id[chosen or next(iter(by_id))]
    version = right.selectbox(
        "Version",
        [0, *model.ready_versions()],
        key=f"inf-version-{model.model_id}",
        format_func=lambda v: f"v{v}" if v else f"serving (v{model.serving_version})",
    )
    st.caption(f"Features in order: {', '.join(model.feature_columns)} → `{model.target_column}`")
    return model, int(version or 0)


def _schema(client: Client, model: Model, version: int) -> tuple[dict[str, Column], list[Any]]:
    """The feature columns' dtypes and a sample row from the dataset version trained on."""
    number = version or model.serving_version
    trained = next((v for v in model.versions if v.version == number), model.latest)
    dataset_version = trained.dataset_version if trained else model.dataset_version
    try:
        dataset = client.get_dataset(model.dataset, dataset_version, preview_rows=1)
    except (ApiError, ServiceDown):
        return {}, []
    columns = dataset.version(dataset.preview_version)
    dtypes = {c.name: c for c in columns.columns} if columns else {}
    sample = dict(zip(dataset.preview_columns, dataset.preview_rows[0], strict=False))
    return dtypes, [sample.get(f) for f in model.feature_columns] if dataset.preview_rows else []


def _one_row(client: Client, model: Model, version: int) -> pd.DataFrame | None:
    dtypes, sample = _schema(client, model, version)
    if not dtypes:
        st.caption("The training data's column types are unavailable: every field is text.")
    form = f"inf-row-{model.model_id}-{version}"
    with st.form(form):
        places = st.columns(min(4, max(1, len(model.feature_columns))))
        values = [
            _field(
                places[i % len(places)], form, name, dtypes.get(name), sample[i] if sample else None
            )
            for i, name in enumerate(model.feature_columns)
        ]
        submitted = st.form_submit_button("Predict", type="primary")
    return pd.DataFrame([values], columns=list(model.feature_columns)) if submitted else None


def _field(place: Any, form: str, name: str, column: Column | None, default: Any) -> Any:
    """A number_input for numeric columns, a text_input (empty: missing) otherwise."""
    key = f"inf-field-{form}-{name}"
    if column is not None and column.numeric:
        if column.dtype.lower().startswith(("int", "uint")):
            whole = None if default is None else int(default)
            return place.number_input(name, value=whole, step=1, key=key)
        real = None if default is None else float(default)
        return place.number_input(name, value=real, format="%g", key=key)
    text = place.text_input(name, value="" if default is None else str(default), key=key)
    return text or None


def _batch(model: Model) -> pd.DataFrame | None:
    file = st.file_uploader("CSV file with a header row", type=["csv"], key="inf-batch-file")
    pasted = st.text_area(
        "…or paste CSV",
        key="inf-batch-text",
        placeholder=",".join(model.feature_columns) + "\n…",
        height=150,
    )
    if not st.button("Predict batch", key="inf-batch", type="primary"):
        return None
    st.session_state.pop(RESULT_KEY, None)
    data = file.getvalue() if file is not None else pasted.strip().encode()
    if not data:
        input_error("Upload a CSV file or paste CSV text first.")
        return None
    try:
        return frames.read_batch(data)
    except ValueError as exc:
        input_error(f"**The batch is {exc}**")
        return None


def _predict(client: Client, model: Model, version: int, inputs: pd.DataFrame) -> None:
    st.session_state.pop(RESULT_KEY, None)
    try:
        rows = frames.feature_rows(inputs, model.feature_columns)
    except ValueError as exc:
        input_error(f"**Cannot predict: {exc}.**")
        return
    try:
        prediction = client.predict(model.model_id, rows, version)
    except (ApiError, ServiceDown) as exc:
        show_error(exc)
        return
    table = frames.results_frame(inputs, prediction, model.target_column)
    st.session_state[RESULT_KEY] = (model.model_id, prediction, table)


def _results(model: Model) -> None:
    stored = st.session_state.get(RESULT_KEY)
    if stored is None or stored[0] != model.model_id:
        return
    _, prediction, table = stored
    st.markdown(f"#### Predictions of `{model.model_id}` v{prediction.model_version}")
    if len(table) == 1:
        predicted = frames.whole_numbers(prediction.predictions)[0]
        st.metric(f"Predicted {model.target_column}", str(predicted))
    st.dataframe(table, width="stretch")
    _probabilities_chart(prediction)
    st.download_button(
        "Download CSV",
        table.to_csv(index=False).encode(),
        file_name=f"{model.model_id}-v{prediction.model_version}-predictions.csv",
        mime="text/csv",
        key="inf-download",
        on_click="ignore",
    )


def _probabilities_chart(prediction: Prediction) -> None:
    probabilities = frames.probabilities_frame(prediction)
    if probabilities.empty:
        return
    st.markdown("**Class probabilities**")
    if len(probabilities) == 1:
        single = probabilities.transpose()
        single.columns = ["probability"]
        st.bar_chart(single, sort=False)
    else:
        st.bar_chart(probabilities.head(CHART_ROWS), sort=False)
        st.caption(f"First {CHART_ROWS} rows." if len(probabilities) > CHART_ROWS else "")
