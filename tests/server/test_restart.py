"""Stop and restart the server: datasets, models and predictions are the same; none stuck."""

import signal

import grpc
from sklearn.datasets import load_iris

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from tests.grpc_helpers import READY, frame_csv, rows, struct, upload, wait_for_model


def _train(channel: grpc.Channel, model_id: str, n_estimators: int) -> models_pb2.Model:
    return models_pb2_grpc.ModelServiceStub(channel).TrainModel(
        models_pb2.TrainModelRequest(
            model_id=model_id,
            model_class="RandomForestClassifier",
            hyperparameters=struct({"n_estimators": n_estimators}),
            dataset="datasets/iris",
            target_column="target",
        )
    )


def test_restart_keeps_everything_and_fails_interrupted_training(server_factory, tmp_path):
    iris = load_iris(as_frame=True).frame
    sample = rows(iris.drop(columns="target").iloc[:10].values.tolist())
    first = server_factory()
    with grpc.insecure_channel(first.target) as channel:
        upload(channel, "iris", frame_csv(iris))
        done = wait_for_model(channel, _train(channel, "kept", 5).name)
        assert done.state == READY
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
