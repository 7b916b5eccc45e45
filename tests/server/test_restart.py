"""Stop and restart the server: datasets, models and predictions are the same; none stuck."""

import signal

import grpc
from sklearn.datasets import load_iris

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from server.models.compiled.outcome import INTERRUPTED
from tests.grpc_helpers import (
    READY,
    compiling,
    frame_csv,
    rows,
    struct,
    upload,
    wait_for_compiled,
    wait_for_model,
)
from tests.server.model_fixtures import SLOW_COMPILE, csv_bytes, noise


def _train(
    channel: grpc.Channel, model_id: str, n_estimators: int, dataset: str = "iris"
) -> models_pb2.Model:
    return models_pb2_grpc.ModelServiceStub(channel).TrainModel(
        models_pb2.TrainModelRequest(
            model_id=model_id,
            model_class="RandomForestClassifier",
            hyperparameters=struct({"n_estimators": n_estimators}),
            dataset=f"datasets/{dataset}",
            target_column="label" if dataset == "noise" else "target",
        )
    )


def test_restart_keeps_everything_and_fails_interrupted_training(server_factory, tmp_path):
    iris = load_iris(as_frame=True).frame
    sample = rows(iris.drop(columns="target").iloc[:10].values.tolist())
    first = server_factory()
    with grpc.insecure_channel(first.target) as channel:
        upload(channel, "iris", frame_csv(iris))
        done = wait_for_compiled(channel, _train(channel, "kept", 5).name)
        assert done.state == READY and done.engine == "onnx"
        before = models_pb2_grpc.ModelServiceStub(channel).Predict(
            models_pb2.PredictRequest(name="models/kept", rows=sample)
        )
        _train(channel, "interrupted", 20000)  # long enough to be cut off
    first.stop(signal.SIGKILL)

    second = server_factory(data_dir=first.data_dir)
    with grpc.insecure_channel(second.target) as channel:
        models = models_pb2_grpc.ModelServiceStub(channel)
        after = models.Predict(models_pb2.PredictRequest(name="models/kept", rows=sample))
        assert after == before
        interrupted = models.GetModel(models_pb2.GetModelRequest(name="models/interrupted"))
        assert interrupted.state == models_pb2.MODEL_STATE_FAILED
        assert "restart" in interrupted.error
        dataset = datasets_pb2_grpc.DatasetServiceStub(channel).GetDataset(
            datasets_pb2.GetDatasetRequest(name="datasets/iris")
        )
        assert [v.version for v in dataset.versions] == [1]
        assert dataset.versions[0].row_count == 150


def _ready_while_compiling(channel: grpc.Channel, name: str) -> None:
    model = wait_for_model(channel, name)
    assert model.state == READY and compiling(model.versions[-1]), model.versions[-1]


def test_a_stop_while_compiling_leaves_the_version_ready(server_factory):
    """Killed (-9), then stopped (SIGTERM), each while a version compiles: both stay READY."""
    sample = rows([[0.1, -0.2, 0.3, 1.5]])
    first = server_factory()
    with grpc.insecure_channel(first.target) as channel:
        upload(channel, "noise", csv_bytes(noise()))
        name = _train(channel, "cut", SLOW_COMPILE["n_estimators"], "noise").name
        _ready_while_compiling(channel, name)
    first.stop(signal.SIGKILL)

    second = server_factory(data_dir=first.data_dir)
    with grpc.insecure_channel(second.target) as channel:
        models = models_pb2_grpc.ModelServiceStub(channel)
        model = models.GetModel(models_pb2.GetModelRequest(name=name))
        assert [(v.state, v.engine, v.engine_note) for v in model.versions] == [
            (READY, "sklearn", INTERRUPTED.note)
        ]
        answer = models.Predict(models_pb2.PredictRequest(name=name, rows=sample))
        assert answer.engine == "sklearn"
        retrain = models_pb2.RetrainModelRequest(name=name)
        assert models.RetrainModel(retrain).version == 2
        _ready_while_compiling(channel, name)
    assert second.stop(signal.SIGTERM) == 0

    third = server_factory(data_dir=first.data_dir)
    with grpc.insecure_channel(third.target) as channel:
        models = models_pb2_grpc.ModelServiceStub(channel)
        model = models.GetModel(models_pb2.GetModelRequest(name=name))
    assert [(v.state, v.engine_note) for v in model.versions] == [(READY, INTERRUPTED.note)] * 2
    assert model.serving_version == 2
