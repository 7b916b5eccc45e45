"""ModelService through the real server: train, predict, retrain, delete, and bad inputs."""

import time

import grpc
import pandas as pd
import pytest

from server.gen import models_pb2, models_pb2_grpc
from tests.grpc_helpers import FAILED, READY, rows, struct, upload, violations, wait_for_model
from tests.server.model_fixtures import csv_bytes, diabetes, iris, mixed

QUEUED = models_pb2.MODEL_STATE_QUEUED
TRAINING = models_pb2.MODEL_STATE_TRAINING
INVALID = grpc.StatusCode.INVALID_ARGUMENT
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, None, 4.2, 1.3]]


def train_request(model_id: str, model_class: str, dataset: str, target: str, **fields):
    hyperparameters = fields.pop("hyperparameters", {})
    return models_pb2.TrainModelRequest(
        model_id=model_id,
        model_class=model_class,
        hyperparameters=struct(hyperparameters),
        dataset=f"datasets/{dataset}",
        target_column=target,
        **fields,
    )


@pytest.fixture(scope="module")
def stub(grpc_channel) -> models_pb2_grpc.ModelServiceStub:
    return models_pb2_grpc.ModelServiceStub(grpc_channel)


@pytest.fixture(scope="module")
def datasets(grpc_channel) -> None:
    """The datasets the tests train on."""
    upload(grpc_channel, "m-iris", csv_bytes(iris()))
    upload(grpc_channel, "m-diabetes", csv_bytes(diabetes()))
    upload(grpc_channel, "m-mixed", csv_bytes(mixed()))
    single = pd.DataFrame({"x": range(10), "label": ["same"] * 10})
    upload(grpc_channel, "m-single", csv_bytes(single))


@pytest.fixture(scope="module")
def started(datasets, stub) -> dict[str, str]:
    """Start the trainings the tests share (they run while the quick tests do)."""
    requests = {
        "forest": train_request(
            "m-forest", "RandomForestClassifier", "m-iris", "target",
            hyperparameters={"n_estimators": 5, "max_depth": 3},
        ),
        "ridge": train_request(
            "m-ridge", "Ridge", "m-diabetes", "target", hyperparameters={"alpha": 0.5}
        ),
        "mixed": train_request(
            "m-mixed", "HistGradientBoostingClassifier", "m-mixed", "label",
            hyperparameters={"max_iter": 5}, feature_columns=["size", "colour"],
        ),
    }  # fmt: skip
    return {key: stub.TrainModel(request).name for key, request in requests.items()}


def ready(grpc_channel, name: str, version: int = 0) -> models_pb2.Model:
    model = wait_for_model(grpc_channel, name, version, timeout=180)
    wanted = model.versions[version - 1] if version else model.versions[-1]
    assert wanted.state == READY, wanted.error
    return model


def error_of(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request)
    return caught.value


def test_not_ready_model_cannot_predict_or_retrain_and_delete_cancels(stub, datasets):
    """An empty id is generated; while training, predict and retrain are refused; delete
    kills the run and nothing comes back."""
    model = stub.TrainModel(
        train_request("", "RandomForestClassifier", "m-iris", "target",
                      hyperparameters={"n_estimators": 20000})
    )  # fmt: skip
    assert model.name.startswith("models/randomforestclassifier-") and model.state == QUEUED
    predict = models_pb2.PredictRequest(name=model.name, rows=rows(IRIS_ROWS))
    error = error_of(stub.Predict, predict)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    retrain = models_pb2.RetrainModelRequest(name=model.name)
    assert error_of(stub.RetrainModel, retrain).code() == grpc.StatusCode.FAILED_PRECONDITION
    deadline = time.monotonic() + 120
    while stub.GetModel(models_pb2.GetModelRequest(name=model.name)).state != TRAINING:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    stub.DeleteModel(models_pb2.DeleteModelRequest(name=model.name))
    time.sleep(1)
    get = models_pb2.GetModelRequest(name=model.name)
    assert error_of(stub.GetModel, get).code() == grpc.StatusCode.NOT_FOUND
    names = [m.name for m in stub.ListModels(models_pb2.ListModelsRequest(page_size=1000)).models]
    assert model.name not in names


def test_train_returns_a_queued_model(stub, started):
    model = stub.GetModel(models_pb2.GetModelRequest(name=started["forest"]))
    assert model.name == "models/m-forest"
    assert model.model_class == "RandomForestClassifier"
    assert model.task == models_pb2.TASK_CLASSIFICATION
    assert model.dataset == "datasets/m-iris" and model.dataset_version == 1
    assert list(model.feature_columns) == list(iris().columns.drop("target"))
    assert dict(model.hyperparameters) == {"n_estimators": 5, "max_depth": 3}
    assert model.version == 1 and len(model.versions) == 1
    assert model.versions[0].test_size == pytest.approx(0.2)


def test_list_model_classes(stub):
    classes = {
        c.name: c for c in stub.ListModelClasses(models_pb2.ListModelClassesRequest()).model_classes
    }
    assert {"LogisticRegression", "SVC", "Ridge", "RandomForestRegressor"} <= set(classes)
    assert classes["Ridge"].task == models_pb2.TASK_REGRESSION
    c = next(h for h in classes["LogisticRegression"].hyperparameters if h.name == "C")
    assert c.type == "float in (0, inf)" and c.default_value.number_value == 1.0
    assert c.constraints[0].minimum == 0 and not c.constraints[0].minimum_inclusive


def test_bad_train_requests_list_every_violation(stub, started):
    error = error_of(
        stub.TrainModel,
        train_request(
            "Bad_Id", "NoSuchClass", "m-iris", "", test_size=0.95,
            hyperparameters={"n_estimators": 0},
        ),
    )  # fmt: skip
    assert error.code() == INVALID
    assert set(violations(error)) == {"model_id", "model_class", "test_size", "target_column"}

    error = error_of(
        stub.TrainModel,
        train_request(
            "m-x", "RandomForestClassifier", "m-iris", "target",
            hyperparameters={"n_estimators": 2.5, "bootstrap": "yes", "nope": 1},
        ),
    )  # fmt: skip
    assert error.code() == INVALID
    assert set(violations(error)) == {
        "hyperparameters.n_estimators",
        "hyperparameters.bootstrap",
        "hyperparameters.nope",
    }


@pytest.mark.parametrize(
    ("request_fields", "code", "field"),
    [
        ({"dataset": "no-such-data"}, grpc.StatusCode.NOT_FOUND, None),
        ({"dataset_version": 9}, grpc.StatusCode.NOT_FOUND, None),
        ({"target": "nope"}, INVALID, "target_column"),
        ({"feature_columns": ["target"]}, INVALID, "feature_columns[0]"),
        ({"feature_columns": ["sepal length (cm)", "nope"]}, INVALID, "feature_columns[1]"),
        ({"test_size": -0.1}, INVALID, "test_size"),
        (
            {"model_class": "Ridge", "dataset": "m-mixed", "target": "label"},
            INVALID,
            "target_column",
        ),
        ({"model_class": "LogisticRegression", "dataset": "m-diabetes"}, INVALID, "target_column"),
        ({"dataset": "m-single", "target": "label"}, INVALID, "target_column"),
    ],
)
def test_train_checks_the_dataset(stub, started, request_fields, code, field):
    fields = {"model_class": "RandomForestClassifier", "dataset": "m-iris", "target": "target"}
    fields.update(request_fields)
    request = train_request(
        "m-checked",
        fields.pop("model_class"),
        fields.pop("dataset"),
        fields.pop("target"),
        **fields,
    )
    error = error_of(stub.TrainModel, request)
    assert error.code() == code, error.details()
    if field:
        assert field in violations(error), violations(error)


def test_malformed_names(stub):
    error = error_of(stub.TrainModel, models_pb2.TrainModelRequest(
        model_class="Ridge", dataset="tables/x", target_column="y"
    ))  # fmt: skip
    assert error.code() == INVALID and "dataset" in violations(error)
    error = error_of(stub.GetModel, models_pb2.GetModelRequest(name="m-forest"))
    assert error.code() == INVALID and "name" in violations(error)


def test_existing_id_is_already_exists(stub, started):
    request = train_request("m-forest", "RandomForestClassifier", "m-iris", "target")
    assert error_of(stub.TrainModel, request).code() == grpc.StatusCode.ALREADY_EXISTS


def test_predict_with_a_classifier(stub, grpc_channel, started):
    model = ready(grpc_channel, started["forest"])
    assert model.serving_version == 1
    assert set(model.metrics) == {"accuracy", "f1_macro", "roc_auc"}
    assert model.progress == 1.0
    reply = stub.Predict(models_pb2.PredictRequest(name=model.name, rows=rows(IRIS_ROWS)))
    assert reply.model_version == 1
    assert [p.number_value for p in reply.predictions] == [0, 2, 1]
    assert [c.number_value for c in reply.classes] == [0, 1, 2]
    assert len(reply.probabilities) == 3
    assert all(sum(p.values) == pytest.approx(1) for p in reply.probabilities)


def test_predict_with_categories_and_missing_values(stub, grpc_channel, started):
    model = ready(grpc_channel, started["mixed"])
    assert list(model.feature_columns) == ["size", "colour"]
    request = models_pb2.PredictRequest(
        name=model.name, rows=rows([[12.0, "red"], [None, "purple"], [8.0, None]])
    )
    reply = stub.Predict(request)
    assert {c.string_value for c in reply.classes} == {"no", "yes"}
    assert all(p.string_value in {"no", "yes"} for p in reply.predictions)


def test_bad_predict_rows(stub, grpc_channel, started):
    name = ready(grpc_channel, started["forest"]).name

    def predict(values, version=0):
        request = models_pb2.PredictRequest(name=name, version=version, rows=rows(values))
        return error_of(stub.Predict, request)

    error = predict([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0], [1.0, 2.0, "wide", 4.0]])
    assert error.code() == INVALID
    found = violations(error)
    assert set(found) == {"rows[1]", "rows[2][2]"}
    assert "expected 4" in found["rows[1]"]
    assert "petal length (cm)" in found["rows[2][2]"] and "'wide'" in found["rows[2][2]"]
    assert predict([]).code() == INVALID
    assert predict(IRIS_ROWS, version=7).code() == grpc.StatusCode.NOT_FOUND


def test_retrain_serves_the_old_version_until_the_new_one_is_ready(stub, grpc_channel, started):
    name = ready(grpc_channel, started["forest"]).name
    bad = models_pb2.RetrainModelRequest(
        name=name, hyperparameters=struct({"max_depth": 0}), test_size=2, dataset_version=-1
    )
    error = error_of(stub.RetrainModel, bad)
    assert error.code() == INVALID
    assert set(violations(error)) == {"hyperparameters.max_depth", "test_size", "dataset_version"}
    missing = models_pb2.RetrainModelRequest(name=name, dataset_version=5)
    assert error_of(stub.RetrainModel, missing).code() == grpc.StatusCode.NOT_FOUND
    retrained = stub.RetrainModel(
        models_pb2.RetrainModelRequest(
            name=name, hyperparameters=struct({"n_estimators": 3}), random_state=7
        )
    )
    assert retrained.version == 2 and retrained.state in (QUEUED, TRAINING)
    assert retrained.serving_version == 1
    assert dict(retrained.versions[1].hyperparameters) == {"n_estimators": 3}
    assert retrained.versions[1].random_state == 7
    during = stub.Predict(models_pb2.PredictRequest(name=name, rows=rows(IRIS_ROWS)))
    assert during.model_version == 1
    done = ready(grpc_channel, name, 2)
    assert done.serving_version == 2
    for version in (1, 2):
        request = models_pb2.PredictRequest(name=name, version=version, rows=rows(IRIS_ROWS))
        assert stub.Predict(request).model_version == version
    latest = stub.Predict(models_pb2.PredictRequest(name=name, rows=rows(IRIS_ROWS)))
    assert latest.model_version == 2


def test_failed_retrain_keeps_serving_the_previous_version(stub, grpc_channel, started):
    name = ready(grpc_channel, started["ridge"]).name
    stub.RetrainModel(
        models_pb2.RetrainModelRequest(name=name, hyperparameters=struct({"solver": "lbfgs"}))
    )
    model = wait_for_model(grpc_channel, name, 2, timeout=180)
    assert model.versions[1].state == FAILED and model.state == FAILED
    assert model.error.startswith("fitting failed: ValueError") and "lbfgs" in model.error
    assert "Traceback" not in model.error and "\n" not in model.error
    assert model.serving_version == 1
    assert set(model.versions[0].metrics) == {"r2", "mae", "rmse"}
    sample = diabetes().drop(columns="target").head(2).values.tolist()
    reply = stub.Predict(models_pb2.PredictRequest(name=name, rows=rows(sample)))
    assert reply.model_version == 1 and not reply.classes and not reply.probabilities
    assert all(isinstance(p.number_value, float) for p in reply.predictions)


def test_list_models_filters_and_pages(stub, grpc_channel, started):
    for name in started.values():
        wait_for_model(grpc_channel, name, timeout=180)
    listing = stub.ListModels(models_pb2.ListModelsRequest(model_class="RandomForestClassifier"))
    assert "models/m-forest" in [m.name for m in listing.models]
    assert all(m.model_class == "RandomForestClassifier" for m in listing.models)
    ready_models = stub.ListModels(models_pb2.ListModelsRequest(state=READY)).models
    assert "models/m-mixed" in [m.name for m in ready_models]
    assert all(m.state == READY for m in ready_models)
    seen, token = [], ""
    while True:
        page = stub.ListModels(models_pb2.ListModelsRequest(page_size=1, page_token=token))
        seen += [m.name for m in page.models]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(seen) and {"models/m-forest", "models/m-ridge"} <= set(seen)
    for request in (
        models_pb2.ListModelsRequest(page_size=-1),
        models_pb2.ListModelsRequest(page_token="garbage"),
        models_pb2.ListModelsRequest(state=99),
    ):
        error = error_of(stub.ListModels, request)
        assert error.code() == INVALID and violations(error)


def test_delete_removes_everything(stub, grpc_channel, started):
    name = wait_for_model(grpc_channel, started["mixed"], timeout=180).name
    stub.DeleteModel(models_pb2.DeleteModelRequest(name=name))
    for call, request in (
        (stub.GetModel, models_pb2.GetModelRequest(name=name)),
        (stub.DeleteModel, models_pb2.DeleteModelRequest(name=name)),
        (stub.Predict, models_pb2.PredictRequest(name=name, rows=rows([[1.0, "red"]]))),
    ):
        assert error_of(call, request).code() == grpc.StatusCode.NOT_FOUND
