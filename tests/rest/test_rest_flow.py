"""The whole lifecycle over REST: upload, train, poll, predict, retrain, list, delete."""

import grpc
import httpx
import numpy as np
from google.protobuf import json_format
from sklearn.datasets import load_iris

from server.gen import models_pb2, models_pb2_grpc
from tests.rest.conftest import unique
from tests.rest.helpers import train, upload, wait_for_version

SAMPLE = [[5.1, 3.5, 1.4, 0.2], [5.9, 3.0, 4.2, 1.5], [6.7, 3.0, 5.2, 2.3]]


def test_dataset_upload_and_read(api: httpx.Client, iris_csv: bytes) -> None:
    dataset_id = unique("rest-iris")
    uploaded = upload(api, dataset_id, iris_csv)
    assert uploaded.status_code == 200, uploaded.text
    version = uploaded.json()
    assert version["dataset"] == f"datasets/{dataset_id}" and version["version"] == 1
    assert version["rowCount"] == "150"  # int64 is a string in ProtoJSON
    assert version["format"] == "DATA_FORMAT_CSV"

    dataset = api.get(f"/v1/datasets/{dataset_id}", params={"previewRows": 3}).json()
    assert dataset["latestVersion"] == 1 and len(dataset["previewRows"]) == 3
    assert dataset["previewColumns"][-1] == "target"
    listed = api.get("/v1/datasets", params={"pageSize": 1000}).json()["datasets"]
    assert f"datasets/{dataset_id}" in [d["name"] for d in listed]

    assert upload(api, dataset_id, iris_csv).json()["version"] == 2
    assert api.delete(f"/v1/datasets/{dataset_id}", params={"version": 1}).json() == {}
    assert [v["version"] for v in api.get(f"/v1/datasets/{dataset_id}").json()["versions"]] == [2]
    assert api.delete(f"/v1/datasets/{dataset_id}").status_code == 200
    assert api.get(f"/v1/datasets/{dataset_id}").status_code == 404


def test_train_predict_retrain_delete(api: httpx.Client, iris_csv: bytes) -> None:
    dataset_id, model_id = unique("rest-flow"), unique("rest-lr")
    assert upload(api, dataset_id, iris_csv).status_code == 200
    classes = api.get("/v1/modelClasses").json()["modelClasses"]
    assert "LogisticRegression" in [c["name"] for c in classes]

    created = train(api, model_id, dataset_id, randomState=7)
    assert created.status_code == 200, created.text
    assert created.json()["state"] in ("MODEL_STATE_QUEUED", "MODEL_STATE_TRAINING")
    model = wait_for_version(api, model_id, 1)
    assert model["state"] == "MODEL_STATE_READY", model["error"]
    assert model["metrics"]["accuracy"] > 0.8

    predicted = api.post(f"/v1/models/{model_id}:predict", json={"rows": SAMPLE}).json()
    assert predicted["predictions"] == ["setosa", "versicolor", "virginica"]
    assert predicted["classes"] == ["setosa", "versicolor", "virginica"]
    assert all(abs(sum(p["values"]) - 1) < 1e-6 for p in predicted["probabilities"])
    assert predicted["modelVersion"] == 1

    retrain = {"hyperparameters": {"C": 0.01, "max_iter": 300}}
    retrained = api.post(f"/v1/models/{model_id}:retrain", json=retrain)
    assert retrained.status_code == 200 and retrained.json()["version"] == 2
    model = wait_for_version(api, model_id, 2)
    assert model["state"] == "MODEL_STATE_READY" and model["servingVersion"] == 2
    old = api.post(f"/v1/models/{model_id}:predict", json={"rows": SAMPLE, "version": 1})
    assert old.json()["modelVersion"] == 1

    ready = api.get("/v1/models", params={"state": "MODEL_STATE_READY", "pageSize": 1000})
    assert f"models/{model_id}" in [m["name"] for m in ready.json()["models"]]
    assert api.delete(f"/v1/models/{model_id}").json() == {}
    assert api.get(f"/v1/models/{model_id}").status_code == 404


def test_status(api: httpx.Client) -> None:
    status = api.get("/v1/status").json()
    assert status["state"] in ("COMPONENT_STATE_OK", "COMPONENT_STATE_DEGRADED")
    assert {c["name"] for c in status["components"]} >= {"dataset_store", "model_registry"}
    assert status["uptime"].endswith("s")


def test_predict_answers_equal_the_grpc_answers(
    api: httpx.Client, grpc_channel: grpc.Channel
) -> None:
    """Number labels and probabilities (read from the answer's bytes), and string labels."""
    iris = load_iris(as_frame=True)
    frame = iris.frame
    rows = np.round(iris.data.to_numpy()[::3], 1).tolist() * 8
    stub = models_pb2_grpc.ModelServiceStub(grpc_channel)
    for target in (iris.target, iris.target_names[iris.target]):  # numbers, then names
        dataset_id, model_id = unique("rest-answer"), unique("rest-answer-lr")
        csv = frame.assign(target=target).to_csv(index=False).encode()
        assert upload(api, dataset_id, csv).status_code == 200
        assert train(api, model_id, dataset_id).status_code == 200
        assert wait_for_version(api, model_id, 1)["state"] == "MODEL_STATE_READY"
        over_rest = api.post(f"/v1/models/{model_id}:predict", json={"rows": rows})
        request = models_pb2.PredictRequest(name=f"models/{model_id}")
        for row in rows:
            request.rows.add().extend(row)
        over_grpc = json_format.MessageToDict(
            stub.Predict(request), always_print_fields_with_no_presence=True
        )
        assert over_rest.status_code == 200 and len(over_grpc["predictions"]) == len(rows)
        assert over_rest.json() == over_grpc
        api.delete(f"/v1/models/{model_id}")
