"""Turn a checked TrainModel / RetrainModel request into the records of a QUEUED version."""

import asyncio
import uuid
from typing import Any

import pandas as pd

from server.datasets.parsing import read_table
from server.errors import FailedPrecondition
from server.models.classes import ModelClass, Task, get_model_class
from server.models.columns import check_classes, check_target, resolve_features
from server.models.records import ACTIVE_STATES, ModelRecord, ModelState, VersionRecord, utc_now
from server.models.requests import (
    RetrainRequest,
    TrainRequest,
    check_retrain_fields,
    check_train_fields,
    generated_id,
)
from server.ports import DatasetStore, DatasetVersionRecord
from server.settings import Settings


class Planner:
    """Validates requests against the classes and the dataset; builds the new records."""

    def __init__(self, settings: Settings, datasets: DatasetStore) -> None:
        self._settings = settings
        self._datasets = datasets

    async def new_model(self, request: TrainRequest) -> ModelRecord:
        """A new model with a QUEUED version 1; raises for any invalid or unknown input."""
        limit = self._settings.max_hyperparameters_bytes
        model_class, values, test_size = check_train_fields(request, limit)
        record = self._datasets.get_version(request.dataset_id, request.dataset_version)
        features = resolve_features(record, request.target_column, request.feature_columns)
        await self._check_target(model_class, record, request.target_column, test_size)
        version = self._version(
            1, model_class, values, record, features, test_size, request.random_state
        )
        return ModelRecord(
            model_id=request.model_id or generated_id(model_class.name),
            task=model_class.task,
            dataset_id=request.dataset_id,
            target_column=request.target_column,
            feature_columns=tuple(features),
            create_time=version.create_time,
            versions=(version,),
        )

    async def next_version(self, model: ModelRecord, request: RetrainRequest) -> VersionRecord:
        """A QUEUED version after the latest, reusing the latest's settings where not given."""
        ensure_idle(model)
        latest = model.latest
        model_class = get_model_class(latest.model_class)
        limit = self._settings.max_hyperparameters_bytes
        values, test_size = check_retrain_fields(request, model_class, latest, limit)
        record = self._datasets.get_version(model.dataset_id, request.dataset_version)
        features = resolve_features(record, model.target_column, model.feature_columns)
        await self._check_target(model_class, record, model.target_column, test_size)
        seed = request.random_state or latest.random_state
        return self._version(
            latest.version + 1, model_class, values, record, features, test_size, seed
        )

    async def _check_target(
        self, model_class: ModelClass, record: DatasetVersionRecord, target: str, test_size: float
    ) -> None:
        check_target(model_class.task, record, target, test_size)
        if model_class.task is Task.CLASSIFICATION:
            column = await asyncio.to_thread(self._read_column, record, target)
            check_classes(column, target, self._settings.max_classes)

    def _read_column(self, record: DatasetVersionRecord, column: str) -> pd.Series:
        return read_table(self._datasets.local_path(record), record.format)[column]

    @staticmethod
    def _version(
        number: int,
        model_class: ModelClass,
        values: dict[str, Any],
        record: DatasetVersionRecord,
        features: dict[str, str],
        test_size: float,
        random_state: int,
    ) -> VersionRecord:
        now = utc_now()
        return VersionRecord(
            version=number,
            state=ModelState.QUEUED,
            model_class=model_class.name,
            hyperparameters=values,
            dataset_version=record.version,
            test_size=test_size,
            random_state=random_state,
            feature_types=features,
            run_id=uuid.uuid4().hex,
            create_time=now,
            update_time=now,
        )


def ensure_idle(model: ModelRecord) -> None:
    """FAILED_PRECONDITION while the latest version is still queued or training."""
    if model.latest.state in ACTIVE_STATES:
        raise FailedPrecondition(
            f"models/{model.model_id} v{model.latest.version} is "
            f"{model.latest.state.value}; wait until it is READY or FAILED"
        )
