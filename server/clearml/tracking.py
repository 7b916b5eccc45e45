"""The ClearML Task of one training run, used inside the fresh training process.

ClearML allows one task per process: call `start_task` once, `report_metrics`, then `finish`.
Auto-logging is off (frameworks, argparse, streams, resource monitor, repository detection):
the task holds exactly what is connected here.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loguru import logger

from server.clearml.bounded import (
    API_TIMEOUT_S,
    api_host,
    bounded,
    guarded,
    is_connection_failure,
    ping,
)
from server.errors import Unavailable

# Task.init treats a missing key as True, so every binding (and repo detection) is listed.
NO_AUTO_CONNECT: dict[str, bool] = dict.fromkeys(
    [
        *("catboost", "fastai", "gradio", "hydra", "joblib", "lightgbm", "matplotlib"),
        *("megengine", "pytorch", "scikit", "tensorboard", "tensorflow", "tfdefines"),
        *("xgboost", "detect_repository"),
    ],
    False,
)
FLUSH_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class DatasetInfo:
    """The dataset version a run trains on."""

    name: str
    version: int
    md5: str


@dataclass(frozen=True)
class TaskHandle:
    """A started training task."""

    task: Any

    @property
    def task_id(self) -> str:
        """ClearML's id of the task."""
        return str(self.task.id)


def task_name(model_id: str, version: int) -> str:
    """The task's name: `<model_id> v<version>`."""
    return f"{model_id} v{version}"


def start_task(
    project: str,
    model_id: str,
    version: int,
    model_class: str,
    hyperparameters: Mapping[str, Any],
    dataset: DatasetInfo,
    output_uri: str | bool = True,
) -> TaskHandle:
    """Create the run's task; connect its hyperparameters; record model and dataset."""
    from clearml import Task

    if not Task.is_offline():
        ping(api_host())
    try:
        task: Any = Task.init(
            project_name=project,
            task_name=task_name(model_id, version),
            task_type=Task.TaskTypes.training,
            tags=[model_id, f"v{version}", model_class],
            reuse_last_task_id=False,
            output_uri=output_uri,
            auto_connect_frameworks=NO_AUTO_CONNECT,
            auto_connect_arg_parser=False,
            auto_resource_monitoring=False,
            auto_connect_streams=False,
        )
    except Exception as error:
        if is_connection_failure(error):
            raise Unavailable(f"ClearML unreachable (start task): {error}") from error
        raise
    task.connect(dict(hyperparameters), name="hyperparameters")
    task.set_user_properties(**_properties(model_id, version, model_class, dataset))
    logger.info("ClearML task {} started for {} v{}", task.id, model_id, version)
    return TaskHandle(task)


def report_metrics(handle: TaskHandle, metrics: Mapping[str, Any]) -> None:
    """Report the held-out metrics: as single values and as scalars (iteration 0)."""
    reporter = handle.task.get_logger()
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            reporter.report_single_value(name, float(value))
            reporter.report_scalar("metrics", name, float(value), iteration=0)


def finish(handle: TaskHandle, error: str | None = None) -> None:
    """Flush everything (uploads included) and close; a failed run is marked failed."""
    task = handle.task
    bounded(lambda: task.flush(wait_for_uploads=True), "flush the task", FLUSH_TIMEOUT_S)
    task.close()
    if error is not None:
        bounded(
            lambda: task.mark_failed(status_reason=error[:250], force=True),
            "mark the task failed",
            API_TIMEOUT_S,
        )
    logger.info("ClearML task {} closed ({})", task.id, "failed" if error else "completed")


def fail_task(task_id: str, reason: str) -> None:
    """Mark a run's task failed from outside (the training process was killed or timed out)."""

    def failed() -> None:
        from clearml.backend_api.session.client import APIClient

        APIClient().tasks.failed(task=task_id, force=True, status_reason=reason[:250])

    guarded(failed, f"mark task {task_id} failed")


def _properties(
    model_id: str, version: int, model_class: str, dataset: DatasetInfo
) -> dict[str, str]:
    return {
        "model_id": model_id,
        "model_version": str(version),
        "model_class": model_class,
        "dataset": dataset.name,
        "dataset_version": str(dataset.version),
        "dataset_md5": dataset.md5,
    }
