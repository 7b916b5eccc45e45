"""The ClearML model registry: metadata in the embedded SQLite, weights as ClearML models.

In ClearML mode each training process creates its ClearML Task and uploads the weights as
the task's OutputModel (`server.models.training.tracked`); the version record keeps the
task and model ids. This adapter then:

- keeps every record in the same SQLite database as the embedded registry (nothing lives
  only in memory, a restart loses nothing);
- `store_weights`: moves the staged file into the weights cache under the ClearML model id
  (the upload already happened), so the first prediction needs no download;
- `weights_path`: the cached copy, else a download from ClearML (`Unavailable` while ClearML
  or the storage is down; cached models keep predicting). A model deleted in the ClearML web
  UI turns its version FAILED ("deleted in ClearML") instead of failing every prediction;
- `store_compiled` / `compiled_path`: the same for the ONNX file, which the run attached to
  the ClearML model (its URL in the model's metadata), cached in the model's `onnx/` folder;
- `get` (GetModel, Predict) schedules a background check, at most once a minute per model,
  that marks versions whose ClearML model is gone FAILED the same way (List never checks);
- `delete`: deletes the ClearML models with their weights and ONNX files and archives the
  tasks first; when ClearML cannot be reached the local record stays, so the delete can
  simply be retried.

Versions without a ClearML model id (trained before ClearML mode was turned on, or in
ClearML's offline mode) keep their weights in the data dir and are served from there.
"""

from collections.abc import Iterable
from pathlib import Path

from loguru import logger

from server.clearml import cache
from server.clearml.cache import weights_cache_dir
from server.clearml.models import delete_models, existing_models, load_onnx, load_weights
from server.clearml.presence import PresenceChecker
from server.errors import FailedPrecondition, NotFound
from server.models.records import ModelRecord, ModelState, VersionRecord
from server.models.registry import LocalModelRegistry
from server.settings import Settings

DELETED_IN_CLEARML = "deleted in ClearML"


class ClearMLModelRegistry(LocalModelRegistry):
    """`ModelRegistry` whose weights are ClearML models (metadata stays in SQLite)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.models_dir)
        self.cache_dir = weights_cache_dir(settings)
        self.presence = PresenceChecker(lambda ids: existing_models(ids))
        # ClearML models known to have no ONNX file (compiled before ONNX files were attached):
        # asked once, not on every prediction.
        self._without_onnx: set[str] = set()

    def get(self, model_id: str) -> ModelRecord:
        """The model with all its versions; schedules the lazy check of its ClearML models."""
        model = super().get(model_id)
        self.presence.schedule(
            _published(model.versions), lambda missing: self._mark_deleted(model_id, missing)
        )
        return model

    def store_weights(self, model_id: str, version: VersionRecord, staged: Path) -> None:
        """Move the staged weights (already uploaded by the run) into the weights cache.

        A run without a ClearML model (only in ClearML's offline mode, which cannot publish
        models) keeps its weights in the data dir, as the embedded registry does.
        """
        if not version.clearml_model_id:
            super().store_weights(model_id, version, staged)
            return
        cache.store_weights(self.cache_dir, version.clearml_model_id, staged)
        staged.unlink(missing_ok=True)

    def weights_path(self, model_id: str, version: int) -> Path:
        """A local copy of the weights: cached, else downloaded (blocking: call in a thread)."""
        record = super().get(model_id).version(version)
        if record is None:
            raise NotFound(f"models/{model_id} has no version {version}")
        if not record.clearml_model_id:  # trained in embedded (or offline) mode
            return super().weights_path(model_id, version)
        try:
            return load_weights(record.clearml_model_id, self.cache_dir)
        except NotFound:
            self._mark_deleted(model_id, {record.clearml_model_id})
            raise FailedPrecondition(
                f"models/{model_id} v{version} was {DELETED_IN_CLEARML} "
                f"(model {record.clearml_model_id}); retrain it"
            ) from None

    def store_compiled(self, model_id: str, version: VersionRecord, staged: Path) -> None:
        """Move the staged ONNX file (already attached by the run) into the model's cache."""
        if not version.clearml_model_id:
            super().store_compiled(model_id, version, staged)
            return
        cache.store_compiled(self.cache_dir, version.clearml_model_id, staged)
        staged.unlink(missing_ok=True)

    def compiled_path(self, model_id: str, version: int) -> Path | None:
        """A local copy of the ONNX file: cached, else downloaded (blocking: call in a thread).

        None when the version has none, or its ClearML model is gone (loading the weights
        then says so). Versions compiled before ONNX files joined the ClearML model keep theirs
        in the data dir.
        """
        local = super().compiled_path(model_id, version)
        if local is not None:
            return local
        try:
            record = super().get(model_id).version(version)
        except NotFound:
            return None
        if record is None or record.clearml_model_id in ("", *self._without_onnx):
            return None
        try:
            found = load_onnx(record.clearml_model_id, self.cache_dir)
        except NotFound:
            return None
        if found is None:
            self._without_onnx.add(record.clearml_model_id)
        return found

    def delete(self, model_id: str) -> None:
        """Delete the ClearML models and archive the tasks, then the record (blocking)."""
        versions = super().get(model_id).versions
        models = [v.clearml_model_id for v in versions if v.clearml_model_id]
        tasks = [v.clearml_task_id for v in versions if v.clearml_task_id]
        if models or tasks:
            delete_models(models, tasks, self.cache_dir)  # Unavailable: the record stays
        self.presence.forget(models)
        super().delete(model_id)

    def ping(self) -> str:
        """The metadata database (ClearML itself is the separate `clearml` component)."""
        return f"{super().ping()}, weights in ClearML"

    def _mark_deleted(self, model_id: str, missing: set[str]) -> None:
        """Turn READY versions whose ClearML model is in `missing` FAILED."""
        try:
            versions = super().get(model_id).versions
        except NotFound:
            return
        for version in versions:
            if version.state is ModelState.READY and version.clearml_model_id in missing:
                reason = f"{DELETED_IN_CLEARML}: model {version.clearml_model_id} no longer exists"
                try:
                    self.put_version(
                        model_id, version.evolve(state=ModelState.FAILED, error=reason)
                    )
                except NotFound:  # deleted meanwhile
                    return
                cache.evict(self.cache_dir, version.clearml_model_id)
                logger.warning("models/{} v{}: {}", model_id, version.version, reason)


def _published(versions: Iterable[VersionRecord]) -> list[str]:
    """The ClearML model ids of the READY versions."""
    return [
        v.clearml_model_id for v in versions if v.state is ModelState.READY and v.clearml_model_id
    ]
