"""Training tab: train a new model, watch it train, and manage the models (see `models`)."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard.client import Client, TrainSpec
from dashboard.resources import Dataset, DatasetVersion, ModelClass, short_id
from dashboard.tabs import models, monitor
from dashboard.widgets import (
    attempt,
    enum_label,
    input_error,
    json_text,
    parse_json_object,
    show_flash,
)

EDITOR_HEIGHT = 300


@st.cache_data(ttl=300, show_spinner=False)
def _model_classes(_client: Client, base_url: str) -> list[ModelClass]:
    return _client.list_model_classes()


def render(client: Client) -> None:
    """Draw the Training tab."""
    show_flash("training")
    classes = attempt(_model_classes, client, client.base_url)
    datasets = attempt(client.list_datasets)
    if classes is None or datasets is None:
        return
    st.subheader("Train a new model")
    _new_model(client, classes, datasets)
    monitor.render(client)
    st.divider()
    models.render(client, datasets)


def _new_model(client: Client, classes: list[ModelClass], datasets: list[Dataset]) -> None:
    if not classes:
        st.warning("The service offers no model classes.")
        return
    model_class = _pick_class(classes)
    specs, editor = st.columns([3, 2])
    specs.dataframe(
        _specs_frame(model_class),
        hide_index=True,
        height=EDITOR_HEIGHT + 30,
        column_config={"description": st.column_config.TextColumn(width="large")},
    )
    hyperparameters = editor.text_area(
        "Hyperparameters (JSON; omitted ones take their defaults)",
        value=json_text(model_class.defaults()),
        height=EDITOR_HEIGHT,
        key=f"tr-hp-{model_class.name}",
    )
    if not datasets:
        st.info("Upload a dataset in the Datasets tab to train on it.")
        return
    spec = _pick_data(model_class, datasets)
    if spec is not None and st.button("Start training", key="tr-start", type="primary"):
        _start(client, spec, hyperparameters)


def _pick_class(classes: list[ModelClass]) -> ModelClass:
    by_name = {c.name: c for c in classes}
    name = st.selectbox(
        "Model class",
        list(by_name),
        key="tr-class",
        format_func=lambda n: f"{n} ({enum_label(by_name[n].task).lower()})",
    )
    chosen = by_name[name or classes[0].name]
    st.caption(chosen.description)
    return chosen


def _specs_frame(model_class: ModelClass) -> pd.DataFrame:
    rows = [
        {
            "name": s.name,
            "type": s.type,
            "default": json_text(s.typed_default),
            "description": s.description,
        }
        for s in model_class.hyperparameters
    ]
    return pd.DataFrame(rows, columns=["name", "type", "default", "description"])


def _pick_data(model_class: ModelClass, datasets: list[Dataset]) -> TrainSpec | None:
    left, right = st.columns(2)
    names = [d.dataset_id for d in datasets]
    dataset_id = left.selectbox("Dataset", names, key="tr-dataset") or names[0]
    dataset = next(d for d in datasets if d.dataset_id == dataset_id)
    numbers = [v.version for v in reversed(dataset.versions)]
    number = right.selectbox("Dataset version", numbers, key=f"tr-dsv-{dataset_id}")
    version = dataset.version(number or 0)
    if version is None or not version.columns:
        st.warning("This dataset version has no columns.")
        return None
    target, features = _pick_columns(version)
    return _split_options(model_class, dataset_id, version.version, target, features)


def _pick_columns(version: DatasetVersion) -> tuple[str, list[str]]:
    columns = [c.name for c in version.columns]
    key = f"{short_id(version.dataset)}-v{version.version}"
    target = st.selectbox("Target column", columns, index=len(columns) - 1, key=f"tr-t-{key}")
    others = [c for c in columns if c != target]
    features = st.multiselect(
        "Feature columns (empty: every other column)",
        others,
        default=others,
        key=f"tr-f-{key}-{target}",
    )
    return str(target), list(features)


def _split_options(
    model_class: ModelClass, dataset_id: str, version: int, target: str, features: list[str]
) -> TrainSpec:
    model_id, test_size, seed = st.columns(3)
    chosen_id = model_id.text_input(
        "Model id (optional)", key="tr-model-id", placeholder="generated"
    )
    fraction = test_size.number_input("Test size", 0.05, 0.9, 0.2, step=0.05, key="tr-test-size")
    random_state = seed.number_input("Random state", 0, 2**31 - 1, 0, key="tr-random-state")
    return TrainSpec(
        model_class=model_class.name,
        dataset_id=dataset_id,
        target_column=target,
        feature_columns=tuple(features),
        model_id=chosen_id.strip(),
        dataset_version=version,
        test_size=float(fraction),
        random_state=int(random_state),
    )


def _start(client: Client, spec: TrainSpec, hyperparameters: str) -> None:
    try:
        values = parse_json_object(hyperparameters)
    except ValueError as exc:
        input_error(f"**Hyperparameters are {exc}.** Nothing was sent.")
        return
    model = attempt(client.train_model, replace(spec, hyperparameters=values))
    if model is not None:
        monitor.watch(model.model_id)
        st.rerun()
