"""A training run tracked as a ClearML Task, inside the worker process (ClearML mode).

Order: start the task and send `{"clearml_task_id": ...}` at once (so the server can mark
the task failed if it has to kill the process), train, report the metrics, publish the
weights as the task's OutputModel, close the task, then send the success message with both
ids. Any failure after the start closes the task as failed with the same message the
server shows. Compiling to ONNX comes after, outside the task (see `worker`); a compiled model
that passed is then attached to the same ClearML model (`attach_compiled`).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

from server.clearml.models import attach_onnx, publish_weights
from server.clearml.tracking import (
    DatasetInfo,
    TaskHandle,
    finish,
    report_metrics,
    start_task,
    task_name,
)
from server.errors import ServiceError
from server.models.compiled.outcome import ONNX, SKLEARN, CompileOutcome
from server.models.training.compiling import NOTE_LENGTH
from server.models.training.job import TrainJob

Send = Callable[[dict[str, Any]], None]
Report = Callable[[float, str], None]
# Trains the job and saves the weights; returns the protocol's metrics message.
Fit = Callable[[TrainJob, Report], dict[str, Any]]
PUBLISHING = 0.97


def preload() -> None:
    """Import the SDK ahead of the job (a spare worker does this while it waits)."""
    import clearml  # noqa: F401


def run_tracked(job: TrainJob, send: Send, fit: Fit) -> int:
    """Run the job as a ClearML Task; send the protocol messages; return the exit status."""
    try:
        handle = start(job)
    except Exception as error:
        send({"error": failure_message(error, "starting the ClearML task")})
        return 1
    send({"clearml_task_id": handle.task_id})
    try:
        outcome = fit(job, lambda p, s: send({"progress": p, "stage": s}))
        report_metrics(handle, outcome["metrics"])
        send({"progress": PUBLISHING, "stage": "publishing the weights"})
        model_id = publish(handle, job)
    except Exception as error:
        message = failure_message(error, "training")
        close_failed(handle, message)
        send({"error": message, "clearml_task_id": handle.task_id})
        return 1
    close(handle)
    send({**outcome, "clearml_task_id": handle.task_id, "clearml_model_id": model_id})
    return 0


def start(job: TrainJob) -> TaskHandle:
    """Create the run's task (hyperparameters, dataset and model properties connected)."""
    dataset = DatasetInfo(job.dataset_id, job.dataset_version, job.dataset_md5)
    return start_task(
        job.clearml_project,
        job.model_id,
        job.version,
        job.model_class,
        job.hyperparameters,
        dataset,
        output_uri=job.clearml_output_uri or True,  # empty: ClearML's file server
    )


def publish(handle: TaskHandle, job: TrainJob) -> str:
    """Upload the weights as the task's OutputModel and return its id ("" when offline)."""
    from clearml import Task

    if Task.is_offline():
        # ClearML's offline mode (CLEARML_OFFLINE_MODE=1, used by the tests that run this
        # worker without a server) cannot create output models: clearml 2.1's
        # `OutputModel.update_weights` fails with "'DummyModel' object has no attribute
        # 'locked'". The task side is recorded; without a model id the server keeps the
        # weights in its data dir. A run connected to a server never takes this branch.
        logger.warning("ClearML offline mode: the weights are not published as a model")
        return ""
    name = task_name(job.model_id, job.version)
    return publish_weights(handle.task, Path(job.output_path), name, metadata(job), tags(job))


def attach_compiled(job: TrainJob, model_id: str, outcome: CompileOutcome) -> CompileOutcome:
    """Attach the ONNX file of a passing outcome to the ClearML model `model_id` (never raises).

    The version serves with ONNX only once any server can load it from ClearML: when the
    upload fails, the outcome turns scikit-learn with a note saying why.
    """
    if outcome.engine != ONNX or not model_id:
        return outcome
    try:
        attach_onnx(model_id, Path(job.compiled_path))
    except Exception as error:
        if isinstance(error, ServiceError):
            why = str(error)
        else:
            logger.opt(exception=error).error("attaching the ONNX file failed unexpectedly")
            why = f"internal error ({type(error).__name__})"
        note = f"not compiled: attaching the ONNX file to ClearML model {model_id} failed: {why}"
        logger.warning("models/{} v{}: {}", job.model_id, job.version, note)
        return CompileOutcome(SKLEARN, note[:NOTE_LENGTH], outcome.max_abs_diff)
    return outcome


def metadata(job: TrainJob) -> dict[str, object]:
    """The ClearML model's metadata."""
    return {
        "model_id": job.model_id,
        "version": job.version,
        "model_class": job.model_class,
        "dataset": job.dataset_id,
        "dataset_version": job.dataset_version,
        "target": job.target_column,
        "features": ",".join(job.feature_types),
    }


def tags(job: TrainJob) -> list[str]:
    """The ClearML model's tags (the task has the same)."""
    return [job.model_id, f"v{job.version}", job.model_class]


def close(handle: TaskHandle) -> None:
    """Close the task; the weights are uploaded already, so a failure here only warns."""
    try:
        finish(handle)
    except Exception as error:
        logger.warning("ClearML task {} not closed cleanly: {}", handle.task_id, error)


def close_failed(handle: TaskHandle, message: str) -> None:
    """Close the task as failed, as well as ClearML can be reached."""
    try:
        finish(handle, error=message)
    except Exception as error:
        logger.warning("ClearML task {} not marked failed: {}", handle.task_id, error)


def failure_message(error: Exception, what: str) -> str:
    """The message users see: the training or service error's own, else a generic one."""
    from server.models.training.fit import TrainingError

    if isinstance(error, TrainingError | ServiceError):
        return str(error)
    logger.opt(exception=error).error("{} failed unexpectedly", what)
    return f"internal error during {what} ({type(error).__name__})"
