"""ClearML mode wired into the service, without a ClearML server.

- The ClearML registry: weights and ONNX cache, a model deleted in ClearML, outages, delete,
  the lazy presence check (the ClearML calls replaced by fakes); Predict with a fresh cache
  loading the ONNX file through ClearML, and falling back to scikit-learn while it cannot.
- Startup: config file, environment, bucket.
- A real server in ClearML mode whose ClearML cannot be reached: it serves, its status says
  why, and TrainModel answers UNAVAILABLE within seconds without creating anything.
"""

import os
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest

from server.clearml import startup
from server.clearml.cache import cached_compiled, cached_weights
from server.errors import FailedPrecondition, NotFound, Unavailable
from server.gen import models_pb2, models_pb2_grpc, status_pb2, status_pb2_grpc
from server.models import clearml_registry
from server.models.classes import Task
from server.models.clearml_registry import DELETED_IN_CLEARML, ClearMLModelRegistry
from server.models.records import ModelRecord, ModelState, utc_now
from server.models.serving import Predictor
from server.models.training.fit import train_and_compile
from server.settings import Settings
from server.storage.s3 import S3Config, make_client
from tests.grpc_helpers import struct, upload
from tests.processes import free_port
from tests.s3_server import S3Server
from tests.server.model_fixtures import csv_bytes, iris
from tests.server.test_clearml_worker import make_job
from tests.server.test_model_registry import model, version


def tracked_version(number: int, model_id: str = "", task_id: str = "") -> Any:
    return version(number).evolve(clearml_model_id=model_id, clearml_task_id=task_id)


@pytest.fixture
def registry(tmp_path: Path) -> ClearMLModelRegistry:
    return ClearMLModelRegistry(Settings(data_dir=tmp_path, clearml_api_host="http://x:8008"))


def staged_file(
    registry: ClearMLModelRegistry, data: bytes = b"weights", name: str = "run.skops"
) -> Path:
    staged = registry.staging / name
    staged.write_bytes(data)
    return staged


def test_store_weights_moves_them_into_the_cache(registry):
    registry.create(model("m", tracked_version(1, "cm1", "ct1")))
    staged = staged_file(registry)
    registry.store_weights("m", tracked_version(1, "cm1", "ct1"), staged)
    assert not staged.exists()
    cached = cached_weights(registry.cache_dir, "cm1")
    assert cached is not None and cached.read_bytes() == b"weights"
    assert registry.weights_path("m", 1) == cached  # from the cache: no ClearML call


def test_a_version_without_a_clearml_model_keeps_local_weights(registry):
    registry.create(model("m", tracked_version(1)))
    registry.store_weights("m", tracked_version(1), staged_file(registry, b"local"))
    assert registry.weights_path("m", 1).read_bytes() == b"local"


def staged_onnx(registry: ClearMLModelRegistry, data: bytes = b"onnx") -> Path:
    return staged_file(registry, data, "run.onnx")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path]]:
    """Calls of `load_onnx` (replaced: there is no ClearML server); it finds no ONNX file."""
    calls: list[tuple[str, Path]] = []

    def load_onnx(model_id: str, cache_dir: Path) -> Path | None:
        calls.append((model_id, cache_dir))
        return None

    monkeypatch.setattr(clearml_registry, "load_onnx", load_onnx)
    return calls


def test_store_compiled_keeps_the_onnx_file_by_clearml_model(registry):
    registry.create(model("m", tracked_version(1, "cm1", "ct1")))
    staged = staged_onnx(registry)
    registry.store_compiled("m", tracked_version(1, "cm1", "ct1"), staged)
    assert not staged.exists()
    cached = cached_compiled(registry.cache_dir, "cm1")
    assert cached is not None and cached.read_bytes() == b"onnx"
    assert registry.compiled_path("m", 1) == cached  # from the cache: no ClearML call
    assert not (registry.root / "m").exists()  # not in the data dir's model folder


def test_a_fresh_cache_loads_the_onnx_file_through_clearml(registry, monkeypatch):
    downloaded = registry.staging / "downloaded.onnx"
    downloaded.write_bytes(b"onnx")
    calls: list[tuple[str, Path]] = []
    monkeypatch.setattr(
        clearml_registry, "load_onnx", lambda m, d: calls.append((m, d)) or downloaded
    )
    registry.create(model("m", tracked_version(1, "cm1")))
    assert registry.compiled_path("m", 1) == downloaded
    assert calls == [("cm1", registry.cache_dir)]


def test_onnx_files_outside_clearml_stay_in_the_data_dir(registry, downloads):
    registry.create(model("m", tracked_version(1), tracked_version(2, "cm2")))
    registry.store_compiled("m", tracked_version(1), staged_onnx(registry, b"local"))
    path = registry.compiled_path("m", 1)
    assert path is not None and path.read_bytes() == b"local"  # no ClearML model
    older = registry.root / "m" / "v2.onnx"  # compiled before ONNX files went to ClearML
    older.write_bytes(b"older")
    assert registry.compiled_path("m", 2) == older
    assert registry.compiled_path("gone", 1) is None
    assert downloads == []


def test_without_an_onnx_file_in_clearml_there_is_none(registry, monkeypatch, downloads):
    registry.create(model("m", tracked_version(1, "cm1"), tracked_version(2, "cm2")))
    assert registry.compiled_path("m", 1) is None
    assert registry.compiled_path("m", 1) is None  # known to have none: ClearML is asked once
    assert downloads == [("cm1", registry.cache_dir)]

    def gone(model_id: str, cache_dir: Path) -> Path:
        raise NotFound(f"ClearML model {model_id} no longer exists")

    monkeypatch.setattr(clearml_registry, "load_onnx", gone)
    assert registry.compiled_path("m", 2) is None  # loading the weights says why


@pytest.fixture(scope="module")
def iris_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Real weights and a real ONNX file of an iris classifier, and its feature types."""
    job = make_job(tmp_path_factory.mktemp("iris"))
    job = replace(job, compiled_path=str(Path(job.output_path).with_suffix(".onnx")))
    assert train_and_compile(job, lambda *_: None).compiled.engine == "onnx"
    return Path(job.output_path), Path(job.compiled_path), job.feature_types


IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def iris_model(features: dict[str, str]) -> ModelRecord:
    version = tracked_version(1, "cm1", "ct1")
    return ModelRecord(
        "iris", Task.CLASSIFICATION, "iris", "target", tuple(features), utc_now(),
        (replace(version, feature_types=features, engine="onnx"),),
    )  # fmt: skip


async def test_predict_with_a_fresh_cache_serves_onnx_from_clearml(
    tmp_path, monkeypatch, iris_files
):
    weights, onnx, features = iris_files
    settings = Settings(data_dir=tmp_path, clearml_api_host="http://x:8008")
    registry = ClearMLModelRegistry(settings)
    registry.create(iris_model(features))
    monkeypatch.setattr(clearml_registry, "load_weights", lambda m, d: weights)
    monkeypatch.setattr(clearml_registry, "load_onnx", lambda m, d: onnx)
    answer = await Predictor(registry, settings).predict("iris", 0, IRIS_ROWS)
    assert answer.engine == "onnx" and len(answer.predictions) == 2


async def test_predict_falls_back_to_scikit_learn_while_the_onnx_file_is_unavailable(
    tmp_path, monkeypatch, iris_files
):
    weights, _, features = iris_files
    settings = Settings(data_dir=tmp_path, clearml_api_host="http://x:8008")
    registry = ClearMLModelRegistry(settings)
    registry.create(iris_model(features))

    def down(*args: Any) -> Any:
        raise Unavailable("ClearML server http://x:8008 unreachable: refused")

    monkeypatch.setattr(clearml_registry, "load_weights", lambda m, d: weights)
    monkeypatch.setattr(clearml_registry, "load_onnx", down)
    predictor = Predictor(registry, settings)
    answer = await predictor.predict("iris", 0, IRIS_ROWS)
    assert answer.engine == "sklearn" and len(answer.predictions) == 2
    with pytest.raises(Unavailable):
        await predictor.predict("iris", 0, IRIS_ROWS, engine="onnx")


def test_a_model_deleted_in_clearml_fails_its_version(registry, monkeypatch):
    def gone(model_id: str, cache_dir: Path) -> Path:
        raise NotFound(f"ClearML model {model_id} no longer exists")

    monkeypatch.setattr(clearml_registry, "load_weights", gone)
    registry.create(model("m", tracked_version(1, "cm1")))
    with pytest.raises(FailedPrecondition, match=f"v1 was {DELETED_IN_CLEARML}"):
        registry.weights_path("m", 1)
    failed = registry.list()[0].latest
    assert failed.state is ModelState.FAILED and failed.error.startswith(DELETED_IN_CLEARML)


def test_an_outage_is_unavailable_and_changes_nothing(registry, monkeypatch):
    def down(*args: Any) -> Any:
        raise Unavailable("ClearML server http://x:8008 unreachable: refused")

    monkeypatch.setattr(clearml_registry, "load_weights", down)
    monkeypatch.setattr(clearml_registry, "delete_models", down)
    registry.create(model("m", tracked_version(1, "cm1", "ct1")))
    with pytest.raises(Unavailable):
        registry.weights_path("m", 1)
    with pytest.raises(Unavailable):
        registry.delete("m")
    assert registry.list()[0].latest.state is ModelState.READY  # kept: retry the delete


def test_delete_removes_clearml_models_and_tasks_first(registry, monkeypatch):
    calls: list[tuple[list[str], list[str]]] = []
    monkeypatch.setattr(
        clearml_registry, "delete_models", lambda m, t, cache_dir: calls.append((m, t))
    )
    registry.create(model("m", tracked_version(1, "cm1", "ct1"), tracked_version(2, "", "ct2")))
    registry.delete("m")
    assert calls == [(["cm1"], ["ct1", "ct2"])]
    with pytest.raises(NotFound):
        registry.get("m")


def test_reading_a_model_checks_lazily_that_its_clearml_models_exist(registry, monkeypatch):
    asked: list[list[str]] = []

    def existing(ids: list[str]) -> set[str]:
        asked.append(ids)
        return {"cm2"}

    monkeypatch.setattr(clearml_registry, "existing_models", existing)
    registry.create(model("m", tracked_version(1, "cm1"), tracked_version(2, "cm2")))
    assert registry.get("m").serving_version == 2  # answered at once, checked behind
    registry.presence.wait(10)
    registry.get("m")  # within the minute: not checked again
    registry.presence.wait(10)
    assert asked == [["cm1", "cm2"]]
    first, second = registry.get("m").versions
    assert first.state is ModelState.FAILED and DELETED_IN_CLEARML in first.error
    assert second.state is ModelState.READY


def test_the_presence_check_proves_nothing_while_clearml_is_down(registry, monkeypatch):
    def down(ids: list[str]) -> set[str]:
        raise Unavailable("ClearML server http://x:8008 unreachable")

    monkeypatch.setattr(clearml_registry, "existing_models", down)
    registry.create(model("m", tracked_version(1, "cm1")))
    registry.get("m")
    registry.presence.wait(10)
    assert registry.get("m").latest.state is ModelState.READY


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A copy of the environment for startup to update (restored afterwards)."""
    copy = dict(os.environ)
    monkeypatch.setattr(os, "environ", copy)
    return copy


def test_startup_without_backends_changes_nothing(tmp_path, environ):
    before = dict(environ)
    assert startup.prepare_backends(Settings(data_dir=tmp_path, clearml_api_host="")) == []
    assert environ == before


def test_startup_in_clearml_mode_writes_the_config(tmp_path, environ, monkeypatch):
    monkeypatch.setattr(startup, "check_clearml", lambda host: ("DOWN", f"{host} unreachable"))
    settings = Settings(data_dir=tmp_path, clearml_api_host=f"http://127.0.0.1:{free_port()}")
    [check] = startup.prepare_backends(settings)
    config = Path(environ["CLEARML_CONFIG_FILE"])
    assert config == tmp_path / "clearml" / "clearml.conf"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    [component] = list(check())
    assert (component.name, component.state) == ("clearml", "DOWN")
    assert "unreachable" in component.message
    with pytest.raises(ValueError, match="MLSERVICE_CLEARML_PROJECT"):
        startup.prepare_clearml(settings.model_copy(update={"clearml_project": " "}))


def test_startup_creates_the_bucket_and_bounds_retries(tmp_path, environ, s3_server: S3Server):
    bucket = f"startup-{free_port()}"
    settings = Settings(
        data_dir=tmp_path,
        clearml_api_host="",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=bucket,
    )
    [check] = startup.prepare_backends(settings)
    make_client(S3Config.from_settings(settings)).head_bucket(Bucket=bucket)
    assert environ["AWS_MAX_ATTEMPTS"] == "2"
    [component] = list(check())
    assert (component.name, component.state) == ("object_storage", "OK")
    closed = settings.model_copy(update={"s3_endpoint": f"127.0.0.1:{free_port()}"})
    startup.prepare_s3(closed)  # unreachable at startup: a warning, not a crash


DOWN = status_pb2.COMPONENT_STATE_DOWN


@pytest.mark.timeout(240)
def test_a_server_whose_clearml_is_down(server_factory):
    server = server_factory(
        CLEARML_API_HOST=f"http://127.0.0.1:{free_port()}",
        CLEARML_API_ACCESS_KEY="key",
        CLEARML_API_SECRET_KEY="secret",
    )  # started: health is SERVING, ClearML is not essential
    assert (server.data_dir / "clearml" / "clearml.conf").is_file()
    with grpc.insecure_channel(server.target) as channel:
        status = status_pb2_grpc.StatusServiceStub(channel).GetStatus(status_pb2.GetStatusRequest())
        components = {c.name: c for c in status.components}
        assert components["clearml"].state == DOWN
        assert "unreachable" in components["clearml"].message
        assert "ClearML" in components["model_registry"].message
        upload(channel, "iris", csv_bytes(iris()))
        stub = models_pb2_grpc.ModelServiceStub(channel)
        request = models_pb2.TrainModelRequest(
            model_id="no-clearml",
            model_class="LogisticRegression",
            hyperparameters=struct({"max_iter": 200}),
            dataset="datasets/iris",
            target_column="target",
        )
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as error:
            stub.TrainModel(request, timeout=30)
        assert time.monotonic() - started < 10
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "ClearML server" in str(error.value.details())
        assert not stub.ListModels(models_pb2.ListModelsRequest()).models
