"""Pandas tables and charts data built from API resources (no Streamlit, no HTTP)."""

import io
import itertools
import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.resources import Dataset, DatasetVersion, Model, Prediction

HISTOGRAM_BINS = 20


def datasets_frame(datasets: Iterable[Dataset]) -> pd.DataFrame:
    """One row per dataset: name, latest version, rows, columns, size, updated."""
    rows = []
    for dataset in datasets:
        latest = dataset.version()
        rows.append(
            {
                "name": dataset.dataset_id,
                "latest version": dataset.latest_version,
                "rows": latest.row_count if latest else 0,
                "columns": len(latest.columns) if latest else 0,
                "size (bytes)": latest.size_bytes if latest else 0,
                "updated": dataset.update_time,
            }
        )
    return pd.DataFrame(rows)


def versions_frame(dataset: Dataset) -> pd.DataFrame:
    """One row per version of a dataset, newest first."""
    rows = [
        {
            "version": v.version,
            "md5": v.md5,
            "size (bytes)": v.size_bytes,
            "rows": v.row_count,
            "columns": len(v.columns),
            "format": v.format.removeprefix("DATA_FORMAT_"),
            "description": v.description,
            "created": v.create_time,
        }
        for v in reversed(dataset.versions)
    ]
    return pd.DataFrame(rows)


def columns_frame(version: DatasetVersion) -> pd.DataFrame:
    """The columns of a version: name, dtype and missing values."""
    return pd.DataFrame(
        [{"column": c.name, "dtype": c.dtype, "missing": c.null_count} for c in version.columns]
    )


def preview_frame(dataset: Dataset) -> pd.DataFrame:
    """The preview rows as a table, numeric columns as numbers."""
    frame = pd.DataFrame(list(dataset.preview_rows), columns=list(dataset.preview_columns))
    version = dataset.version(dataset.preview_version)
    for column in version.columns if version else ():
        if column.numeric and column.name in frame:
            frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce")
    return frame


def summary_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """describe() of every column, one row per column, as display strings."""
    if frame.empty:
        return pd.DataFrame()
    summary = frame.describe(include="all").transpose()
    return summary.map(_display)


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def histogram(series: pd.Series) -> pd.DataFrame:
    """Counts per bin for numbers, per value (top 20) otherwise, in display order."""
    values = series.dropna()
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 1:
        counts, edges = np.histogram(values, bins=min(HISTOGRAM_BINS, values.nunique()))
        labels = [f"{low:.3g} to {high:.3g}" for low, high in itertools.pairwise(edges)]
        return pd.DataFrame({"bin": labels, "rows": counts}).set_index("bin")
    top = values.astype(str).value_counts().head(HISTOGRAM_BINS)
    return pd.DataFrame({"value": top.index, "rows": top.to_numpy()}).set_index("value")


def plain(value: Any) -> Any:
    """A cell as a JSON value: None for missing, Python numbers, strings otherwise."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | bool | str) else str(value)


def feature_rows(frame: pd.DataFrame, features: Sequence[str]) -> list[list[Any]]:
    """Rows for Predict in the model's feature order; ValueError names missing columns."""
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ValueError(f"the input lacks the model's feature columns: {', '.join(missing)}")
    return [[plain(v) for v in row] for row in frame[list(features)].itertuples(index=False)]


def read_batch(data: bytes) -> pd.DataFrame:
    """Parse a pasted or uploaded CSV batch; ValueError when it is not a CSV table."""
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a CSV table with a header row: {exc}") from exc
    if frame.empty:
        raise ValueError("the CSV has a header but no rows")
    return frame


def whole_numbers(values: Sequence[Any]) -> list[Any]:
    """JSON numbers as ints when every one is whole (class labels 0.0, 1.0 → 0, 1)."""
    if values and all(isinstance(v, float) and v.is_integer() for v in values):
        return [int(v) for v in values]
    return list(values)


def results_frame(inputs: pd.DataFrame, prediction: Prediction, target: str) -> pd.DataFrame:
    """The inputs with a prediction column and, for classifiers, one column per class."""
    out = inputs.reset_index(drop=True).copy()
    out[f"predicted {target}".strip()] = whole_numbers(prediction.predictions)
    probabilities = probabilities_frame(prediction)
    for column in probabilities.columns:
        out[column] = probabilities[column].to_numpy()
    return out


def probabilities_frame(prediction: Prediction) -> pd.DataFrame:
    """Per-row class probabilities, columns "P(class)"; empty for regressors."""
    if not prediction.probabilities:
        return pd.DataFrame()
    columns = [f"P({label})" for label in whole_numbers(prediction.classes)]
    frame = pd.DataFrame([list(p) for p in prediction.probabilities], columns=columns)
    frame.index = pd.Index([f"row {i + 1}" for i in range(len(frame))], name="row")
    return frame


def models_frame(models: Iterable[Model]) -> pd.DataFrame:
    """One row per model: state, versions, data and the latest metrics."""
    rows = []
    for model in models:
        row = {
            "model": model.model_id,
            "class": model.model_class,
            "state": model.state.removeprefix("MODEL_STATE_"),
            "version": model.version,
            "serving": model.serving_version or None,
            "dataset": f"{model.dataset.removeprefix('datasets/')} v{model.dataset_version}",
            "target": model.target_column,
        }
        rows.append(row | {k: round(v, 4) for k, v in sorted(model.metrics.items())})
    return pd.DataFrame(rows)


def model_versions_frame(model: Model) -> pd.DataFrame:
    """One row per version of a model: state, data, split, metrics, ClearML ids."""
    rows = []
    for v in reversed(model.versions):
        row = {
            "version": v.version,
            "state": v.state.removeprefix("MODEL_STATE_"),
            "class": v.model_class,
            "dataset version": v.dataset_version,
            "test size": v.test_size,
            "random state": v.random_state,
            "hyperparameters": json.dumps(v.hyperparameters, sort_keys=True),
            "clearml task": v.clearml_task_id,
            "clearml model": v.clearml_model_id,
            "updated": v.update_time,
            "error": v.error,
        }
        rows.append(row | {k: round(x, 4) for k, x in sorted(v.metrics.items())})
    return pd.DataFrame(rows)


def metrics_frame(model: Model) -> pd.DataFrame:
    """Metrics across versions: index "v1", "v2"..., one column per metric."""
    rows = {f"v{v.version}": v.metrics for v in model.versions if v.metrics}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "version"
    return frame
