"""Small datasets and helpers for the model tests: real dataset stores, real training code."""

import io
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes, load_iris

from server.datasets.store import DvcDatasetStore
from server.models.classes import Task, get_model_class
from server.models.frames import feature_kind
from server.models.records import ModelState, VersionRecord, utc_now
from server.models.training.job import TrainJob
from server.ports import DatasetVersionRecord
from server.settings import Settings

# Few trees / iterations so every class trains in well under a second.
FAST = {
    "RandomForestClassifier": {"n_estimators": 5},
    "RandomForestRegressor": {"n_estimators": 5},
    "GradientBoostingClassifier": {"n_estimators": 5},
    "GradientBoostingRegressor": {"n_estimators": 5},
    "HistGradientBoostingClassifier": {"max_iter": 5},
    "HistGradientBoostingRegressor": {"max_iter": 5},
    "LogisticRegression": {"max_iter": 500},
}


def iris() -> pd.DataFrame:
    """Iris: 4 numeric features, integer target 0..2."""
    return load_iris(as_frame=True).frame


def diabetes() -> pd.DataFrame:
    """Diabetes: 10 numeric features, numeric target."""
    return load_diabetes(as_frame=True).frame


def mixed(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """Numbers and a string column, both with missing values; string labels."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=rows).astype(object)
    size = rng.normal(10, 3, size=rows)
    label = np.where((colour == "red") | (size > 11), "yes", "no")
    colour[::7] = None
    size[::5] = np.nan
    return pd.DataFrame(
        {"colour": colour, "size": size, "weight": rng.normal(size=rows), "label": label}
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV bytes."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def model_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings with everything under `data_dir`."""
    return Settings(data_dir=data_dir, **overrides).resolved()  # type: ignore[arg-type]


async def upload_frame(
    store: DvcDatasetStore, dataset_id: str, frame: pd.DataFrame
) -> DatasetVersionRecord:
    """Store a frame as the next CSV version of `dataset_id`."""
    return await store.upload(dataset_id, "csv", "", _one_chunk(csv_bytes(frame)))


def job_for(
    store: DvcDatasetStore,
    record: DatasetVersionRecord,
    model_class: str,
    target: str,
    output: Path,
    **hyperparameters: object,
) -> TrainJob:
    """A training job on every other column of a stored dataset version."""
    features = {c.name: feature_kind(c.dtype) for c in record.columns if c.name != target}
    return TrainJob(
        model_id="test",
        version=1,
        model_class=model_class,
        hyperparameters={**FAST.get(model_class, {}), **hyperparameters},
        dataset_path=str(store.local_path(record)),
        dataset_format=record.format,
        target_column=target,
        feature_types=features,
        test_size=0.25,
        random_state=0,
        output_path=str(output),
    )


def task_of(model_class: str) -> Task:
    """The task of a class, by name."""
    return get_model_class(model_class).task


def large_offsets(rows: int = 200) -> pd.DataFrame:
    """A regression whose feature needs float64: 1e8 + k, where float32 steps by 8."""
    k = np.arange(rows, dtype="float64")
    return pd.DataFrame({"x": 1e8 + k, "y": k})


def ready_version(feature_types: dict[str, str], engine: str = "onnx") -> VersionRecord:
    """A READY version record with these feature columns, served by `engine`."""
    now = utc_now()
    return VersionRecord(
        1, ModelState.READY, "x", {}, 1, 0.2, 0, feature_types, "run", now, now, engine=engine
    )


# A forest that fits in a few seconds but takes longer to compile (deep trees on noise):
# tests see its version READY, served by scikit-learn, while the compiling still runs.
SLOW_COMPILE = {"n_estimators": 200}


def noise(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    """4 random numeric features and a random 0/1 label: every tree grows to full depth."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, 4)).round(6), columns=["a", "b", "c", "d"])
    frame["label"] = rng.integers(0, 2, rows)
    return frame
