"""The training side of ClearML mode, without a ClearML server.

- The runner passes the ClearML ids a worker reports on, and marks the task failed when the
  worker is stopped before it closed it (fake workers: tiny scripts, started in a blink);
  a compiling stopped after the metrics leaves the (closed) task alone.
- The tracked run's order and failure handling (the SDK calls replaced by fakes), and the
  worker attaching a passing ONNX file to the run's ClearML model (or, when that fails,
  serving with scikit-learn and saying why).
- The real worker module on a real job in ClearML's offline mode: the task side is recorded
  (hyperparameters, properties, metrics, tags); publishing a model is skipped offline.
"""

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from server.clearml import tracking
from server.clearml.config import worker_env, write_config
from server.clearml.tracking import task_name
from server.errors import Unavailable
from server.models.compiled.outcome import CompileOutcome
from server.models.training import tracked, worker
from server.models.training.fit import TrainingError
from server.models.training.job import TrainJob
from server.models.training.runner import TrainingFailed, run_job, run_training
from server.settings import Settings
from tests.processes import wait_until
from tests.server.fake_workers import ScriptLauncher
from tests.server.model_fixtures import csv_bytes, iris


def make_job(tmp_path: Path, **changes: Any) -> TrainJob:
    data = tmp_path / "iris.csv"
    data.write_bytes(csv_bytes(iris()))
    fields: dict[str, Any] = {
        "model_id": "iris-w",
        "version": 2,
        "model_class": "LogisticRegression",
        "hyperparameters": {"C": 0.5, "max_iter": 300},
        "dataset_path": str(data),
        "dataset_format": "csv",
        "target_column": "target",
        "feature_types": {c: "number" for c in iris().columns if c != "target"},
        "test_size": 0.25,
        "random_state": 0,
        "output_path": str(tmp_path / "weights.skops"),
        "clearml_project": "proj-w",
        "dataset_id": "iris",
        "dataset_version": 3,
        "dataset_md5": "0123456789abcdef0123456789abcdef",
    }
    return TrainJob(**{**fields, **changes})


@pytest.fixture
def failed_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Calls of `fail_task` (replaced: there is no ClearML server)."""
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(
        tracking, "fail_task", lambda task_id, reason: calls.append((task_id, reason))
    )
    return calls


async def test_ids_reach_the_caller_and_a_closed_task_is_left_alone(tmp_path, failed_tasks):
    final = {"metrics": {"accuracy": 1.0}, "clearml_task_id": "t1", "clearml_model_id": "m1"}
    launcher = ScriptLauncher({"clearml_task_id": "t1"}, {"progress": 0.5, "stage": "x"}, final)
    seen: list[dict[str, str]] = []
    metrics = await run_job(make_job(tmp_path), 60, lambda _: None, launcher, seen.append)
    assert metrics == {"accuracy": 1.0}
    assert seen == [{"clearml_task_id": "t1"}, {"clearml_task_id": "t1", "clearml_model_id": "m1"}]
    await asyncio.sleep(0.3)
    assert failed_tasks == []


async def test_a_failure_reported_by_the_worker_is_not_failed_again(tmp_path, failed_tasks):
    error = {"error": "fitting failed: ValueError: x", "clearml_task_id": "t2"}
    launcher = ScriptLauncher({"clearml_task_id": "t2"}, error)
    with pytest.raises(TrainingFailed, match="fitting failed"):
        await run_job(make_job(tmp_path), 60, lambda _: None, launcher)
    await asyncio.sleep(0.3)
    assert failed_tasks == []


async def test_the_time_limit_marks_the_task_failed(tmp_path, failed_tasks):
    launcher = ScriptLauncher({"clearml_task_id": "t3"}, "sleep")
    with pytest.raises(TrainingFailed, match="training exceeded 3 s"):
        await run_job(make_job(tmp_path), 3, lambda _: None, launcher)
    await asyncio.to_thread(wait_until, lambda: bool(failed_tasks), 10, "fail_task")
    assert failed_tasks == [("t3", "training exceeded 3 s")]


async def test_compiling_past_the_time_limit_leaves_the_closed_task_alone(tmp_path, failed_tasks):
    final = {"metrics": {"accuracy": 1.0}, "clearml_task_id": "t5", "clearml_model_id": "m5"}
    launcher = ScriptLauncher({"clearml_task_id": "t5"}, final, "sleep")
    trained: list[dict[str, float]] = []
    result = await run_training(
        make_job(tmp_path), 3, lambda _: None, launcher, on_trained=trained.append
    )
    assert trained == [{"accuracy": 1.0}] and result.metrics == {"accuracy": 1.0}
    assert (result.compiled.engine, result.compiled.note) == (
        "sklearn",
        "not compiled: compiling exceeded 3 s",
    )
    await asyncio.sleep(0.3)
    assert failed_tasks == []


async def test_cancelling_marks_the_task_failed(tmp_path, failed_tasks):
    launcher = ScriptLauncher({"clearml_task_id": "t4"}, "sleep")
    run = asyncio.create_task(
        run_job(make_job(tmp_path), 60, lambda _: None, launcher, lambda _: run.cancel())
    )
    with pytest.raises(asyncio.CancelledError):
        await run
    await asyncio.to_thread(wait_until, lambda: bool(failed_tasks), 10, "fail_task")
    assert failed_tasks == [("t4", "the training process was stopped")]


class FakeSdk:
    """Stands in for the SDK calls of a tracked run; records what happened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.finished: list[str | None] = []
        self.reported: list[dict[str, float]] = []
        self.publish_error: Exception | None = None
        self.attached: list[tuple[str, Path, bool]] = []  # (model id, file, it was there)
        self.attach_error: Exception | None = None
        handle = tracking.TaskHandle(type("Task", (), {"id": "t9"})())
        monkeypatch.setattr(tracked, "start_task", lambda *a, **k: handle)
        monkeypatch.setattr(tracked, "report_metrics", lambda h, m: self.reported.append(m))
        monkeypatch.setattr(tracked, "publish", self.publish)
        monkeypatch.setattr(tracked, "finish", lambda h, error=None: self.finished.append(error))
        monkeypatch.setattr(tracked, "attach_onnx", self.attach_onnx)

    def publish(self, handle: Any, job: TrainJob) -> str:
        if self.publish_error:
            raise self.publish_error
        return "m9"

    def attach_onnx(self, model_id: str, path: Path) -> str:
        if self.attach_error:
            raise self.attach_error
        self.attached.append((model_id, path, path.is_file()))
        return f"s3://minio:9000/mlservice/clearml/p/t/models/{path.name}"


def fit_ok(job: TrainJob, report: Any) -> dict[str, Any]:
    report(0.5, "fitting")
    return {"metrics": {"accuracy": 0.9}}


def fit_fails(job: TrainJob, report: Any) -> dict[str, Any]:
    raise TrainingError("preparing the data failed: KeyError: 'y'")


def test_tracked_run_order(tmp_path, monkeypatch):
    sdk, sent = FakeSdk(monkeypatch), []
    assert tracked.run_tracked(make_job(tmp_path), sent.append, fit_ok) == 0
    assert sent[0] == {"clearml_task_id": "t9"}
    assert sent[1] == {"progress": 0.5, "stage": "fitting"}
    assert sent[-1] == {
        "metrics": {"accuracy": 0.9},
        "clearml_task_id": "t9",
        "clearml_model_id": "m9",
    }
    assert sdk.reported == [{"accuracy": 0.9}] and sdk.finished == [None]


def test_tracked_training_failure_closes_the_task_as_failed(tmp_path, monkeypatch):
    sdk, sent = FakeSdk(monkeypatch), []
    assert tracked.run_tracked(make_job(tmp_path), sent.append, fit_fails) == 1
    message = "preparing the data failed: KeyError: 'y'"
    assert sent == [{"clearml_task_id": "t9"}, {"error": message, "clearml_task_id": "t9"}]
    assert sdk.finished == [message]


def test_tracked_publish_outage_is_the_error(tmp_path, monkeypatch):
    sdk, sent = FakeSdk(monkeypatch), []
    sdk.publish_error = Unavailable("ClearML unreachable (publish weights of iris-w v2): refused")
    assert tracked.run_tracked(make_job(tmp_path), sent.append, fit_ok) == 1
    assert sent[-1]["error"].startswith("ClearML unreachable (publish weights")
    assert sdk.finished == [sent[-1]["error"]]


def test_tracked_start_outage_sends_no_task(tmp_path, monkeypatch):
    def down(*args: Any, **kwargs: Any) -> None:
        raise Unavailable("ClearML server http://127.0.0.1:9 unreachable: refused")

    monkeypatch.setattr(tracked, "start_task", down)
    sent: list[dict[str, Any]] = []
    assert tracked.run_tracked(make_job(tmp_path), sent.append, fit_ok) == 1
    assert sent == [{"error": "ClearML server http://127.0.0.1:9 unreachable: refused"}]


PASSED = CompileOutcome("onnx", "", 1e-7)


def test_a_passing_onnx_file_is_attached_to_the_clearml_model(tmp_path, monkeypatch):
    sdk = FakeSdk(monkeypatch)
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"compiled")
    job = make_job(tmp_path, compiled_path=str(onnx))
    assert tracked.attach_compiled(job, "m9", PASSED) == PASSED
    assert sdk.attached == [("m9", onnx, True)]


def test_nothing_is_attached_without_a_model_or_an_onnx_outcome(tmp_path, monkeypatch):
    sdk = FakeSdk(monkeypatch)
    job = make_job(tmp_path, compiled_path=str(tmp_path / "model.onnx"))
    assert tracked.attach_compiled(job, "", PASSED) == PASSED  # embedded or offline mode
    failed = CompileOutcome("sklearn", "parity failed: x", 0.5)
    assert tracked.attach_compiled(job, "m9", failed) == failed
    assert sdk.attached == []


@pytest.mark.parametrize(
    ("error", "why"),
    [
        (Unavailable("ClearML unreachable (attach): refused"), "ClearML unreachable (attach)"),
        (KeyError("url"), "internal error (KeyError)"),
    ],
)
def test_a_failed_attach_serves_with_scikit_learn_and_says_why(tmp_path, monkeypatch, error, why):
    FakeSdk(monkeypatch).attach_error = error
    job = make_job(tmp_path, compiled_path=str(tmp_path / "model.onnx"))
    outcome = tracked.attach_compiled(job, "m9", PASSED)
    assert outcome.engine == "sklearn" and outcome.max_abs_diff == PASSED.max_abs_diff
    prefix = "not compiled: attaching the ONNX file to ClearML model m9 failed: "
    assert outcome.note.startswith(prefix + why), outcome.note


@pytest.mark.timeout(120)
@pytest.mark.parametrize("attach_fails", [False, True])
def test_the_worker_attaches_its_compiled_model_after_the_task(tmp_path, monkeypatch, attach_fails):
    """The worker's own run (in this process): train tracked, then compile and attach."""
    sdk, sent = FakeSdk(monkeypatch), []
    if attach_fails:
        sdk.attach_error = Unavailable("ClearML server http://x:8008 unreachable: refused")
    job = make_job(tmp_path, compiled_path=str(tmp_path / "weights.onnx"))
    run = worker._Run(sent.append)
    assert run.train(job.to_json()) == 0
    assert sent[-1]["clearml_model_id"] == "m9" and sdk.finished == [None]
    run.compile()
    compiled = sent[-1]["compiled"]
    if attach_fails:
        assert compiled["engine"] == "sklearn" and sdk.attached == []
        assert "ClearML model m9 failed: ClearML server http://x:8008" in compiled["note"]
    else:
        assert (compiled["engine"], compiled["note"]) == ("onnx", "")
        assert sdk.attached == [("m9", Path(job.compiled_path), True)]


def test_model_metadata_and_tags(tmp_path):
    job = make_job(tmp_path)
    assert tracked.tags(job) == ["iris-w", "v2", "LogisticRegression"]
    assert tracked.metadata(job) == {
        "model_id": "iris-w",
        "version": 2,
        "model_class": "LogisticRegression",
        "dataset": "iris",
        "dataset_version": 3,
        "target": "target",
        "features": "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)",
    }


@pytest.mark.timeout(240)
async def test_the_real_worker_records_the_task_offline(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", clearml_api_host="http://127.0.0.1:9")
    write_config(settings)
    for name in list(os.environ):
        if name.startswith(("CLEARML_", "AWS_")):
            monkeypatch.delenv(name)
    for name, value in {**worker_env(settings), "CLEARML_OFFLINE_MODE": "1"}.items():
        monkeypatch.setenv(name, value)
    job = make_job(tmp_path, compiled_path=str(tmp_path / "weights.onnx"))
    seen: list[dict[str, str]] = []
    started = time.monotonic()
    result = await run_training(job, 200, lambda _: None, None, seen.append)
    print(f"offline worker run took {time.monotonic() - started:.1f} s")
    metrics = result.metrics
    task_id = seen[0]["clearml_task_id"]
    assert seen == [{"clearml_task_id": task_id}] * 2, "offline: no model id"
    assert Path(job.output_path).is_file()
    # Compiled after the task was closed, into the server's data dir (not a ClearML model).
    assert result.compiled.engine == "onnx", result.compiled.note
    assert Path(job.compiled_path).is_file()
    session = settings.data_dir / "clearml" / "cache" / "offline" / task_id
    check_offline_task(json.loads((session / "task.json").read_text()), job)
    check_offline_metrics(session / "metrics.jsonl", metrics)


def check_offline_task(task: dict[str, Any], job: TrainJob) -> None:
    assert task["name"] == task_name(job.model_id, job.version) == "iris-w v2"
    assert task["project_name"] == "proj-w" and task["type"] == "training"
    assert sorted(task["tags"]) == ["LogisticRegression", "iris-w", "v2"]
    hyperparameters = task["hyperparams"]["hyperparameters"]
    assert {k: v["value"] for k, v in hyperparameters.items()} == {"C": "0.5", "max_iter": "300"}
    properties = {k: v["value"] for k, v in task["hyperparams"]["properties"].items()}
    assert properties == {
        "model_id": "iris-w",
        "model_version": "2",
        "model_class": "LogisticRegression",
        "dataset": "iris",
        "dataset_version": "3",
        "dataset_md5": job.dataset_md5,
    }


def check_offline_metrics(path: Path, metrics: dict[str, float]) -> None:
    events = [e for line in path.read_text().splitlines() if line for e in json.loads(line)]
    scalars = {
        (e["metric"], e["variant"]): e["value"]
        for e in events
        if e["type"] == "training_stats_scalar" and e["metric"] == "metrics"
    }
    assert metrics and scalars == {("metrics", name): value for name, value in metrics.items()}
