"""The model handlers: train, retrain, get, list, delete, predict; plus lifecycle and health.

Handlers know nothing of gRPC: they take plain values and raise `server.errors` only.
"""

import asyncio
import os
from collections import Counter

from loguru import logger

from server.clearml.bounded import ping
from server.errors import AlreadyExists, FailedPrecondition, NotFound
from server.logs import request_id
from server.metrics import hooks as metrics_hooks
from server.models.classes import ModelClass, model_classes
from server.models.compiled.outcome import INTERRUPTED
from server.models.listing import ListQuery, select_page
from server.models.planner import Planner
from server.models.ports import ModelRegistry
from server.models.records import ACTIVE_STATES, ModelRecord, ModelState
from server.models.registry import LocalModelRegistry
from server.models.requests import RetrainRequest, TrainRequest
from server.models.rows import Rows
from server.models.serving import Prediction, Predictor
from server.models.trainer import Trainer
from server.models.training.launcher import WorkerLauncher
from server.models.training.pool import QueuedRun, TrainingPool
from server.ports import DatasetStore
from server.settings import Settings

RESTARTED = "server restarted during training"
SHUT_DOWN = "server shut down during training"


class ModelManager:
    """Owns the registry, the training pool and the loaded-model cache."""

    def __init__(
        self, settings: Settings, datasets: DatasetStore, registry: ModelRegistry | None = None
    ) -> None:
        self._settings = settings
        self._registry = registry or LocalModelRegistry(settings.models_dir)
        self._planner = Planner(settings, datasets)
        threads = max(1, (os.cpu_count() or 1) // settings.training_workers)
        self._launcher = WorkerLauncher(settings.training_spare_workers, threads)
        trainer = Trainer(settings, self._registry, datasets, self._launcher)
        self._pool = TrainingPool(settings.training_workers, trainer.run)
        self._predictor = Predictor(self._registry, settings)

    async def start(self) -> None:
        """Fail versions left QUEUED/TRAINING by a previous process, then start the workers."""
        self._fail_active(RESTARTED)
        self._pool.start()
        logger.info("model manager started with {} training workers", self._pool.size)

    async def stop(self) -> None:
        """Kill running trainings and spares; fail the versions that were queued or training."""
        await self._pool.stop()
        await self._launcher.stop()
        try:
            self._fail_active(SHUT_DOWN)
        except Exception:  # the next start fails them instead
            logger.exception("could not mark the interrupted trainings FAILED")

    def _fail_active(self, reason: str) -> None:
        """Mark every QUEUED or TRAINING version FAILED, and every compiling one not compiled.

        Called when no run is in flight: a READY version left compiling keeps serving with
        scikit-learn, its note saying the compiling was interrupted.
        """
        for model in self._registry.list():
            for version in model.versions:
                if version.state in ACTIVE_STATES:
                    failed = version.evolve(state=ModelState.FAILED, error=reason)
                    self._registry.put_version(model.model_id, failed)
                    logger.warning("models/{} v{}: {}", model.model_id, version.version, reason)
                elif version.compiling:
                    stopped = version.evolve(engine_note=INTERRUPTED.note)
                    self._registry.put_version(model.model_id, stopped)
                    logger.warning(
                        "models/{} v{}: {}", model.model_id, version.version, stopped.engine_note
                    )

    def list_classes(self) -> list[ModelClass]:
        """Every trainable class with its hyperparameter specs."""
        return list(model_classes().values())

    async def train(self, request: TrainRequest) -> ModelRecord:
        """Validate, store the model with a QUEUED version 1, and queue its training."""
        if request.model_id and self._exists(request.model_id):
            raise AlreadyExists(f"model {request.model_id!r} already exists")
        model = await self._planner.new_model(request)
        await self._require_tracking()
        self._registry.create(model)
        self._submit(model.model_id, model.latest.version, model.latest.run_id)
        logger.info(
            "train models/{} v1 queued: {} on datasets/{} v{}, target {!r}",
            model.model_id, model.latest.model_class, model.dataset_id,
            model.latest.dataset_version, model.target_column,
        )  # fmt: skip
        return model

    async def retrain(self, request: RetrainRequest) -> ModelRecord:
        """Queue a new version; the serving version keeps serving until it is READY."""
        model = self._registry.get(request.model_id)
        version = await self._planner.next_version(model, request)
        await self._require_tracking()
        current = self._registry.get(request.model_id)  # re-read: no await from here on
        if current.latest.version != model.latest.version:
            raise FailedPrecondition(f"models/{model.model_id} changed meanwhile; try again")
        self._registry.put_version(model.model_id, version)
        self._submit(model.model_id, version.version, version.run_id)
        logger.info("retrain models/{} v{} queued", model.model_id, version.version)
        return self._registry.get(model.model_id)

    async def _require_tracking(self) -> None:
        """In ClearML mode, UNAVAILABLE (within 2 s) unless the ClearML API server answers."""
        if self._settings.clearml_enabled:
            await asyncio.to_thread(ping, self._settings.clearml_api_host)

    def _exists(self, model_id: str) -> bool:
        try:
            self._registry.get(model_id)
        except NotFound:
            return False
        return True

    def _submit(self, model_id: str, version: int, run_id: str) -> None:
        self._pool.submit(QueuedRun(model_id, version, run_id, request_id.get()))

    def get(self, model_id: str) -> ModelRecord:
        """One model with all its versions."""
        return self._registry.get(model_id)

    def list_models(self, query: ListQuery) -> tuple[list[ModelRecord], str]:
        """A page of models ordered by id, and the next page's token."""
        return select_page(self._registry.list(), query)

    async def delete(self, model_id: str) -> None:
        """Remove every version and the weights, and kill a training in flight."""
        # First: a queued run of it will now never start. In a thread: in ClearML mode this
        # deletes the ClearML models (UNAVAILABLE while it is down: nothing is deleted then).
        await asyncio.to_thread(self._registry.delete, model_id)
        self._predictor.forget(model_id)
        await self._pool.cancel(model_id)
        logger.info("deleted models/{}", model_id)

    async def predict(
        self, model_id: str, version: int, rows: Rows, engine: str = ""
    ) -> Prediction:
        """Predict with the serving version (or `version`); `engine` pins "onnx" or "sklearn"."""
        prediction = await self._predictor.predict(model_id, version, rows, engine)
        metrics_hooks.predicted(len(prediction.predictions), prediction.engine)  # metrics
        return prediction

    def check(self) -> list[tuple[str, str, str]]:
        """(component, "OK" | "DEGRADED" | "DOWN", message) for the registry and the workers."""
        try:
            registry = ("model_registry", "OK", self._registry.ping())
        except Exception as error:
            registry = ("model_registry", "DOWN", f"{type(error).__name__}: {error}")
        pool = self._pool
        usage = f"{pool.busy}/{pool.size} training, {pool.queued} queued"
        if pool.alive == pool.size:
            workers = ("training_workers", "OK", usage)
        else:
            state = "DOWN" if pool.alive == 0 else "DEGRADED"
            workers = ("training_workers", state, f"{pool.alive}/{pool.size} workers alive")
        return [registry, workers]

    def counts(self) -> dict[str, int]:
        """Models by the state of their latest version, e.g. {"MODEL_STATE_READY": 2}."""
        states = Counter(m.latest.state.value for m in self._registry.list())
        return {f"MODEL_STATE_{state}": count for state, count in states.items()}
