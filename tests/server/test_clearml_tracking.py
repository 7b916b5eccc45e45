"""The training task side, with the real ClearML SDK in offline mode, in a fresh process.

The run writes ClearML's offline session (task.json, metrics.jsonl, and a zip of both) under
the cache dir our clearml.conf sets; the assertions read those files.
"""

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from server.clearml.config import worker_env, write_config
from server.clearml.tracking import NO_AUTO_CONNECT, task_name
from server.settings import Settings
from tests.server.sdk_scripts import run_script

HYPERPARAMETERS = {"C": 0.5, "penalty": "l2", "max_iter": None, "fit_intercept": True}
MD5 = "0123456789abcdef0123456789abcdef"

RUN = """
import json, sys
from server.clearml.tracking import DatasetInfo, finish, report_metrics, start_task

project, output_uri = sys.argv[1], sys.argv[2]
hyperparameters = json.loads(sys.argv[3])
handle = start_task(project, "iris-model", 3, "LogisticRegression", hyperparameters,
                    DatasetInfo("iris", 2, sys.argv[4]), output_uri=output_uri)
report_metrics(handle, {"accuracy": 0.93, "f1_macro": 0.875, "nan": float("nan"), "note": "x"})
folder = handle.task.get_offline_mode_folder()
finish(handle)
failed = start_task(project, "iris-model", 4, "LogisticRegression", {}, DatasetInfo("iris", 2, ""))
finish(failed, error="training failed: boom")
print(json.dumps({"task_id": handle.task_id, "folder": str(folder),
                  "failed_id": failed.task_id}))
"""


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("clearml-offline") / "data"
    settings = Settings(data_dir=data_dir, s3_endpoint="127.0.0.1:9", s3_bucket="b")
    write_config(settings)
    env = {**worker_env(settings), "CLEARML_OFFLINE_MODE": "1"}
    args = ["proj-x", "s3://127.0.0.1:9/b/clearml", json.dumps(HYPERPARAMETERS), MD5]
    result: dict[str, Any] = run_script(RUN, args, env)
    result["data_dir"] = data_dir
    return result


def session(run: dict[str, Any]) -> Path:
    return Path(run["folder"])


def task_json(run: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((session(run) / "task.json").read_text())
    return data


def events(run: dict[str, Any]) -> list[dict[str, Any]]:
    lines = (session(run) / "metrics.jsonl").read_text().splitlines()
    return [event for line in lines if line.strip() for event in json.loads(line)]


def test_session_lives_in_the_configured_cache(offline_run: dict[str, Any]) -> None:
    offline_dir = offline_run["data_dir"] / "clearml" / "cache" / "offline"
    assert session(offline_run) == offline_dir / offline_run["task_id"]
    with zipfile.ZipFile(f"{session(offline_run)}.zip") as archive:
        assert {"task.json", "metrics.jsonl"} <= set(archive.namelist())


def test_task_name_project_tags(offline_run: dict[str, Any]) -> None:
    task = task_json(offline_run)
    assert task["name"] == task_name("iris-model", 3) == "iris-model v3"
    assert task["project_name"] == "proj-x"
    assert task["type"] == "training"
    assert sorted(task["tags"]) == ["LogisticRegression", "iris-model", "v3"]


def test_hyperparameters_connected(offline_run: dict[str, Any]) -> None:
    section = task_json(offline_run)["hyperparams"]["hyperparameters"]
    values = {name: entry["value"] for name, entry in section.items()}
    assert values == {"C": "0.5", "penalty": "l2", "max_iter": "", "fit_intercept": "True"}


def test_model_and_dataset_properties(offline_run: dict[str, Any]) -> None:
    properties = task_json(offline_run)["hyperparams"]["properties"]
    values = {name: entry["value"] for name, entry in properties.items()}
    assert values == {
        "model_id": "iris-model",
        "model_version": "3",
        "model_class": "LogisticRegression",
        "dataset": "iris",
        "dataset_version": "2",
        "dataset_md5": MD5,
    }


def test_metrics_reported_as_single_values_and_scalars(offline_run: dict[str, Any]) -> None:
    scalars = {
        (e["metric"], e["variant"], e["iter"]): e["value"]
        for e in events(offline_run)
        if e["type"] == "training_stats_scalar"
    }
    summary_iteration = -(2**31)  # where ClearML keeps single values
    assert scalars == {
        ("Summary", "accuracy", summary_iteration): 0.93,
        ("Summary", "f1_macro", summary_iteration): 0.875,
        ("metrics", "accuracy", 0): 0.93,
        ("metrics", "f1_macro", 0): 0.875,
    }


def test_no_auto_logging(offline_run: dict[str, Any]) -> None:
    task = task_json(offline_run)
    assert "script" not in task, "repository and requirements detection are off"
    assert "Args" not in task["hyperparams"], "argparse is not connected"
    assert not [e for e in events(offline_run) if e["metric"].startswith(":monitor:")]
    assert all(value is False for value in NO_AUTO_CONNECT.values())


def test_a_second_task_after_close_and_a_failed_finish(offline_run: dict[str, Any]) -> None:
    assert offline_run["failed_id"] != offline_run["task_id"]
    failed = session(offline_run).parent / offline_run["failed_id"] / "task.json"
    assert json.loads(failed.read_text())["name"] == "iris-model v4"
