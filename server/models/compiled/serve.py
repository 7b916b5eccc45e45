"""Predict with a compiled model, and the bounded cache of loaded ONNX Runtime sessions.

Rows become tensors exactly as they become the pipeline's frame; outputs become plain JSON.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.metrics import hooks as metrics_hooks
from server.models.classes import Task
from server.models.compiled.inputs import Unrepresentable, rows_feeds
from server.models.compiled.outcome import ONNX
from server.models.compiled.session import CompiledModel, load_compiled, run
from server.models.prediction import Prediction
from server.models.records import VersionRecord
from server.models.values import to_json_value


def predict_compiled(
    compiled: CompiledModel,
    task: Task,
    rows: Sequence[Sequence[Any]],
    version: VersionRecord,
    max_rows: int,
) -> Prediction | None:
    """The compiled model's answer; None when the rows need scikit-learn (`Unrepresentable`)."""
    try:
        feeds = rows_feeds(rows, version.feature_types, max_rows)
    except Unrepresentable:
        return None
    predictions, probabilities = run(compiled, feeds)
    predicted = [to_json_value(v) for v in predictions]
    if task is not Task.CLASSIFICATION:
        return Prediction(predicted, version.version, engine=ONNX)
    rows_of_probabilities: list[list[float]] = []
    if probabilities is not None:
        rows_of_probabilities = [[float(p) for p in row] for row in probabilities]
    classes = list(compiled.classes)
    return Prediction(predicted, version.version, classes, rows_of_probabilities, engine=ONNX)


class CompiledCache:
    """At most `size` loaded ONNX sessions, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int], CompiledModel] = OrderedDict()

    async def get(self, model_id: str, version: int, path: Path) -> CompiledModel:
        """The session of a version, loaded from `path` (in a thread) when not cached."""
        key = (model_id, version)
        if key in self._items:
            self._items.move_to_end(key)
            metrics_hooks.model_cache_hit(ONNX)  # metrics
            return self._items[key]
        with metrics_hooks.model_load(ONNX):  # metrics: a miss, and the load time
            compiled = await asyncio.to_thread(load_compiled, path)
        self._items[key] = compiled
        while len(self._items) > self.size:
            self._items.popitem(last=False)
            metrics_hooks.model_cache_evicted(ONNX)  # metrics
        return compiled

    def invalidate(self, model_id: str) -> None:
        """Forget every version of a model."""
        for key in [k for k in self._items if k[0] == model_id]:
            del self._items[key]
