"""The models the predict and batch scenarios serve: trained through our API, then loaded."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import grpc
import pandas as pd

from bench import api
from bench.config import SEED
from bench.inprocess import load_served_compiled, load_served_pipeline, onnx_run, predict_only


@dataclass(frozen=True)
class ModelSpec:
    """A model to train: id, class, hyperparameters, and the dataset it is trained on."""

    model_id: str
    label: str
    model_class: str
    dataset_id: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)

    def with_trees(self, trees: int) -> "ModelSpec":
        """The same spec with `n_estimators=trees` when it has trees."""
        if "n_estimators" not in self.hyperparameters:
            return self
        params = {**self.hyperparameters, "n_estimators": trees}
        label = f"{self.label.partition('(')[0]}({trees})"
        return replace(self, hyperparameters=params, label=label)


IRIS_LR = ModelSpec("iris-lr", "iris LogisticRegression", "LogisticRegression", "iris")
SYNTH_RF = ModelSpec(
    "synth-rf",
    "20-feature RandomForest(100)",
    "RandomForestClassifier",
    "synth",
    {"n_estimators": 100},
)
SYNTH_LR = ModelSpec("synth-lr", "20-feature LogisticRegression", "LogisticRegression", "synth")


@dataclass
class ServedModel:
    """A READY model of our service with its fitted pipeline loaded here, and sample data."""

    spec: ModelSpec
    name: str
    version: int
    feature_columns: list[str]
    pipeline: Any
    features: pd.DataFrame
    engine: str = "sklearn"  # the engine the service answers with by default
    compiled: Any = None  # the ONNX Runtime session when the service compiled the model

    def frame(self, count: int) -> pd.DataFrame:
        """The first `count` feature rows as the float64 frame the pipeline takes."""
        return self.features.head(count).astype("float64").reset_index(drop=True)

    def serving_call(self, frame: pd.DataFrame) -> Callable[[], object]:
        """In-process prediction with the engine the service uses: ONNX session or pipeline."""
        if self.engine == "onnx" and self.compiled is not None:
            return onnx_run(self.compiled, frame)
        return predict_only(self.pipeline, frame)


def train_served(
    channel: grpc.Channel, spec: ModelSpec, data: pd.DataFrame, data_dir: Path
) -> ServedModel:
    """Train `spec` through the API (dataset already uploaded), wait until it is READY and
    compiled (the engine it serves with is final then), load its weights."""
    request = api.train_request(
        spec.model_id, spec.model_class, spec.dataset_id, spec.hyperparameters, SEED
    )
    ready = api.train_and_wait(channel, request, timeout=1800)
    model = api.wait_compiled(channel, ready.name, timeout=1800)
    version = model.serving_version
    pipeline = load_served_pipeline(data_dir, spec.model_id, version)
    compiled = load_served_compiled(data_dir, spec.model_id, version)
    features = data[list(model.feature_columns)]
    columns = list(model.feature_columns)
    engine = model.engine or "sklearn"
    return ServedModel(spec, model.name, version, columns, pipeline, features, engine, compiled)
