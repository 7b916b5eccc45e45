"""JSON encoding of model and version records, for the embedded registry's SQLite rows."""

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from server.models.classes import Task
from server.models.records import ModelRecord, ModelState, VersionRecord


def encode_version(version: VersionRecord) -> str:
    """A version as a JSON object."""
    data = asdict(version)
    data["create_time"] = version.create_time.isoformat()
    data["update_time"] = version.update_time.isoformat()
    return json.dumps(data)


def decode_version(text: str) -> VersionRecord:
    """A version from `encode_version` output."""
    data: dict[str, Any] = json.loads(text)
    data["state"] = ModelState(data["state"])
    data["create_time"] = datetime.fromisoformat(data["create_time"])
    data["update_time"] = datetime.fromisoformat(data["update_time"])
    return VersionRecord(**data)


def encode_model(model: ModelRecord) -> str:
    """A model's own fields (not its versions) as a JSON object."""
    return json.dumps(
        {
            "task": model.task.value,
            "dataset_id": model.dataset_id,
            "target_column": model.target_column,
            "feature_columns": list(model.feature_columns),
            "create_time": model.create_time.isoformat(),
        }
    )


def decode_model(model_id: str, text: str, versions: list[VersionRecord]) -> ModelRecord:
    """A model from `encode_model` output and its decoded versions."""
    data: dict[str, Any] = json.loads(text)
    return ModelRecord(
        model_id=model_id,
        task=Task(data["task"]),
        dataset_id=data["dataset_id"],
        target_column=data["target_column"],
        feature_columns=tuple(data["feature_columns"]),
        create_time=datetime.fromisoformat(data["create_time"]),
        versions=tuple(sorted(versions, key=lambda v: v.version)),
    )
