"""The model registry port: metadata and weights, behind a Protocol (embedded or ClearML)."""

from pathlib import Path
from typing import Protocol

from server.models.records import ModelRecord, VersionRecord


class ModelRegistry(Protocol):
    """Stores models, their versions and weights; a restart loses nothing."""

    def create(self, model: ModelRecord) -> None:
        """Store a new model with its versions; AlreadyExists when the id is taken."""
        ...

    def get(self, model_id: str) -> ModelRecord:
        """The model with all its versions; NotFound when absent."""
        ...

    def list(self) -> list[ModelRecord]:
        """Every model, ordered by id."""
        ...

    def put_version(self, model_id: str, version: VersionRecord) -> None:
        """Insert or replace one version; NotFound when the model is gone."""
        ...

    def delete(self, model_id: str) -> None:
        """Remove the model, its versions and weights; NotFound when absent."""
        ...

    def staging_path(self, model_id: str, version: VersionRecord) -> Path:
        """A local path where a training run writes its weights before `store_weights`."""
        ...

    def store_weights(self, model_id: str, version: VersionRecord, staged: Path) -> None:
        """Take the staged weights file of a finished run into the registry."""
        ...

    def weights_path(self, model_id: str, version: int) -> Path:
        """A local, readable copy of one version's weights."""
        ...

    def compiled_staging_path(self, model_id: str, version: VersionRecord) -> Path:
        """A local path where a training run writes its ONNX model before `store_compiled`."""
        ...

    def store_compiled(self, model_id: str, version: VersionRecord, staged: Path) -> None:
        """Take the staged ONNX model of a finished run into the registry, beside its weights."""
        ...

    def compiled_path(self, model_id: str, version: int) -> Path | None:
        """A local, readable copy of one version's ONNX model; None when it has none."""
        ...

    def discard_staged(self, model_id: str, version: VersionRecord) -> None:
        """Remove a run's staged weights and ONNX model, if any."""
        ...

    def ping(self) -> str:
        """Check the registry is usable; return a short description, raise when it is not."""
        ...
