"""Predict with a compiled model, and the bounded cache of loaded ONNX Runtime sessions.

Rows become tensors exactly as they become the pipeline's frame.
"""

import asyncio
from collections import OrderedDict
from pathlib import Path

from server.metrics import hooks as metrics_hooks
from server.models.classes import Task
from server.models.compiled.inputs import Unrepresentable, rows_feeds
from server.models.compiled.outcome import ONNX
from server.models.compiled.session import CompiledModel, load_compiled, run
from server.models.prediction import Prediction
from server.models.records import VersionRecord
from server.models.rows import Rows


def predict_compiled(
    compiled: CompiledModel,
    task: Task,
    rows: Rows,
    version: VersionRecord,
    max_rows: int,
) -> Prediction | None:
    """The compiled model's answer; None when the rows need scikit-learn (`Unrepresentable`)."""
    try:
        feeds = rows_feeds(rows, version.feature_types, max_rows)
    except Unrepresentable:
        return None
    predictions, probabilities = run(compiled, feeds)
    if task is not Task.CLASSIFICATION:
        return Prediction(predictions, version.version, engine=ONNX)
    classes = list(compiled.classes)
    return Prediction(predictions, version.version, classes, probabilities, engine=ONNX)


class CompiledCache:
    """At most `size` loaded ONNX sessions, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int], CompiledModel] = OrderedDict()

    def cached(self, model_id: str, version: int) -> CompiledModel | None:
        """The loaded session of a version, if it is in the cache (counted as a hit)."""
        key = (model_id, version)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            metrics_hooks.model_cache_hit(ONNX)  # metrics
        return found

    async def load(self, model_id: str, version: int, path: Path) -> CompiledModel:
        """Load the session of a version from `path` (in a thread) and keep it."""
        key = (model_id, version)
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
