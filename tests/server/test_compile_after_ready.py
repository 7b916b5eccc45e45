"""Compiling after READY, through real servers: a new version serves with scikit-learn at once,
then with ONNX once compiled; deleting, retraining or a dying worker while it compiles.

The model here fits in seconds and compiles for longer (`SLOW_COMPILE` on noise), so the
version is seen READY while its compiling still runs; every test checks that it was.
"""

import os
import signal
import time
from pathlib import Path

import grpc
import pytest

from server.gen import models_pb2, models_pb2_grpc, status_pb2, status_pb2_grpc
from server.models.compiled.outcome import COMPILING
from tests.grpc_helpers import (
    READY,
    compiling,
    rows,
    struct,
    upload,
    wait_for_compiled,
    wait_for_model,
)
from tests.server.model_fixtures import SLOW_COMPILE, csv_bytes, noise

DATASET = "c-noise"
ROWS = [[0.1, -0.2, 0.3, 1.5], [2.0, 0.0, -1.0, 0.5]]
WORKER_MODULE = "server.models.training.worker"
KILLED = "the worker exited with status -9"


@pytest.fixture(scope="module")
def stub(grpc_channel: grpc.Channel) -> models_pb2_grpc.ModelServiceStub:
    return models_pb2_grpc.ModelServiceStub(grpc_channel)


@pytest.fixture(scope="module")
def dataset(grpc_channel: grpc.Channel) -> str:
    upload(grpc_channel, DATASET, csv_bytes(noise()))
    return DATASET


def train(stub, model_id: str, dataset: str, **hyperparameters: object) -> str:
    request = models_pb2.TrainModelRequest(
        model_id=model_id, model_class="RandomForestClassifier",
        hyperparameters=struct(hyperparameters or SLOW_COMPILE),
        dataset=f"datasets/{dataset}", target_column="label",
    )  # fmt: skip
    return str(stub.TrainModel(request).name)


def predict(stub, name: str, engine: str = "") -> models_pb2.PredictResponse:
    return stub.Predict(models_pb2.PredictRequest(name=name, rows=rows(ROWS), engine=engine))


def pinned_onnx_error(stub, name: str) -> grpc.RpcError | None:
    """The error of a Predict pinned to ONNX; None when it was answered."""
    try:
        predict(stub, name, "onnx")
    except grpc.RpcError as error:
        return error
    return None


def ready_while_compiling(channel: grpc.Channel, name: str, version: int = 0) -> models_pb2.Model:
    """The model as `version` is first seen READY, which must be before it is compiled."""
    model = wait_for_model(channel, name, version)
    wanted = model.versions[version - 1] if version else model.versions[-1]
    assert wanted.state == READY, wanted.error
    assert compiling(wanted), f"compiled before READY was seen: {wanted.engine_note!r}"
    return model


def wait_until_training(stub, name: str, version: int) -> models_pb2.Model:
    """Poll GetModel until `version` is TRAINING."""
    for _ in range(600):
        model = stub.GetModel(models_pb2.GetModelRequest(name=name))
        if model.versions[version - 1].state == models_pb2.MODEL_STATE_TRAINING:
            return model
        time.sleep(0.1)
    raise TimeoutError(f"{name} v{version} not TRAINING")


def worker_processes(parent: int) -> list[int]:
    """The ids of the training worker processes started by process `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        parent_id = int(stat.rsplit(")", 1)[1].split()[1])
        if parent_id == parent and WORKER_MODULE in command:
            found.append(int(entry.name))
    return found


def test_ready_serves_with_sklearn_then_with_onnx(grpc_server, grpc_channel, stub, dataset):
    name = train(stub, "c-order", dataset)
    first = ready_while_compiling(grpc_channel, name)
    version = first.versions[0]
    assert (version.engine, version.engine_note) == ("sklearn", COMPILING.note)
    assert (first.engine, first.engine_note) == ("sklearn", COMPILING.note)
    assert set(version.metrics) == {"accuracy", "f1_macro", "roc_auc"}
    assert version.progress == 1 and not version.HasField("onnx_max_abs_diff")
    answer, pinned = predict(stub, name), pinned_onnx_error(stub, name)
    still = stub.GetModel(models_pb2.GetModelRequest(name=name)).versions[0]
    if compiling(still):  # so both calls were answered while it compiled
        assert answer.engine == "sklearn" and len(answer.predictions) == len(ROWS)
        assert pinned is not None and pinned.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert COMPILING.note in str(pinned.details())

    done = wait_for_compiled(grpc_channel, name).versions[0]
    assert (done.state, done.engine, done.engine_note) == (READY, "onnx", "")
    assert done.HasField("onnx_max_abs_diff") and done.metrics == version.metrics
    assert predict(stub, name).engine == "onnx"
    assert (grpc_server.data_dir / "models" / "c-order" / "v1.onnx").is_file()


def test_deleting_while_compiling_leaves_nothing_behind(grpc_server, grpc_channel, stub, dataset):
    name = train(stub, "c-delete", dataset)
    ready_while_compiling(grpc_channel, name)
    stub.DeleteModel(models_pb2.DeleteModelRequest(name=name))  # returns once the run ended
    with pytest.raises(grpc.RpcError) as gone:
        stub.GetModel(models_pb2.GetModelRequest(name=name))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    models_dir = grpc_server.data_dir / "models"
    assert not (models_dir / "c-delete").exists()
    assert [p.name for p in (models_dir / ".staging").iterdir() if "c-delete-" in p.name] == []

    again = wait_for_compiled(grpc_channel, train(stub, "c-delete", dataset, n_estimators=3))
    assert [(v.version, v.state, v.engine) for v in again.versions] == [(1, READY, "onnx")]


def test_retraining_while_compiling_keeps_both_outcomes(grpc_channel, stub, dataset):
    name = train(stub, "c-retrain", dataset)
    ready_while_compiling(grpc_channel, name)
    request = models_pb2.RetrainModelRequest(name=name, hyperparameters=struct({"max_depth": 2}))
    assert stub.RetrainModel(request).version == 2
    wait_for_compiled(grpc_channel, name, 2)
    model = wait_for_compiled(grpc_channel, name, 1)
    assert [(v.state, v.engine, v.engine_note) for v in model.versions] == [(READY, "onnx", "")] * 2
    assert model.serving_version == 2 and predict(stub, name).model_version == 2


def test_a_worker_dying_while_compiling_leaves_the_version_ready(server_factory):
    server = server_factory(MLSERVICE_TRAINING_SPARE_WORKERS="0")  # only the run's worker
    assert server.popen is not None
    with grpc.insecure_channel(server.target) as channel:
        upload(channel, DATASET, csv_bytes(noise()))
        stub = models_pb2_grpc.ModelServiceStub(channel)
        name = train(stub, "c-crash", DATASET)
        ready_while_compiling(channel, name)
        workers = worker_processes(server.popen.pid)
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
        version = wait_for_compiled(channel, name).versions[0]
        assert (version.state, version.engine) == (READY, "sklearn")
        assert version.engine_note == f"not compiled: {KILLED} while compiling"
        assert predict(stub, name).engine == "sklearn"


def test_deleting_stops_every_run_of_the_model(server_factory):
    """v1 compiles while v2 trains, each in its slot: a delete stops both at once."""
    server = server_factory()
    with grpc.insecure_channel(server.target) as channel:
        upload(channel, DATASET, csv_bytes(noise()))
        stub = models_pb2_grpc.ModelServiceStub(channel)
        name = train(stub, "c-both", DATASET)
        ready_while_compiling(channel, name)
        assert stub.RetrainModel(models_pb2.RetrainModelRequest(name=name)).version == 2
        both = wait_until_training(stub, name, 2)
        assert compiling(both.versions[0]), "v1 compiled before v2 started"
        stub.DeleteModel(models_pb2.DeleteModelRequest(name=name))
        status = status_pb2_grpc.StatusServiceStub(channel).GetStatus(status_pb2.GetStatusRequest())
    slots = {c.name: c.message for c in status.components}["training_workers"]
    assert slots.startswith("0/2 training"), slots
    assert not (server.data_dir / "models" / "c-both").exists()
    assert [p.name for p in (server.data_dir / "models" / ".staging").iterdir()] == []
