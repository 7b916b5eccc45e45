"""The physical limit: the same fitted pipeline called in this process, no service in between."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bench.load import LoadResult, summarize
from server.models.registry import LocalModelRegistry
from server.models.trusted_types import load_weights
from server.settings import Settings


def _registry(data_dir: Path) -> LocalModelRegistry:
    return LocalModelRegistry(Settings(data_dir=data_dir).resolved().models_dir)


def load_served_pipeline(data_dir: Path, model_id: str, version: int) -> Any:
    """The weights the service saved for a model version, loaded as the service loads them."""
    return load_weights(_registry(data_dir).weights_path(model_id, version))


def load_served_compiled(data_dir: Path, model_id: str, version: int) -> Any | None:
    """The version's compiled (ONNX) model in an ONNX Runtime session, None when it has none."""
    from server.models.compiled.session import load_compiled

    path = _registry(data_dir).compiled_path(model_id, version)
    return None if path is None else load_compiled(path)


def time_calls(call: Callable[[], object], calls: int, max_seconds: float = 60.0) -> LoadResult:
    """Call `call` up to `calls` times (stopping after `max_seconds`); latencies as a LoadResult."""
    call()  # warm-up: first-call caches, lazy imports
    latencies: list[float] = []
    started = time.perf_counter()
    while len(latencies) < calls and time.perf_counter() - started < max_seconds:
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    return summarize(latencies, [], sum(latencies))


def predict_only(pipeline: Any, frame: pd.DataFrame) -> Callable[[], object]:
    """`pipeline.predict(frame)`: the least work that yields the predictions."""
    return lambda: pipeline.predict(frame)


def onnx_run(compiled: Any, frame: pd.DataFrame) -> Callable[[], object]:
    """The compiled model's session run on the frame's tensors, prepared as the server does."""
    from server.models.compiled.inputs import frame_feeds
    from server.models.compiled.session import run
    from server.models.frames import NUMBER

    feeds = frame_feeds(frame, dict.fromkeys(frame.columns, NUMBER))  # benchmark data: numbers
    return lambda: run(compiled, feeds)


def predict_with_probabilities(pipeline: Any, frame: pd.DataFrame) -> Callable[[], object]:
    """`predict` and `predict_proba`: what a Predict response of a classifier carries."""
    return lambda: (pipeline.predict(frame), pipeline.predict_proba(frame))


def fit_like_the_service(frame: pd.DataFrame, target: str, estimator: Any, seed: int) -> float:
    """Seconds to fit the service's pipeline on the service's train split, in this process."""
    from sklearn.model_selection import train_test_split

    from server.models.frames import NUMBER
    from server.models.training.pipeline import build_pipeline

    x = frame.drop(columns=[target]).astype("float64")
    y = frame[target]
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    pipeline = build_pipeline(estimator, dict.fromkeys(x.columns, NUMBER))
    started = time.perf_counter()
    pipeline.fit(x_train, y_train)
    return time.perf_counter() - started
