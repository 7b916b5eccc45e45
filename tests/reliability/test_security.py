"""Security: the API token on every gRPC and REST call, trusted weights only, no path escapes."""

import os

import grpc
import httpx
import pytest
import skops.io

from server.gen import (
    datasets_pb2,
    datasets_pb2_grpc,
    models_pb2,
    models_pb2_grpc,
    status_pb2,
    status_pb2_grpc,
)
from tests.grpc_helpers import rows, upload_requests, violations
from tests.reliability.conftest import IRIS, Service, iris_csv, train
from tests.reliability.helpers import AUTH, TOKEN, all_datasets, error_of, wait_for_state
from tests.reliability.untrusted import Trap
from tests.rest.conftest import RestProxy

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
WRONG_TOKENS = [(), (("authorization", "Bearer wrong"),), (("authorization", TOKEN),)]
SAMPLE = rows([[5.1, 3.5, 1.4, 0.2]])


def unary_calls(channel: grpc.Channel) -> list[tuple[object, object]]:
    """Every unary RPC but GetStatus, each with a request that would otherwise succeed or fail."""
    models = models_pb2_grpc.ModelServiceStub(channel)
    datasets = datasets_pb2_grpc.DatasetServiceStub(channel)
    return [
        (models.ListModelClasses, models_pb2.ListModelClassesRequest()),
        (models.TrainModel, models_pb2.TrainModelRequest(model_class="Ridge")),
        (models.ListModels, models_pb2.ListModelsRequest()),
        (models.GetModel, models_pb2.GetModelRequest(name="models/rel-base")),
        (models.RetrainModel, models_pb2.RetrainModelRequest(name="models/rel-base")),
        (models.DeleteModel, models_pb2.DeleteModelRequest(name="models/rel-base")),
        (models.Predict, models_pb2.PredictRequest(name="models/rel-base", rows=SAMPLE)),
        (datasets.ListDatasets, datasets_pb2.ListDatasetsRequest()),
        (datasets.GetDataset, datasets_pb2.GetDatasetRequest(name=f"datasets/{IRIS}")),
        (datasets.DeleteDataset, datasets_pb2.DeleteDatasetRequest(name=f"datasets/{IRIS}")),
    ]


def test_every_grpc_call_needs_the_token_but_status(service: Service) -> None:
    for call, request in unary_calls(service.plain):
        for metadata in WRONG_TOKENS:
            assert error_of(call, request, metadata=metadata).code() == UNAUTHENTICATED, call
    status = status_pb2_grpc.StatusServiceStub(service.plain)
    assert status.GetStatus(status_pb2.GetStatusRequest()).version
    # Nothing was deleted by the refused calls.
    assert f"datasets/{IRIS}" in {d.name for d in all_datasets(service.channel)}


def test_streaming_upload_needs_the_token(service: Service) -> None:
    stub = datasets_pb2_grpc.DatasetServiceStub(service.plain)
    for metadata in WRONG_TOKENS:
        requests = upload_requests("rel-no-token", iris_csv(), chunk=1024)
        error = error_of(stub.UploadDataset, requests, metadata=metadata)
        assert error.code() == UNAUTHENTICATED
    assert "datasets/rel-no-token" not in {d.name for d in all_datasets(service.channel)}
    stored = stub.UploadDataset(upload_requests("rel-no-token", iris_csv()), metadata=AUTH)
    assert stored.version == 1


def test_rest_calls_need_the_token_but_status(
    service: Service, rest_proxy_of_service: RestProxy
) -> None:
    bearer = dict(AUTH)["authorization"]
    with httpx.Client(base_url=rest_proxy_of_service.url, timeout=60) as api:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}):
            for method, path in [
                ("GET", "/v1/models"),
                ("GET", "/v1/modelClasses"),
                ("GET", f"/v1/datasets/{IRIS}"),
                ("DELETE", f"/v1/datasets/{IRIS}"),
            ]:
                denied = api.request(method, path, headers=headers)
                assert denied.status_code == 401, (method, path, denied.text)
                assert denied.json()["code"] == UNAUTHENTICATED.value[0]
            upload = api.post(
                "/v1/datasets:upload",
                data={"datasetId": "rel-rest-no-token", "format": "DATA_FORMAT_CSV"},
                files={"file": ("iris.csv", iris_csv(), "text/csv")},
                headers=headers,
            )
            assert upload.status_code == 401, upload.text
        assert api.get("/v1/status").status_code == 200
        assert api.get("/v1/models", headers={"authorization": bearer}).status_code == 200
        missing = api.get("/v1/datasets/rel-rest-no-token", headers={"authorization": bearer})
        assert missing.status_code == 404


def test_weights_with_an_untrusted_type_are_refused_not_run(
    service: Service, ready_model: models_pb2.Model, tmp_path
) -> None:
    name = "models/rel-tampered"
    train(service.channel, name.removeprefix("models/"), n_estimators=3)
    model = wait_for_state(
        service.channel, name, 1, (models_pb2.MODEL_STATE_READY, models_pb2.MODEL_STATE_FAILED)
    )
    assert model.state == models_pb2.MODEL_STATE_READY, model.error
    weights = service.data_dir / "models" / "rel-tampered" / "v1.skops"
    assert weights.is_file()
    marker = tmp_path / "ran"
    skops.io.dump({"steps": [Trap(str(marker))]}, weights)
    (weights.with_suffix(".onnx")).unlink(missing_ok=True)  # the compiled copy, if any

    request = models_pb2.PredictRequest(name=name, rows=SAMPLE)
    if "engine" in models_pb2.PredictRequest.DESCRIPTOR.fields_by_name:
        request.engine = "sklearn"  # the scikit-learn weights are what is under test
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    error = error_of(stub.Predict, request)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
    assert "allow-list" in error.details() and Trap.__qualname__ in error.details()
    assert not marker.exists()
    assert stub.GetModel(models_pb2.GetModelRequest(name=ready_model.name)).name


TRAVERSALS = ["..", "../x", "..%2F..%2Fetc", "a/../../b", "%2e%2e", "a\\..\\b", "/etc/passwd"]


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_path_traversal_in_ids_is_invalid_argument(service: Service, bad: str) -> None:
    models = models_pb2_grpc.ModelServiceStub(service.channel)
    datasets = datasets_pb2_grpc.DatasetServiceStub(service.channel)
    calls = [
        (models.GetModel, models_pb2.GetModelRequest(name=f"models/{bad}"), "name"),
        (models.DeleteModel, models_pb2.DeleteModelRequest(name=f"models/{bad}"), "name"),
        (models.RetrainModel, models_pb2.RetrainModelRequest(name=f"models/{bad}"), "name"),
        (
            models.Predict,
            models_pb2.PredictRequest(name=f"models/{bad}", rows=SAMPLE),
            "name",
        ),
        (
            models.TrainModel,
            models_pb2.TrainModelRequest(
                model_id=bad,
                model_class="RandomForestClassifier",
                dataset=f"datasets/{IRIS}",
                target_column="target",
            ),
            "model_id",
        ),
        (
            models.TrainModel,
            models_pb2.TrainModelRequest(
                model_class="Ridge", dataset=f"datasets/{bad}", target_column="target"
            ),
            "dataset",
        ),
        (datasets.GetDataset, datasets_pb2.GetDatasetRequest(name=f"datasets/{bad}"), "name"),
        (datasets.DeleteDataset, datasets_pb2.DeleteDatasetRequest(name=f"datasets/{bad}"), "name"),
        (datasets.UploadDataset, upload_requests(bad, b"a,b\n1,2\n"), "metadata.dataset_id"),
    ]
    around = [service.data_dir.parent, service.data_dir, service.data_dir / "models"]
    before = [sorted(os.listdir(folder)) for folder in around]
    for call, request, field in calls:
        error = error_of(call, request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (call, error.details())
        assert field in violations(error), (call, violations(error))
    assert [sorted(os.listdir(folder)) for folder in around] == before


@pytest.mark.parametrize(
    "path", ["/v1/models/..%2F..%2Fetc", "/v1/datasets/%2e%2e", "/v1/models/.."]
)
def test_path_traversal_over_rest_is_a_client_error(
    rest_proxy_of_service: RestProxy, path: str
) -> None:
    headers = {"authorization": dict(AUTH)["authorization"]}
    for method in ("GET", "DELETE"):
        response = httpx.request(method, rest_proxy_of_service.url + path, headers=headers)
        assert response.status_code in (400, 404), (method, path, response.text)
