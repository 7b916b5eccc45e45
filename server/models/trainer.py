"""Drives one queued run: QUEUED -> TRAINING -> READY | FAILED, then its compile outcome.

The version is READY (engine "sklearn", note "compiling") as soon as the worker has saved
the weights; the compile outcome updates its engine fields later. Whatever stops the
compiling (cancel, crash, time limit) leaves it READY with scikit-learn and a note saying so.
A run only touches its own version, identified by `run_id`: once the model is deleted (or
the version replaced) every update of that run is dropped, so a late result never
resurrects anything.
"""

import asyncio
import contextlib
import time
from typing import Any

from loguru import logger

from server.clearml.config import job_target
from server.errors import NotFound, ServiceError
from server.logs import request_id
from server.metrics import hooks as metrics_hooks
from server.models.compiled.outcome import COMPILING, INTERRUPTED, ONNX, SKLEARN, CompileOutcome
from server.models.ports import ModelRegistry
from server.models.records import ModelRecord, ModelState, VersionRecord
from server.models.training.job import TrainJob
from server.models.training.launcher import WorkerLauncher
from server.models.training.pool import QueuedRun
from server.models.training.runner import RunResult, TrainingFailed, run_training
from server.ports import DatasetStore
from server.settings import Settings


class Trainer:
    """Runs queued versions through a worker process and records the outcome."""

    def __init__(
        self,
        settings: Settings,
        registry: ModelRegistry,
        datasets: DatasetStore,
        launcher: WorkerLauncher,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._datasets = datasets
        self._launcher = launcher
        self._compiling: set[str] = set()  # run ids READY whose worker still compiles

    def _current(self, run: QueuedRun) -> tuple[ModelRecord, VersionRecord] | None:
        """The model and version of this run, or None when the run is no longer wanted."""
        try:
            model = self._registry.get(run.model_id)
        except NotFound:
            return None
        version = model.version(run.version)
        if version is None or version.run_id != run.run_id:
            return None
        return model, version

    def _update(self, run: QueuedRun, **changes: Any) -> VersionRecord | None:
        """Apply changes to the run's version; None when the run is no longer wanted."""
        found = self._current(run)
        if found is None:
            return None
        updated = found[1].evolve(**changes)
        try:
            self._registry.put_version(run.model_id, updated)
        except NotFound:
            return None
        return updated

    async def run(self, run: QueuedRun) -> None:
        """Train the run's version unless it was deleted while it waited; then compile it."""
        request_id.set(run.request_id)
        found = self._current(run)
        if found is None or found[1].state is not ModelState.QUEUED:
            return
        model, version = found
        self._update(run, state=ModelState.TRAINING, progress=0.0)
        started = time.monotonic()
        logger.info(
            "train start models/{} v{} {} on datasets/{} v{}",
            model.model_id, version.version, version.model_class,
            model.dataset_id, version.dataset_version,
        )  # fmt: skip
        try:
            result = await self._train(model, version, run, started)
        except asyncio.CancelledError:
            self._cancelled(run, version, started)
            raise
        except Exception as error:
            self._stopped(run, version, error, started)
        else:
            self._record_compiled(run, version, result.compiled)
        finally:
            self._compiling.discard(run.run_id)

    def _cancelled(self, run: QueuedRun, version: VersionRecord, started: float) -> None:
        """Deleted or shut down: a READY version keeps serving, noted as not compiled.

        (After a delete the version is gone and nothing is recorded.)
        """
        if run.run_id in self._compiling:
            self._record_compiled(run, version, INTERRUPTED)
            return
        self._registry.discard_staged(run.model_id, version)
        logger.info("train cancelled models/{} v{}", run.model_id, version.version)
        metrics_hooks.training_finished(version.model_class, "cancelled", started)  # metrics

    def _stopped(
        self, run: QueuedRun, version: VersionRecord, error: Exception, started: float
    ) -> None:
        """The run raised: the version FAILED, or, once READY, only its compiling did."""
        if run.run_id in self._compiling:
            logger.opt(exception=error).error(
                "compiling models/{} v{} crashed", run.model_id, version.version
            )
            note = f"not compiled: internal error ({type(error).__name__})"
            self._record_compiled(run, version, CompileOutcome(SKLEARN, note))
            return
        if isinstance(error, TrainingFailed | ServiceError):
            message = str(error)
        else:
            logger.opt(exception=error).error(
                "train crashed models/{} v{}", run.model_id, version.version
            )
            message = "internal error during training"
        self._fail(run, message, time.monotonic() - started)
        metrics_hooks.training_finished(version.model_class, "failed", started)  # metrics

    async def _train(
        self, model: ModelRecord, version: VersionRecord, run: QueuedRun, started: float
    ) -> RunResult:
        record = self._datasets.get_version(model.dataset_id, version.dataset_version)
        path = await asyncio.to_thread(self._datasets.local_path, record)
        project, output_uri = job_target(self._settings)
        job = TrainJob(
            model_id=model.model_id,
            version=version.version,
            model_class=version.model_class,
            hyperparameters=version.hyperparameters,
            dataset_path=str(path),
            dataset_format=record.format,
            target_column=model.target_column,
            feature_types=version.feature_types,
            test_size=version.test_size,
            random_state=version.random_state,
            output_path=str(self._registry.staging_path(model.model_id, version)),
            compiled_path=str(self._registry.compiled_staging_path(model.model_id, version)),
            clearml_project=project,
            clearml_output_uri=output_uri,
            dataset_id=model.dataset_id,
            dataset_version=record.version,
            dataset_md5=record.md5,
        )

        def on_progress(progress: float) -> None:
            self._update(run, progress=progress)

        def on_tracking(ids: dict[str, str]) -> None:  # ClearML task / model ids, as they come
            self._update(run, **ids)

        def on_trained(metrics: dict[str, float]) -> None:
            self._succeed(run, version, metrics, started)

        timeout = self._settings.training_timeout_s
        return await run_training(
            job, timeout, on_progress, self._launcher, on_tracking, on_trained
        )

    def _succeed(
        self, run: QueuedRun, version: VersionRecord, metrics: dict[str, float], started: float
    ) -> None:
        """The weights are saved: store them; READY, served by scikit-learn while compiling."""
        staged = self._registry.staging_path(run.model_id, version)
        found = self._current(run)
        if found is None:
            self._registry.discard_staged(run.model_id, version)
            return
        self._registry.store_weights(run.model_id, found[1], staged)  # with the ClearML ids
        self._update(
            run, state=ModelState.READY, metrics=metrics, progress=1.0, error="",
            engine=COMPILING.engine, engine_note=COMPILING.note, onnx_max_abs_diff=None,
        )  # fmt: skip
        self._compiling.add(run.run_id)
        logger.info(
            "train done models/{} v{} {} in {:.1f} s, metrics {}; serving with {}, compiling",
            run.model_id, run.version, version.model_class, time.monotonic() - started,
            metrics, COMPILING.engine,
        )  # fmt: skip
        metrics_hooks.training_finished(version.model_class, "succeeded", started)  # metrics

    def _record_compiled(
        self, run: QueuedRun, version: VersionRecord, compiled: CompileOutcome
    ) -> None:
        """Set the compile outcome of the run's READY version (its ONNX model stored first)."""
        self._compiling.discard(run.run_id)
        found = self._current(run)
        if found is None or found[1].state is not ModelState.READY:
            self._registry.discard_staged(run.model_id, version)
            logger.info("compiled models/{} v{}: gone or not READY", run.model_id, run.version)
            return
        compiled = self._store_compiled(run, found[1], compiled)  # with the ClearML ids
        changes = {
            "engine": compiled.engine,
            "engine_note": compiled.note,
            "onnx_max_abs_diff": compiled.max_abs_diff,
        }
        if self._update(run, **changes) is None:
            self._drop_compiled(run)
            return
        logger.info(
            "compiled models/{} v{}: engine {}{}", run.model_id, run.version,
            compiled.engine, f" ({compiled.note})" if compiled.note else "",
        )  # fmt: skip

    def _drop_compiled(self, run: QueuedRun) -> None:
        """Remove an ONNX model stored while the model was being deleted (no orphan file)."""
        path = self._registry.compiled_path(run.model_id, run.version)
        if path is not None:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # only when nothing else is left in it
                path.parent.rmdir()
        logger.info("compiled models/{} v{}: deleted meanwhile, dropped", run.model_id, run.version)

    def _store_compiled(
        self, run: QueuedRun, version: VersionRecord, compiled: CompileOutcome
    ) -> CompileOutcome:
        """Take a passing ONNX model into the registry; scikit-learn when that fails."""
        if compiled.engine != ONNX:
            self._registry.discard_staged(run.model_id, version)  # a leftover, if any
            return compiled
        staged = self._registry.compiled_staging_path(run.model_id, version)
        try:
            self._registry.store_compiled(run.model_id, version, staged)
        except (OSError, ServiceError) as error:
            logger.exception("storing the compiled model of models/{} failed", run.model_id)
            self._registry.discard_staged(run.model_id, version)
            note = f"storing the compiled model failed ({type(error).__name__})"
            return CompileOutcome(SKLEARN, note)
        return compiled

    def _fail(self, run: QueuedRun, message: str, took: float) -> None:
        found = self._current(run)
        if found is not None:
            self._registry.discard_staged(run.model_id, found[1])
        self._update(run, state=ModelState.FAILED, error=message)
        logger.warning(
            "train failed models/{} v{} after {:.1f} s: {}",
            run.model_id,
            run.version,
            took,
            message,
        )
