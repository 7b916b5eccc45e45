"""The whole lifecycle over gRPC: upload, train, predict, retrain, predict both versions, delete."""

import json

import grpc
import pytest
from sklearn.datasets import load_diabetes, load_iris

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from tests.grpc_helpers import READY, frame_csv, rows, struct, upload, wait_for_compiled


def test_classifier_and_regressor_lifecycle(grpc_channel: grpc.Channel) -> None:
    iris = load_iris(as_frame=True).frame
    diabetes = load_diabetes(as_frame=True).frame
    iris_version = upload(grpc_channel, "e2e-iris", frame_csv(iris), "csv")
    diabetes_json = json.dumps(diabetes.to_dict(orient="records")).encode()
    diabetes_version = upload(grpc_channel, "e2e-diabetes", diabetes_json, "json")
    assert (iris_version.row_count, diabetes_version.row_count) == (150, 442)

    models = models_pb2_grpc.ModelServiceStub(grpc_channel)
    classifier = models.TrainModel(
        models_pb2.TrainModelRequest(
            model_id="e2e-iris-lr",
            model_class="LogisticRegression",
            hyperparameters=struct({"C": 0.5, "max_iter": 300}),
            dataset="datasets/e2e-iris",
            target_column="target",
            random_state=7,
        )
    )
    assert classifier.state in (models_pb2.MODEL_STATE_QUEUED, models_pb2.MODEL_STATE_TRAINING)
    regressor = models.TrainModel(
        models_pb2.TrainModelRequest(
            model_id="e2e-diabetes-ridge",
            model_class="Ridge",
            hyperparameters=struct({"alpha": 2}),
            dataset="datasets/e2e-diabetes",
            target_column="target",
        )
    )
    # Compiled too: the answers compared below must come from one engine throughout.
    classifier = wait_for_compiled(grpc_channel, classifier.name)
    regressor = wait_for_compiled(grpc_channel, regressor.name)
    assert classifier.state == READY, classifier.error
    assert regressor.state == READY, regressor.error
    assert classifier.metrics["accuracy"] > 0.8
    assert {"r2", "mae", "rmse"} <= set(regressor.metrics)
    assert list(classifier.feature_columns) == list(iris.columns[:-1])

    sample = iris.drop(columns="target").iloc[[0, 60, 120]].values.tolist()
    first = models.Predict(models_pb2.PredictRequest(name=classifier.name, rows=rows(sample)))
    assert [p.number_value for p in first.predictions] == [0, 1, 2]
    assert len(first.classes) == 3
    assert all(abs(sum(p.values) - 1) < 1e-6 for p in first.probabilities)
    assert first.model_version == 1

    retrained = models.RetrainModel(
        models_pb2.RetrainModelRequest(
            name=classifier.name, hyperparameters=struct({"C": 0.01, "max_iter": 300})
        )
    )
    assert retrained.version == 2
    retrained = wait_for_compiled(grpc_channel, classifier.name, version=2)
    assert retrained.state == READY and retrained.serving_version == 2
    assert retrained.versions[1].hyperparameters["C"] == pytest.approx(0.01)

    second = models.Predict(models_pb2.PredictRequest(name=classifier.name, rows=rows(sample)))
    again_v1 = models.Predict(
        models_pb2.PredictRequest(name=classifier.name, version=1, rows=rows(sample))
    )
    assert second.model_version == 2 and again_v1.model_version == 1
    assert list(again_v1.probabilities) == list(first.probabilities)
    assert list(second.probabilities) != list(first.probabilities)

    diabetes_rows = diabetes.drop(columns="target").iloc[:5].values.tolist()
    predicted = models.Predict(
        models_pb2.PredictRequest(name=regressor.name, rows=rows(diabetes_rows))
    )
    assert len(predicted.predictions) == 5 and not predicted.classes

    models.DeleteModel(models_pb2.DeleteModelRequest(name=classifier.name))
    with pytest.raises(grpc.RpcError) as gone:
        models.GetModel(models_pb2.GetModelRequest(name=classifier.name))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND

    datasets = datasets_pb2_grpc.DatasetServiceStub(grpc_channel)
    datasets.DeleteDataset(datasets_pb2.DeleteDatasetRequest(name="datasets/e2e-diabetes"))
    # A model trained on a deleted dataset keeps predicting.
    after = models.Predict(models_pb2.PredictRequest(name=regressor.name, rows=rows(diabetes_rows)))
    assert list(after.predictions) == list(predicted.predictions)
