"""Plain records of models and their versions, as the registry stores them."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from server.models.classes import Task
from server.models.compiled.outcome import COMPILING


class ModelState(StrEnum):
    """The lifecycle state of a model version."""

    QUEUED = "QUEUED"
    TRAINING = "TRAINING"
    READY = "READY"
    FAILED = "FAILED"


ACTIVE_STATES = (ModelState.QUEUED, ModelState.TRAINING)


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class VersionRecord:
    """One training run of a model and its outcome."""

    version: int
    state: ModelState
    model_class: str
    hyperparameters: dict[str, Any]
    dataset_version: int
    test_size: float
    random_state: int
    feature_types: dict[str, str]  # column -> "number" | "string", as trained
    run_id: str  # unique per run: a late result of a deleted run never matches
    create_time: datetime
    update_time: datetime
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    progress: float = 0.0
    clearml_task_id: str = ""
    clearml_model_id: str = ""
    engine: str = ""  # the default engine once READY: "onnx" | "sklearn"
    engine_note: str = ""  # why it is not compiled ("compiling" while that still runs)
    onnx_max_abs_diff: float | None = None  # parity figure, when the ONNX model was compared

    @property
    def compiling(self) -> bool:
        """READY and served by scikit-learn while its compiling to ONNX still runs."""
        return self.state is ModelState.READY and self.engine_note == COMPILING.note

    def evolve(self, **changes: Any) -> "VersionRecord":
        """A copy with `changes` applied and `update_time` set to now."""
        return replace(self, update_time=utc_now(), **changes)


@dataclass(frozen=True)
class ModelRecord:
    """A named model: its dataset, columns and every version, oldest first."""

    model_id: str
    task: Task
    dataset_id: str
    target_column: str
    feature_columns: tuple[str, ...]
    create_time: datetime
    versions: tuple[VersionRecord, ...] = ()

    @property
    def latest(self) -> VersionRecord:
        """The newest version."""
        return self.versions[-1]

    @property
    def serving_version(self) -> int:
        """The newest READY version, 0 when none is."""
        ready = [v.version for v in self.versions if v.state is ModelState.READY]
        return max(ready, default=0)

    @property
    def update_time(self) -> datetime:
        """When anything about the model last changed."""
        return max([self.create_time, *(v.update_time for v in self.versions)])

    def version(self, number: int) -> VersionRecord | None:
        """The version with this number, if any."""
        return next((v for v in self.versions if v.version == number), None)
