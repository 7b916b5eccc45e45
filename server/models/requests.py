"""The train and retrain requests as plain records, and their field checks (no dataset yet)."""

import math
import secrets
from dataclasses import dataclass
from typing import Any

from server.errors import FieldViolation, InvalidArgument
from server.models.classes import ModelClass, get_model_class
from server.models.hyperparameters import validate_hyperparameters
from server.models.records import VersionRecord
from server.names import check_id

DEFAULT_TEST_SIZE = 0.2
MAX_TEST_SIZE = 0.9


@dataclass(frozen=True)
class TrainRequest:
    """TrainModel's fields, unpacked (names already parsed into ids)."""

    model_id: str
    model_class: str
    hyperparameters: dict[str, Any]
    dataset_id: str
    dataset_version: int
    target_column: str
    feature_columns: tuple[str, ...]
    test_size: float
    random_state: int


@dataclass(frozen=True)
class RetrainRequest:
    """RetrainModel's fields; None / 0 mean "keep the latest version's"."""

    model_id: str
    hyperparameters: dict[str, Any] | None
    dataset_version: int
    test_size: float
    random_state: int


def generated_id(model_class: str) -> str:
    """A fresh model id such as `randomforestclassifier-1a2b3c4d`."""
    return f"{model_class.lower()[:40]}-{secrets.token_hex(4)}"


def checked_test_size(value: float, default: float = DEFAULT_TEST_SIZE) -> float:
    """`value` when in (0, 0.9]; `default` for 0; INVALID_ARGUMENT otherwise."""
    if value == 0:
        return default
    if not (math.isfinite(value) and 0 < value <= MAX_TEST_SIZE):
        raise InvalidArgument(
            "invalid test_size",
            [FieldViolation("test_size", f"must be in (0, {MAX_TEST_SIZE}], got {value}")],
        )
    return value


def checked_dataset_version(value: int) -> int:
    """`value` when not negative (0 means latest)."""
    if value < 0:
        raise InvalidArgument(
            "invalid dataset_version",
            [FieldViolation("dataset_version", f"must be >= 0 (0 = latest), got {value}")],
        )
    return value


class ViolationCollector:
    """Run several checks and raise one INVALID_ARGUMENT with every violation found."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def check(self, call: Any, *args: Any) -> Any:
        """Return `call(*args)`, or None after recording its INVALID_ARGUMENT violations."""
        try:
            return call(*args)
        except InvalidArgument as error:
            self.violations.extend(error.violations or [FieldViolation("", error.message)])
            return None

    def raise_if_any(self, message: str) -> None:
        """Raise INVALID_ARGUMENT with every recorded violation, if any."""
        if self.violations:
            raise InvalidArgument(message, self.violations)


def check_train_fields(
    request: TrainRequest, max_hp_bytes: int
) -> tuple[ModelClass, dict[str, Any], float]:
    """Class, coerced hyperparameters and test size; INVALID_ARGUMENT listing every bad field."""
    collect = ViolationCollector()
    if request.model_id:
        collect.check(check_id, request.model_id, "model_id")
    model_class = collect.check(get_model_class, request.model_class)
    test_size = collect.check(checked_test_size, request.test_size)
    collect.check(checked_dataset_version, request.dataset_version)
    if not request.target_column:
        collect.violations.append(FieldViolation("target_column", "is required"))
    values = None
    if model_class is not None:
        values = collect.check(
            validate_hyperparameters, model_class, request.hyperparameters, max_hp_bytes
        )
    collect.raise_if_any("invalid TrainModel request")
    assert model_class is not None and values is not None  # else raise_if_any raised
    return model_class, values, test_size


def check_retrain_fields(
    request: RetrainRequest, model_class: ModelClass, previous: VersionRecord, max_hp_bytes: int
) -> tuple[dict[str, Any], float]:
    """Hyperparameters and test size (the previous ones where not given); every bad field."""
    collect = ViolationCollector()
    values = previous.hyperparameters
    if request.hyperparameters is not None:
        values = collect.check(
            validate_hyperparameters, model_class, request.hyperparameters, max_hp_bytes
        )
    test_size = collect.check(checked_test_size, request.test_size, previous.test_size)
    collect.check(checked_dataset_version, request.dataset_version)
    collect.raise_if_any("invalid RetrainModel request")
    return values, test_size
