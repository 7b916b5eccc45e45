"""Predict: pick the version and engine, load the model (bounded LRU caches), predict in a thread.

The compiled (ONNX) model answers when the version has one (docs/onnx.md), else the
scikit-learn pipeline.
"""

import asyncio
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
from loguru import logger
from sklearn.pipeline import Pipeline

from server.errors import FailedPrecondition, NotFound, ServiceError, Unavailable
from server.metrics import hooks as metrics_hooks
from server.models.classes import Task
from server.models.compiled.choice import checked_engine, choose_engine
from server.models.compiled.outcome import ONNX, SKLEARN
from server.models.compiled.serve import CompiledCache, predict_compiled
from server.models.compiled.session import CompiledModel
from server.models.ports import ModelRegistry
from server.models.prediction import Prediction
from server.models.records import ModelRecord, ModelState, VersionRecord
from server.models.rows import Rows, rows_to_frame
from server.models.trusted_types import load_weights
from server.models.values import to_json_value
from server.settings import Settings

# Compiled predictions of at most this many rows run inline on the event loop (tens of
# microseconds of ONNX Runtime, which releases the GIL; a thread hop costs more).
INLINE_ROWS = 64


class PipelineCache:
    """At most `size` loaded pipelines, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int], Pipeline] = OrderedDict()

    async def get(self, model_id: str, version: int, path: Path) -> Pipeline:
        """The pipeline of a version, loaded from `path` (in a thread) when not cached."""
        key = (model_id, version)
        if key in self._items:
            self._items.move_to_end(key)
            metrics_hooks.model_cache_hit(SKLEARN)  # metrics
            return self._items[key]
        with metrics_hooks.model_load(SKLEARN):  # metrics: a miss, and the load time
            pipeline: Pipeline = await asyncio.to_thread(load_weights, path)
        self._items[key] = pipeline
        while len(self._items) > self.size:
            self._items.popitem(last=False)
            metrics_hooks.model_cache_evicted(SKLEARN)  # metrics
        return pipeline

    def invalidate(self, model_id: str) -> None:
        """Forget every version of a model."""
        for key in [k for k in self._items if k[0] == model_id]:
            del self._items[key]


def predict_rows(
    pipeline: Pipeline,
    task: Task,
    rows: Rows,
    version: VersionRecord,
    max_rows: int,
) -> Prediction:
    """Check the rows, build the frame, predict: run it in a worker thread, not the event loop.

    Even one row costs milliseconds in a pipeline (more under load), a thread hop about 0.1 ms.
    """
    frame = rows_to_frame(rows, version.feature_types, max_rows)
    return predict(pipeline, task, frame, version.version)


def predict(pipeline: Pipeline, task: Task, frame: pd.DataFrame, version: int) -> Prediction:
    """Run the pipeline on the frame: labels or values, and classes and probabilities."""
    predicted = np.asarray(pipeline.predict(frame))
    if task is not Task.CLASSIFICATION:
        return Prediction(predicted, version, engine=SKLEARN)
    classes = [to_json_value(c) for c in pipeline.classes_]
    probabilities = None
    if hasattr(pipeline, "predict_proba"):
        probabilities = np.asarray(pipeline.predict_proba(frame))
    return Prediction(predicted, version, classes, probabilities, engine=SKLEARN)


def servable_version(model: ModelRecord, requested: int) -> VersionRecord:
    """The version to predict with: READY, and the serving one when none is requested."""
    name = f"models/{model.model_id}"
    if requested == 0:
        if model.serving_version == 0:
            latest = model.latest
            raise FailedPrecondition(
                f"{name} has no READY version yet (v{latest.version} is {latest.state.value})"
            )
        requested = model.serving_version
    found = model.version(requested)
    if found is None:
        raise NotFound(f"{name} has no version {requested}")
    if found.state is not ModelState.READY:
        raise FailedPrecondition(f"{name} v{requested} is {found.state.value}, not READY")
    return found


class Predictor:
    """Serves predictions from the registry's models, keeping recent ones loaded."""

    def __init__(self, registry: ModelRegistry, settings: Settings) -> None:
        self._registry = registry
        self._max_rows = settings.max_predict_rows
        self._cache = PipelineCache(settings.model_cache_size)
        self._compiled = CompiledCache(settings.model_cache_size)

    async def predict(
        self, model_id: str, version: int, rows: Rows, engine: str = ""
    ) -> Prediction:
        """Predict with the serving version (or `version`), on `engine` if pinned; log failures."""
        try:
            pinned = checked_engine(engine)
            model = self._registry.get(model_id)
            chosen = servable_version(model, version)
            if choose_engine(pinned, model_id, chosen, len(rows)) == ONNX:
                answer = await self._predict_compiled(model, chosen, rows, pinned)
                if answer is not None:
                    return answer
            # In a thread: the ClearML registry may download the weights first.
            path = await asyncio.to_thread(self._registry.weights_path, model_id, chosen.version)
            pipeline = await self._cache.get(model_id, chosen.version, path)
            return await asyncio.to_thread(
                predict_rows, pipeline, model.task, rows, chosen, self._max_rows
            )
        except ServiceError as error:
            logger.warning("predict models/{} failed: {}", model_id, error)
            raise

    async def _predict_compiled(
        self, model: ModelRecord, chosen: VersionRecord, rows: Rows, pinned: str
    ) -> Prediction | None:
        """The compiled model's answer; None to fall back to scikit-learn (unless pinned).

        Up to `INLINE_ROWS` rows run on the event loop: the whole prediction then costs less
        than the hop to a worker thread.
        """
        compiled = self._compiled.cached(model.model_id, chosen.version)
        if compiled is None:
            compiled = await self._load_compiled(model.model_id, chosen, pinned)
            if compiled is None:
                return None
        if len(rows) <= INLINE_ROWS:
            return predict_compiled(compiled, model.task, rows, chosen, self._max_rows)
        return await asyncio.to_thread(
            predict_compiled, compiled, model.task, rows, chosen, self._max_rows
        )

    async def _load_compiled(
        self, model_id: str, chosen: VersionRecord, pinned: str
    ) -> CompiledModel | None:
        """Load a version's compiled model; None (or FAILED_PRECONDITION if pinned) if lost.

        While ClearML cannot be reached, an ONNX file that must be downloaded is skipped:
        scikit-learn answers (cached weights keep predicting), unless ONNX is pinned.
        """
        name = f"models/{model_id} v{chosen.version}"
        try:
            # In a thread: the ClearML registry may download the ONNX file first.
            path = await asyncio.to_thread(self._registry.compiled_path, model_id, chosen.version)
        except Unavailable as error:
            if pinned == ONNX:
                raise
            logger.warning(
                "{}: compiled model unavailable, answering with scikit-learn: {}", name, error
            )
            return None
        if path is None:
            if pinned == ONNX:
                raise FailedPrecondition(f"{name} has lost its compiled (ONNX) model")
            logger.warning("{}: compiled model missing, answering with scikit-learn", name)
            return None
        return await self._compiled.load(model_id, chosen.version, path)

    def forget(self, model_id: str) -> None:
        """Drop a deleted model's pipelines and compiled models."""
        self._cache.invalidate(model_id)
        self._compiled.invalidate(model_id)
