"""Typed views of the REST API's ProtoJSON resources (int64 as strings, enums as names)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Json = Mapping[str, Any]

READY = "MODEL_STATE_READY"
FAILED = "MODEL_STATE_FAILED"
QUEUED = "MODEL_STATE_QUEUED"
TRAINING = "MODEL_STATE_TRAINING"
CLASSIFICATION = "TASK_CLASSIFICATION"
DONE_STATES = frozenset({READY, FAILED})


def to_int(value: Any) -> int:
    """An int32/int64 field: ProtoJSON writes int64 as a string and omits zeros."""
    return int(value or 0)


def to_float(value: Any) -> float:
    """A double field: a number, or "NaN"/"Infinity" as a string; omitted means 0."""
    return float(value or 0)


def to_time(value: Any) -> datetime | None:
    """An RFC 3339 Timestamp, or None when absent."""
    return datetime.fromisoformat(value) if value else None


def to_seconds(value: Any) -> float:
    """A Duration such as "3600.5s" as seconds."""
    return float(str(value).removesuffix("s")) if value else 0.0


def short_id(name: str) -> str:
    """The id of a resource name: "models/iris-lr" → "iris-lr" (ids pass through)."""
    return name.rsplit("/", 1)[-1]


def _metrics(data: Json) -> dict[str, float]:
    return {key: to_float(value) for key, value in (data.get("metrics") or {}).items()}


@dataclass(frozen=True)
class FieldViolation:
    """One google.rpc.BadRequest field violation."""

    field: str
    description: str


@dataclass(frozen=True)
class Column:
    """A column of a dataset version."""

    name: str
    dtype: str
    null_count: int

    @classmethod
    def from_json(cls, data: Json) -> "Column":
        """Parse a Column."""
        return cls(data.get("name", ""), data.get("dtype", ""), to_int(data.get("nullCount")))

    @property
    def numeric(self) -> bool:
        """Whether pandas stores this column as numbers."""
        return self.dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float"))


@dataclass(frozen=True)
class DatasetVersion:
    """One immutable version of a dataset."""

    dataset: str
    version: int
    md5: str
    size_bytes: int
    row_count: int
    columns: tuple[Column, ...]
    format: str
    description: str
    create_time: datetime | None

    @classmethod
    def from_json(cls, data: Json) -> "DatasetVersion":
        """Parse a DatasetVersion."""
        return cls(
            dataset=data.get("dataset", ""),
            version=to_int(data.get("version")),
            md5=data.get("md5", ""),
            size_bytes=to_int(data.get("sizeBytes")),
            row_count=to_int(data.get("rowCount")),
            columns=tuple(Column.from_json(c) for c in data.get("columns", [])),
            format=data.get("format", "DATA_FORMAT_UNSPECIFIED"),
            description=data.get("description", ""),
            create_time=to_time(data.get("createTime")),
        )


@dataclass(frozen=True)
class Dataset:
    """A named dataset, its versions and (from GetDataset) a preview of one version."""

    name: str
    versions: tuple[DatasetVersion, ...]
    latest_version: int
    preview_version: int
    preview_columns: tuple[str, ...]
    preview_rows: tuple[tuple[Any, ...], ...]
    create_time: datetime | None
    update_time: datetime | None

    @classmethod
    def from_json(cls, data: Json) -> "Dataset":
        """Parse a Dataset."""
        return cls(
            name=data.get("name", ""),
            versions=tuple(DatasetVersion.from_json(v) for v in data.get("versions", [])),
            latest_version=to_int(data.get("latestVersion")),
            preview_version=to_int(data.get("previewVersion")),
            preview_columns=tuple(data.get("previewColumns", [])),
            preview_rows=tuple(tuple(row) for row in data.get("previewRows", [])),
            create_time=to_time(data.get("createTime")),
            update_time=to_time(data.get("updateTime")),
        )

    @property
    def dataset_id(self) -> str:
        """The id without the "datasets/" prefix."""
        return short_id(self.name)

    def version(self, number: int = 0) -> DatasetVersion | None:
        """The given version (0: the latest), or None when it does not exist."""
        wanted = number or self.latest_version
        return next((v for v in self.versions if v.version == wanted), None)


@dataclass(frozen=True)
class ValueConstraint:
    """One alternative a hyperparameter accepts."""

    type: str
    minimum: float | None
    maximum: float | None
    allowed_values: tuple[str, ...]
    description: str

    @classmethod
    def from_json(cls, data: Json) -> "ValueConstraint":
        """Parse a ValueConstraint."""
        low, high = data.get("minimum"), data.get("maximum")
        return cls(
            type=data.get("type", "VALUE_TYPE_UNSPECIFIED"),
            minimum=None if low is None else to_float(low),
            maximum=None if high is None else to_float(high),
            allowed_values=tuple(data.get("allowedValues", [])),
            description=data.get("description", ""),
        )


@dataclass(frozen=True)
class HyperparameterSpec:
    """A hyperparameter of a model class with its default."""

    name: str
    type: str
    default: Any
    constraints: tuple[ValueConstraint, ...]
    description: str

    @classmethod
    def from_json(cls, data: Json) -> "HyperparameterSpec":
        """Parse a HyperparameterSpec."""
        return cls(
            name=data.get("name", ""),
            type=data.get("type", ""),
            default=data.get("defaultValue"),
            constraints=tuple(ValueConstraint.from_json(c) for c in data.get("constraints", [])),
            description=data.get("description", ""),
        )

    @property
    def typed_default(self) -> Any:
        """The default with JSON's whole-number doubles back as ints for int parameters."""
        types = {c.type for c in self.constraints}
        whole = isinstance(self.default, float) and self.default.is_integer()
        if whole and "VALUE_TYPE_INT" in types and "VALUE_TYPE_FLOAT" not in types:
            return int(self.default)
        return self.default


@dataclass(frozen=True)
class ModelClass:
    """A trainable scikit-learn estimator class."""

    name: str
    task: str
    description: str
    hyperparameters: tuple[HyperparameterSpec, ...]

    @classmethod
    def from_json(cls, data: Json) -> "ModelClass":
        """Parse a ModelClass."""
        return cls(
            name=data.get("name", ""),
            task=data.get("task", "TASK_UNSPECIFIED"),
            description=data.get("description", ""),
            hyperparameters=tuple(
                HyperparameterSpec.from_json(h) for h in data.get("hyperparameters", [])
            ),
        )

    def defaults(self) -> dict[str, Any]:
        """Every hyperparameter with its default value."""
        return {spec.name: spec.typed_default for spec in self.hyperparameters}


@dataclass(frozen=True)
class ModelVersion:
    """One trained (or training) version of a model."""

    version: int
    state: str
    model_class: str
    hyperparameters: dict[str, Any]
    dataset_version: int
    metrics: dict[str, float]
    error: str
    progress: float
    clearml_task_id: str
    clearml_model_id: str
    create_time: datetime | None
    update_time: datetime | None
    test_size: float
    random_state: int

    @classmethod
    def from_json(cls, data: Json) -> "ModelVersion":
        """Parse a ModelVersion."""
        return cls(
            version=to_int(data.get("version")),
            state=data.get("state", "MODEL_STATE_UNSPECIFIED"),
            model_class=data.get("modelClass", ""),
            hyperparameters=dict(data.get("hyperparameters") or {}),
            dataset_version=to_int(data.get("datasetVersion")),
            metrics=_metrics(data),
            error=data.get("error", ""),
            progress=to_float(data.get("progress")),
            clearml_task_id=data.get("clearmlTaskId", ""),
            clearml_model_id=data.get("clearmlModelId", ""),
            create_time=to_time(data.get("createTime")),
            update_time=to_time(data.get("updateTime")),
            test_size=to_float(data.get("testSize")),
            random_state=to_int(data.get("randomState")),
        )


@dataclass(frozen=True)
class Model:
    """A model: a named series of versions, one of which serves predictions."""

    name: str
    model_class: str
    task: str
    hyperparameters: dict[str, Any]
    dataset: str
    dataset_version: int
    target_column: str
    feature_columns: tuple[str, ...]
    state: str
    version: int
    serving_version: int
    progress: float
    error: str
    metrics: dict[str, float]
    clearml_task_id: str
    clearml_model_id: str
    versions: tuple[ModelVersion, ...]
    create_time: datetime | None
    update_time: datetime | None

    @classmethod
    def from_json(cls, data: Json) -> "Model":
        """Parse a Model."""
        return cls(
            name=data.get("name", ""),
            model_class=data.get("modelClass", ""),
            task=data.get("task", "TASK_UNSPECIFIED"),
            hyperparameters=dict(data.get("hyperparameters") or {}),
            dataset=data.get("dataset", ""),
            dataset_version=to_int(data.get("datasetVersion")),
            target_column=data.get("targetColumn", ""),
            feature_columns=tuple(data.get("featureColumns", [])),
            state=data.get("state", "MODEL_STATE_UNSPECIFIED"),
            version=to_int(data.get("version")),
            serving_version=to_int(data.get("servingVersion")),
            progress=to_float(data.get("progress")),
            error=data.get("error", ""),
            metrics=_metrics(data),
            clearml_task_id=data.get("clearmlTaskId", ""),
            clearml_model_id=data.get("clearmlModelId", ""),
            versions=tuple(ModelVersion.from_json(v) for v in data.get("versions", [])),
            create_time=to_time(data.get("createTime")),
            update_time=to_time(data.get("updateTime")),
        )

    @property
    def model_id(self) -> str:
        """The id without the "models/" prefix."""
        return short_id(self.name)

    @property
    def done(self) -> bool:
        """Whether the latest version finished training (READY or FAILED)."""
        return self.state in DONE_STATES

    @property
    def latest(self) -> ModelVersion | None:
        """The newest version, when the server listed versions."""
        return self.versions[-1] if self.versions else None

    def ready_versions(self) -> list[int]:
        """The version numbers that can serve predictions, newest first."""
        return [v.version for v in reversed(self.versions) if v.state == READY]


@dataclass(frozen=True)
class Prediction:
    """The answer of Predict: one prediction per row, plus class probabilities."""

    predictions: tuple[Any, ...]
    classes: tuple[Any, ...]
    probabilities: tuple[tuple[float, ...], ...]
    model_version: int

    @classmethod
    def from_json(cls, data: Json) -> "Prediction":
        """Parse a PredictResponse."""
        return cls(
            predictions=tuple(data.get("predictions", [])),
            classes=tuple(data.get("classes", [])),
            probabilities=tuple(
                tuple(to_float(x) for x in p.get("values", []))
                for p in data.get("probabilities", [])
            ),
            model_version=to_int(data.get("modelVersion")),
        )


@dataclass(frozen=True)
class ComponentStatus:
    """The state of one component of the service."""

    name: str
    state: str
    message: str


@dataclass(frozen=True)
class ServiceStatus:
    """The answer of GetStatus."""

    version: str
    start_time: datetime | None
    uptime_seconds: float
    state: str
    components: tuple[ComponentStatus, ...]
    counts: dict[str, int]
    models_by_state: dict[str, int]
    serving_stats: Json | None = None

    @classmethod
    def from_json(cls, data: Json) -> "ServiceStatus":
        """Parse a GetStatusResponse."""
        counts = dict(data.get("counts") or {})
        by_state = counts.pop("modelsByState", None) or {}
        return cls(
            version=data.get("version", ""),
            start_time=to_time(data.get("startTime")),
            uptime_seconds=to_seconds(data.get("uptime")),
            state=data.get("state", "COMPONENT_STATE_UNSPECIFIED"),
            components=tuple(
                ComponentStatus(
                    c.get("name", ""),
                    c.get("state", "COMPONENT_STATE_UNSPECIFIED"),
                    c.get("message", ""),
                )
                for c in data.get("components", [])
            ),
            counts={key: to_int(counts.get(key)) for key in COUNT_FIELDS},
            models_by_state={key: to_int(value) for key, value in by_state.items()},
            serving_stats=data.get("servingStats"),
        )


COUNT_FIELDS = ("datasets", "datasetVersions", "models")
