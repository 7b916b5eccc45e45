"""Conversions between the model records and the `mlservice.v1` messages."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from server.errors import FieldViolation, InvalidArgument
from server.gen import models_pb2
from server.models.classes import ModelClass, Task
from server.models.records import ModelRecord, ModelState, VersionRecord
from server.models.specs import HyperparameterSpec
from server.models.values import ValueKind, ValueRule
from server.names import dataset_name, model_name

TASKS = {
    Task.CLASSIFICATION: models_pb2.TASK_CLASSIFICATION,
    Task.REGRESSION: models_pb2.TASK_REGRESSION,
}
STATES = {state: models_pb2.ModelState.Value(f"MODEL_STATE_{state.value}") for state in ModelState}
STATE_OF = {number: state for state, number in STATES.items()}
VALUE_TYPES = {kind: models_pb2.ValueType.Value(f"VALUE_TYPE_{kind.name}") for kind in ValueKind}


def state_filter(number: int) -> ModelState | None:
    """The state a ListModels request filters on (None for unset); INVALID_ARGUMENT if unknown."""
    if number == models_pb2.MODEL_STATE_UNSPECIFIED:
        return None
    if number not in STATE_OF:
        raise InvalidArgument(
            "invalid state", [FieldViolation("state", f"unknown model state {number}")]
        )
    return STATE_OF[number]


def value(python: Any) -> struct_pb2.Value:
    """A JSON value as a protobuf Value (scalars built directly: 3x faster than ParseDict)."""
    if isinstance(python, bool):
        return struct_pb2.Value(bool_value=python)
    if isinstance(python, int | float):
        return struct_pb2.Value(number_value=python)
    if isinstance(python, str):
        return struct_pb2.Value(string_value=python)
    return json_format.ParseDict(python, struct_pb2.Value())


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A dict as a protobuf Struct."""
    message = struct_pb2.Struct()
    message.update(values)
    return message


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    """A datetime as a protobuf Timestamp."""
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(moment)
    return message


def constraint_message(rule: ValueRule) -> models_pb2.ValueConstraint:
    """One accepted alternative of a hyperparameter."""
    message = models_pb2.ValueConstraint(
        type=VALUE_TYPES[rule.kind],
        minimum_inclusive=rule.minimum_inclusive,
        maximum_inclusive=rule.maximum_inclusive,
        allowed_values=list(rule.allowed),
        description=rule.describe(),
    )
    if rule.minimum is not None:
        message.minimum = rule.minimum
    if rule.maximum is not None:
        message.maximum = rule.maximum
    return message


def spec_message(spec: HyperparameterSpec) -> models_pb2.HyperparameterSpec:
    """A hyperparameter spec."""
    return models_pb2.HyperparameterSpec(
        name=spec.name,
        type=spec.type_summary,
        default_value=value(spec.default),
        constraints=[constraint_message(rule) for rule in spec.rules],
        description=spec.description,
    )


def model_class_message(model_class: ModelClass) -> models_pb2.ModelClass:
    """A trainable class with its specs."""
    return models_pb2.ModelClass(
        name=model_class.name,
        task=TASKS[model_class.task],
        description=model_class.description,
        hyperparameters=[spec_message(spec) for spec in model_class.hyperparameters],
    )


def version_message(version: VersionRecord) -> models_pb2.ModelVersion:
    """One version of a model."""
    message = models_pb2.ModelVersion(**_engine_fields(version))
    message.MergeFrom(_version_fields(version))
    return message


def _engine_fields(version: VersionRecord) -> dict[str, Any]:
    """The engine, its note and the parity figure (left unset when there is none)."""
    fields: dict[str, Any] = {"engine": version.engine, "engine_note": version.engine_note}
    if version.onnx_max_abs_diff is not None:
        fields["onnx_max_abs_diff"] = version.onnx_max_abs_diff
    return fields


def _version_fields(version: VersionRecord) -> models_pb2.ModelVersion:
    return models_pb2.ModelVersion(
        version=version.version,
        state=STATES[version.state],
        model_class=version.model_class,
        hyperparameters=struct(version.hyperparameters),
        dataset_version=version.dataset_version,
        metrics=version.metrics,
        error=version.error,
        progress=version.progress,
        clearml_task_id=version.clearml_task_id,
        clearml_model_id=version.clearml_model_id,
        create_time=timestamp(version.create_time),
        update_time=timestamp(version.update_time),
        test_size=version.test_size,
        random_state=version.random_state,
    )


def model_message(model: ModelRecord) -> models_pb2.Model:
    """A model: the latest version's fields at the top, every version below."""
    latest = model.latest
    return models_pb2.Model(
        name=model_name(model.model_id),
        model_class=latest.model_class,
        task=TASKS[model.task],
        hyperparameters=struct(latest.hyperparameters),
        dataset=dataset_name(model.dataset_id),
        dataset_version=latest.dataset_version,
        target_column=model.target_column,
        feature_columns=list(model.feature_columns),
        state=STATES[latest.state],
        version=latest.version,
        metrics=latest.metrics,
        error=latest.error,
        clearml_task_id=latest.clearml_task_id,
        clearml_model_id=latest.clearml_model_id,
        create_time=timestamp(model.create_time),
        update_time=timestamp(model.update_time),
        serving_version=model.serving_version,
        progress=latest.progress,
        versions=[version_message(v) for v in model.versions],
        **_engine_fields(latest),
    )
