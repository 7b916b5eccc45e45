"""One training run, in-process: load, split, fit, evaluate, save; then compile (the worker's body).

The worker reports the metrics after `train_and_save` (the version is READY from then on)
and compiles with `compile_trained` afterwards.
"""

import contextlib
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import skops.io
from loguru import logger
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from server.datasets.parsing import read_table
from server.models.classes import Task, get_model_class
from server.models.compiled.outcome import NOT_COMPILED, CompileOutcome
from server.models.compiled.parity import Outputs
from server.models.frames import coerce_frame
from server.models.training.compiling import compile_pipeline
from server.models.training.job import TrainJob
from server.models.training.metrics import evaluate, held_out_outputs
from server.models.training.pipeline import build_pipeline
from server.models.trusted_types import untrusted_types

Report = Callable[[float, str], None]


class TrainingError(Exception):
    """A training failure with a message fit for users (no traceback, no paths)."""


@contextlib.contextmanager
def stage(what: str, show_cause: bool = True) -> Iterator[None]:
    """Turn any failure inside into a `TrainingError` saying what failed (and why)."""
    try:
        yield
    except TrainingError:
        raise
    except Exception as error:
        logger.exception("training step failed: {}", what)
        cause = f": {type(error).__name__}: {_first_line(error)}" if show_cause else ""
        raise TrainingError(f"{what} failed{cause}") from error


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:400] if text else ""


@dataclass(frozen=True)
class Trained:
    """A fitted pipeline with its held-out rows, its answers on them and its metrics."""

    pipeline: Pipeline
    task: Task
    x_test: pd.DataFrame
    outputs: Outputs  # scikit-learn's answers on `x_test`: the parity gate's reference
    metrics: dict[str, float]


@dataclass(frozen=True)
class TrainResult:
    """What a run reports: the held-out metrics and the compile outcome."""

    metrics: dict[str, float]
    compiled: CompileOutcome


def train(job: TrainJob, report: Report) -> dict[str, float]:
    """Run the job and save the weights to `job.output_path`; return the held-out metrics."""
    return train_and_save(job, report).metrics


def train_and_compile(job: TrainJob, report: Report) -> TrainResult:
    """Both steps of a run in a row: train and save, then compile (never failing)."""
    trained = train_and_save(job, report)
    return TrainResult(trained.metrics, compile_trained(job, trained))


def train_and_save(job: TrainJob, report: Report) -> Trained:
    """Fit, evaluate and save the weights to `job.output_path`."""
    trained = fit_and_evaluate(job, report)
    report(0.9, "saving")
    save(trained.pipeline, Path(job.output_path))
    return trained


def compile_trained(job: TrainJob, trained: Trained) -> CompileOutcome:
    """Compile to `job.compiled_path` when it is set (never failing: scikit-learn otherwise)."""
    if not job.compiled_path:
        return NOT_COMPILED
    return compile_pipeline(
        trained.pipeline,
        trained.task is Task.CLASSIFICATION,
        job.feature_types,
        trained.x_test,
        trained.outputs,
        Path(job.compiled_path),
    )


def fit_and_evaluate(job: TrainJob, report: Report) -> Trained:
    """Read the dataset, split, fit the pipeline and compute the held-out metrics."""
    model_class = get_model_class(job.model_class)
    report(0.05, "reading data")
    with stage("reading the dataset", show_cause=False):
        frame = read_dataset(job)
    with stage("preparing the data"):
        x, y = features_and_target(frame, job, model_class.task)
        x_train, x_test, y_train, y_test = split(x, y, model_class.task, job)
    report(0.2, "fitting")
    with stage("fitting"):
        estimator = model_class.build(job.hyperparameters, job.random_state)
        pipeline = build_and_fit(estimator, job, x_train, y_train)
    report(0.8, "evaluating")
    with stage("evaluating"):
        outputs = held_out_outputs(pipeline, model_class.task, x_test)
        metrics = evaluate(pipeline, model_class.task, outputs, x_test, y_test)
    return Trained(pipeline, model_class.task, x_test, outputs, metrics)


def read_dataset(job: TrainJob) -> pd.DataFrame:
    """The dataset file, parsed exactly as the dataset store parses uploads."""
    return read_table(Path(job.dataset_path), job.dataset_format)


def features_and_target(
    frame: pd.DataFrame, job: TrainJob, task: Task
) -> tuple[pd.DataFrame, pd.Series]:
    """Features with their kinds' dtypes and the target; rows without a target are dropped."""
    target = frame[job.target_column]
    if task is Task.REGRESSION:
        target = pd.to_numeric(target, errors="coerce").astype("float64")
    keep = target.notna()
    target = _label_dtype(target[keep]) if task is Task.CLASSIFICATION else target[keep]
    if len(target) < 2:
        raise TrainingError(f"fewer than 2 rows have a value in {job.target_column!r}")
    return coerce_frame(frame[keep], job.feature_types), target


def _label_dtype(target: pd.Series) -> pd.Series:
    """Class labels as ints when they are whole numbers, else as strings."""
    if pd.api.types.is_bool_dtype(target) or pd.api.types.is_integer_dtype(target):
        return target
    if pd.api.types.is_float_dtype(target) and (target % 1 == 0).all():
        return target.astype("int64")
    return target.astype(str)


def split(x: pd.DataFrame, y: pd.Series, task: Task, job: TrainJob) -> list[Any]:
    """Train/test split; stratified for classification when every class allows it."""
    stratify = None
    if task is Task.CLASSIFICATION:
        counts = y.value_counts()
        n_test = math.ceil(job.test_size * len(y))
        if counts.min() >= 2 and len(counts) <= min(n_test, len(y) - n_test):
            stratify = y
    return list(
        train_test_split(
            x, y, test_size=job.test_size, random_state=job.random_state, stratify=stratify
        )
    )


def build_and_fit(estimator: Any, job: TrainJob, x: pd.DataFrame, y: pd.Series) -> Pipeline:
    """The full pipeline, fitted."""
    return build_pipeline(estimator, job.feature_types).fit(x, y)


def save(pipeline: Pipeline, output: Path) -> None:
    """Dump with skops to a temp file, check every type is allowed, rename into place."""
    temp = output.with_name(f".{output.name}.tmp")
    with stage("saving the weights", show_cause=False):
        skops.io.dump(pipeline, temp)
        refused = untrusted_types(temp)
    if refused:
        temp.unlink(missing_ok=True)
        raise TrainingError(f"the trained model contains types not allowed: {refused}")
    os.replace(temp, output)
