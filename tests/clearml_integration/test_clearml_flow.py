"""The whole model flow through the gRPC API, with a real ClearML server and MinIO.

Weights and ONNX file both belong to the version's ClearML model: a server with an empty
cache serves ONNX loaded through ClearML, and DeleteModel removes both files.

Not part of `make test` (pyproject's `testpaths` leave it out): `make test-clearml` runs it
(docs/clearml.md). It needs `CLEARML_API_HOST`, `CLEARML_API_ACCESS_KEY` /
`CLEARML_API_SECRET_KEY` and `MLSERVICE_S3_*` for MinIO, and fails saying so without them.
Test servers inherit no `CLEARML_*` / `MLSERVICE_*` variable, so they are passed explicitly.
Each run uses its own ClearML project, so runs never see each other's tasks and models.
"""

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import grpc
import pytest
from botocore.exceptions import ClientError

from server.clearml.cache import weights_cache_dir
from server.clearml.config import WEIGHTS_PREFIX
from server.clearml.models import ONNX_URL, model_exists
from server.clearml.tracking import task_name
from server.gen import models_pb2, models_pb2_grpc, status_pb2, status_pb2_grpc
from server.settings import Settings
from server.storage.s3 import S3Config, ensure_bucket, make_client
from tests.grpc_helpers import READY, rows, struct, upload, wait_for_compiled
from tests.server.model_fixtures import csv_bytes, iris

NEEDS_CLEARML = "needs a ClearML server: set CLEARML_API_HOST and keys (make test-clearml)"
NEEDS_MINIO = "needs MinIO: set MLSERVICE_S3_ENDPOINT and keys (make test-clearml)"


@pytest.fixture(scope="module", autouse=True)
def clearml_server() -> None:
    """The suite runs against a real ClearML server or not at all."""
    if not os.environ.get("CLEARML_API_HOST"):
        pytest.fail(NEEDS_CLEARML, pytrace=False)


IRIS_ROWS: list[list[object]] = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
TRAIN_TIMEOUT_S = 300
OK = status_pb2.COMPONENT_STATE_OK


@dataclass
class Trained:
    """A READY, compiled version as the service reports it, plus where its files were found."""

    name: str
    number: int
    metrics: dict[str, float]
    clearml_task_id: str
    clearml_model_id: str
    weights_url: str = ""
    onnx_url: str = ""

    @property
    def model_id(self) -> str:
        return self.name.removeprefix("models/")


@pytest.fixture(scope="module")
def project() -> str:
    return f"mlservice-it-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def sdk_settings() -> Settings:
    """The settings the service gets from the environment; the bucket exists."""
    settings = Settings()
    if not settings.s3_endpoint:
        pytest.fail(NEEDS_MINIO, pytrace=False)
    ensure_bucket(S3Config.from_settings(settings))
    return settings


@pytest.mark.timeout(900)
def test_train_predict_retrain_delete(
    server_factory: Any, sdk_settings: Settings, project: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "service-data"
    server = server_factory(data_dir, **service_env(project))
    with grpc.insecure_channel(server.target) as channel:
        assert component_states(channel) >= {("clearml", OK), ("object_storage", OK)}
        upload(channel, "it-iris", csv_bytes(iris()))
        first = train(channel, {"C": 0.5, "max_iter": 300})
    check_task(first, project, {"C": 0.5, "max_iter": 300})
    check_weights(first, sdk_settings)
    check_onnx(first, sdk_settings)

    server.stop()  # a fresh process with an empty cache must load both files from ClearML
    cache = weights_cache_dir(Settings(data_dir=data_dir))
    shutil.rmtree(cache, ignore_errors=True)
    assert not list(Settings(data_dir=data_dir).models_dir.rglob("*.onnx")), "only in ClearML"
    server = server_factory(data_dir, **service_env(project))
    with grpc.insecure_channel(server.target) as channel:
        stub = models_pb2_grpc.ModelServiceStub(channel)
        answer = predict(stub, first.name)
        assert len(answer.predictions) == len(IRIS_ROWS)
        assert answer.engine == "onnx", "the ONNX file was loaded from ClearML"
        assert (cache / first.clearml_model_id / "onnx").is_dir(), "ONNX downloaded and cached"
        assert predict(stub, first.name, engine="sklearn").engine == "sklearn"
        assert (cache / first.clearml_model_id).is_dir(), "weights were downloaded and cached"

        second = retrain(channel, first.name, {"C": 2.0, "max_iter": 300})
        assert second.clearml_task_id != first.clearml_task_id
        assert second.clearml_model_id != first.clearml_model_id
        check_task(second, project, {"C": 2.0, "max_iter": 300})
        check_weights(second, sdk_settings)
        check_onnx(second, sdk_settings)
        assert predict(stub, first.name, version=1).model_version == 1
        assert predict(stub, first.name).model_version == 2

        stub.DeleteModel(models_pb2.DeleteModelRequest(name=first.name))
    for version in (first, second):
        assert not model_exists(version.clearml_model_id)
        assert not stored(version.weights_url, sdk_settings)
        assert not stored(version.onnx_url, sdk_settings)
        assert clearml_task(version.clearml_task_id).get_archived()


def service_env(project: str) -> dict[str, str]:
    """The ClearML and S3 settings of this shell: test servers inherit none of them."""
    passed = {k: v for k, v in os.environ.items() if k.startswith(("CLEARML_", "MLSERVICE_S3_"))}
    return {**passed, "MLSERVICE_CLEARML_PROJECT": project}


def component_states(channel: grpc.Channel) -> set[tuple[str, int]]:
    """(name, state) of every component in GetStatus."""
    status = status_pb2_grpc.StatusServiceStub(channel).GetStatus(status_pb2.GetStatusRequest())
    return {(c.name, c.state) for c in status.components}


def train(channel: grpc.Channel, hyperparameters: dict[str, object]) -> Trained:
    stub = models_pb2_grpc.ModelServiceStub(channel)
    model = stub.TrainModel(
        models_pb2.TrainModelRequest(
            model_id=f"it-{uuid.uuid4().hex[:8]}",
            model_class="LogisticRegression",
            hyperparameters=struct(hyperparameters),
            dataset="datasets/it-iris",
            target_column="target",
        )
    )
    return ready_version(channel, model.name, 1)


def retrain(channel: grpc.Channel, name: str, hyperparameters: dict[str, object]) -> Trained:
    stub = models_pb2_grpc.ModelServiceStub(channel)
    stub.RetrainModel(
        models_pb2.RetrainModelRequest(name=name, hyperparameters=struct(hyperparameters))
    )
    return ready_version(channel, name, 2)


def ready_version(channel: grpc.Channel, name: str, version: int) -> Trained:
    """The version once READY and compiled (its ONNX file attached to its ClearML model)."""
    model = wait_for_compiled(channel, name, version, timeout=TRAIN_TIMEOUT_S)
    found = model.versions[version - 1]
    assert found.state == READY, found.error
    assert (found.engine, found.engine_note) == ("onnx", ""), found.engine_note
    assert found.clearml_task_id and found.clearml_model_id
    return Trained(
        name, version, dict(found.metrics), found.clearml_task_id, found.clearml_model_id
    )


def predict(
    stub: models_pb2_grpc.ModelServiceStub, name: str, version: int = 0, engine: str = ""
) -> models_pb2.PredictResponse:
    request = models_pb2.PredictRequest(
        name=name, version=version, rows=rows(IRIS_ROWS), engine=engine
    )
    return stub.Predict(request)


def clearml_task(task_id: str) -> Any:
    from clearml import Task

    return Task.get_task(task_id=task_id)


def check_task(version: Trained, project: str, expected: dict[str, float]) -> None:
    task = clearml_task(version.clearml_task_id)
    number = version.number
    assert task.name == task_name(version.model_id, number)
    assert task.get_project_name() == project
    assert task.get_status() == "completed"
    assert {version.model_id, f"v{number}", "LogisticRegression"} <= set(task.get_tags())
    parameters = task.get_parameters_as_dict()["hyperparameters"]
    assert {k: float(parameters[k]) for k in expected} == expected
    properties = task.get_user_properties(value_only=True)
    assert properties["dataset"] == "it-iris"
    reported = task.get_reported_single_values()
    assert version.metrics, "the service reports metrics"
    for name, value in version.metrics.items():
        assert reported[name] == pytest.approx(value)


def check_weights(version: Trained, settings: Settings) -> None:
    """The Model belongs to the task and its weights are in the bucket, under clearml/."""
    from clearml import Model

    model = Model(model_id=version.clearml_model_id)
    prefix = f"s3://{settings.s3_endpoint}/{settings.s3_bucket}/{WEIGHTS_PREFIX}/"
    assert model.url.startswith(prefix), model.url
    assert model.task == version.clearml_task_id
    assert model.framework == "ScikitLearn"
    version.weights_url = model.url
    assert stored(version.weights_url, settings)


def check_onnx(version: Trained, settings: Settings) -> None:
    """The same Model carries the ONNX file's URL: beside the weights, present in MinIO."""
    from clearml import Model

    url = Model(model_id=version.clearml_model_id).get_metadata(ONNX_URL)
    assert url, f"model {version.clearml_model_id} has no {ONNX_URL}"
    assert url.endswith(".onnx"), url
    assert url.rpartition("/")[0] == version.weights_url.rpartition("/")[0], url
    version.onnx_url = url
    assert stored(url, settings)


def stored(url: str, settings: Settings) -> bool:
    """Whether the object at `url` is in MinIO."""
    parsed = urlparse(url)  # s3://host:port/bucket/key...
    bucket, _, key = parsed.path.lstrip("/").partition("/")
    try:
        make_client(S3Config.from_settings(settings)).head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True
