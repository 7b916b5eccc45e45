"""Training: every class fits, evaluates and saves weights that load with the allow-list."""

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import pytest_asyncio
import skops.io

from server.datasets.store import DvcDatasetStore
from server.models.classes import Task, model_classes
from server.models.frames import coerce_frame
from server.models.training.fit import TrainingError, train
from server.models.training.job import TrainJob
from server.models.training.launcher import WorkerLauncher
from server.models.training.runner import TrainingFailed, run_job, run_training
from server.models.trusted_types import ALLOWED_TYPES, load_weights
from tests.server.fake_workers import ScriptLauncher
from tests.server.model_fixtures import (
    diabetes,
    iris,
    job_for,
    mixed,
    model_settings,
    upload_frame,
)

CLASSIFICATION = {"accuracy", "f1_macro", "roc_auc"}
REGRESSION = {"r2", "mae", "rmse"}


@pytest_asyncio.fixture(scope="module")
async def store(tmp_path_factory) -> DvcDatasetStore:
    store = DvcDatasetStore(model_settings(tmp_path_factory.mktemp("training")))
    await upload_frame(store, "iris", iris())
    await upload_frame(store, "diabetes", diabetes())
    await upload_frame(store, "mixed", mixed())
    return store


def dataset_for(task: Task) -> tuple[str, str]:
    return ("iris", "target") if task is Task.CLASSIFICATION else ("diabetes", "target")


def check_weights(path: Path, frame: pd.DataFrame, feature_types: dict[str, str]):
    """The weights hold only allowed types, load with the allow-list, and predict."""
    assert set(skops.io.get_untrusted_types(file=path)) <= set(ALLOWED_TYPES)
    pipeline = load_weights(path)
    sample = frame.head(5)
    assert len(pipeline.predict(coerce_frame(sample, feature_types))) == len(sample)
    return pipeline


@pytest.mark.parametrize("name", list(model_classes()))
def test_every_class_trains_and_its_weights_load(store, tmp_path, name):
    task = model_classes()[name].task
    dataset_id, target = dataset_for(task)
    record = store.get_version(dataset_id)
    job = job_for(store, record, name, target, tmp_path / "w.skops")
    progress: list[float] = []
    metrics = train(job, lambda p, _stage: progress.append(p))
    expected = CLASSIFICATION if task is Task.CLASSIFICATION else REGRESSION
    if name == "SVC":  # no predict_proba: binary-only decision-function AUC
        expected = expected - {"roc_auc"}
    assert set(metrics) == expected
    assert progress == sorted(progress) and progress[-1] < 1
    frame = iris() if task is Task.CLASSIFICATION else diabetes()
    check_weights(Path(job.output_path), frame, job.feature_types)
    assert not list(tmp_path.glob(".*tmp"))


def test_categorical_strings_and_missing_values(store, tmp_path):
    record = store.get_version("mixed")
    job = job_for(store, record, "LogisticRegression", "label", tmp_path / "w.skops")
    assert job.feature_types == {"colour": "string", "size": "number", "weight": "number"}
    metrics = train(job, lambda *_: None)
    assert metrics["accuracy"] > 0.6 and 0 <= metrics["roc_auc"] <= 1
    unseen = pd.DataFrame({"colour": ["purple", None], "size": [None, 12.0], "weight": [0.0, 1.0]})
    pipeline = check_weights(Path(job.output_path), unseen, job.feature_types)
    assert set(pipeline.classes_) == {"no", "yes"}


@pytest.mark.parametrize("metric", ["manhattan", "chebyshev"])
@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
def test_nearest_neighbour_trees_and_metrics_are_allowed(store, tmp_path, metric, algorithm):
    record = store.get_version("iris")
    job = job_for(
        store, record, "KNeighborsClassifier", "target", tmp_path / "w.skops",
        metric=metric, algorithm=algorithm,
    )  # fmt: skip
    train(job, lambda *_: None)
    check_weights(Path(job.output_path), iris(), job.feature_types)


def test_fit_errors_become_a_short_message(store, tmp_path):
    record = store.get_version("iris")
    job = job_for(
        store, record, "LogisticRegression", "target", tmp_path / "w.skops",
        solver="lbfgs", l1_ratio=1.0,
    )  # fmt: skip
    with pytest.raises(TrainingError) as error:
        train(job, lambda *_: None)
    message = str(error.value)
    assert message.startswith("fitting failed: ValueError")
    assert "Traceback" not in message and "\n" not in message
    assert not Path(job.output_path).exists()


async def test_worker_processes_train_and_fail_cleanly(store, tmp_path):
    """Two runs through warm spares: one trains (with progress), one fails without a trace."""
    launcher = WorkerLauncher(spares=1)
    record = store.get_version("mixed")
    job = job_for(store, record, "RandomForestClassifier", "label", tmp_path / "w.skops")
    progress: list[float] = []
    metrics = await run_job(job, 120, progress.append, launcher)
    # The spare starts when the run has ended, not beside the fit.
    assert len(launcher._idle) + len(launcher._starting) == 1
    assert set(metrics) == CLASSIFICATION
    assert progress and progress == sorted(progress)
    assert Path(job.output_path).exists()

    broken = job_for(store, record, "Ridge", "missing-column", tmp_path / "x.skops")
    await asyncio.gather(*launcher._starting)  # the second run takes the warm spare
    warm = launcher._idle[0]
    with pytest.raises(TrainingFailed) as error:
        await run_job(broken, 120, lambda _: None, launcher)
    assert "preparing the data failed: KeyError" in str(error.value)
    assert "Traceback" not in str(error.value)
    assert warm.returncode is not None and warm not in launcher._idle
    spares = list(launcher._idle)
    await launcher.stop()
    assert all(process.returncode is not None for process in spares)


async def test_time_limit_kills_the_worker(store, tmp_path):
    record = store.get_version("iris")
    job = job_for(store, record, "RandomForestClassifier", "target", tmp_path / "w.skops")
    started = time.monotonic()
    with pytest.raises(TrainingFailed, match=r"training exceeded 0.5 s"):
        await run_job(job, timeout_s=0.5, on_progress=lambda _: None)
    assert time.monotonic() - started < 5
    assert not Path(job.output_path).exists()


async def test_cancelling_kills_the_worker(store, tmp_path):
    record = store.get_version("iris")
    job = job_for(store, record, "RandomForestClassifier", "target", tmp_path / "w.skops")
    task = asyncio.create_task(run_job(job, timeout_s=120, on_progress=lambda _: None))
    await asyncio.sleep(0.5)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 5
    assert not Path(job.output_path).exists()


async def test_the_metrics_are_passed_on_before_compiling(store, tmp_path):
    """The real worker: weights saved and reported first, then the compile outcome."""
    record = store.get_version("mixed")
    job = job_for(store, record, "RandomForestClassifier", "label", tmp_path / "w.skops")
    job = replace(job, compiled_path=str(tmp_path / "w.onnx"))
    trained: list[tuple[dict[str, float], bool]] = []

    def on_trained(metrics: dict[str, float]) -> None:
        trained.append((metrics, Path(job.output_path).is_file()))

    result = await run_training(job, 120, lambda _: None, on_trained=on_trained)
    assert trained == [(result.metrics, True)] and set(result.metrics) == CLASSIFICATION
    assert result.compiled.engine == "onnx", result.compiled.note
    assert Path(job.compiled_path).is_file()


async def test_a_worker_that_dies_while_compiling_keeps_its_metrics(tmp_path):
    launcher = ScriptLauncher({"progress": 0.5, "stage": "fitting"}, {"metrics": {"r2": 0.5}})
    trained: list[dict[str, float]] = []
    result = await run_training(
        _fake_job(tmp_path), 60, lambda _: None, launcher, on_trained=trained.append
    )
    assert trained == [{"r2": 0.5}] == [result.metrics]
    assert result.compiled.engine == "sklearn"
    assert result.compiled.note == "not compiled: the worker exited with status 0 while compiling"


async def test_the_compile_outcome_is_read_after_the_metrics(tmp_path):
    compiled = {"engine": "onnx", "note": "", "max_abs_diff": 1e-6}
    launcher = ScriptLauncher({"metrics": {"r2": 0.5}}, {"compiled": compiled})
    result = await run_training(_fake_job(tmp_path), 60, lambda _: None, launcher)
    assert (result.metrics, result.compiled.to_dict()) == ({"r2": 0.5}, compiled)


async def test_the_time_limit_applies_to_compiling_separately(tmp_path):
    launcher = ScriptLauncher({"metrics": {"r2": 0.5}}, "sleep")
    result = await run_training(_fake_job(tmp_path), 2, lambda _: None, launcher)
    assert result.metrics == {"r2": 0.5}
    assert result.compiled.note == "not compiled: compiling exceeded 2 s"


def _fake_job(tmp_path: Path) -> TrainJob:
    """A job for fake workers (they never read it)."""
    return TrainJob(
        "fake", 1, "Ridge", {}, str(tmp_path / "d.csv"), "csv", "y", {"x": "number"}, 0.25, 0,
        str(tmp_path / "w.skops"), str(tmp_path / "w.onnx"),
    )  # fmt: skip
