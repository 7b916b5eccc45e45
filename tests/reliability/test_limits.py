"""Limits set through the environment answer with clear errors, over gRPC and REST.

The shared server runs with small limits (see `LIMITS` in conftest). The upload limit of the
store itself is also covered in tests/server/test_datasets_grpc.py, the default message limit
in tests/server/test_service_basics.py, and the training time limit in
test_crash_and_shutdown.py here.
"""

import grpc
import httpx

from server.gen import datasets_pb2_grpc, models_pb2, models_pb2_grpc
from tests.grpc_helpers import rows, struct, upload_requests, violations
from tests.reliability.conftest import BASE_MODEL, IRIS, LIMITS, Service
from tests.reliability.helpers import AUTH, all_datasets, error_of, staged_uploads
from tests.rest.conftest import RestProxy

MESSAGE_LIMIT = int(LIMITS["MLSERVICE_MAX_MESSAGE_BYTES"])
UPLOAD_LIMIT = int(LIMITS["MLSERVICE_MAX_UPLOAD_BYTES"])
ROW_LIMIT = int(LIMITS["MLSERVICE_MAX_PREDICT_ROWS"])
HYPERPARAMETERS_LIMIT = int(LIMITS["MLSERVICE_MAX_HYPERPARAMETERS_BYTES"])
ROW = [5.1, 3.5, 1.4, 0.2]
BEARER = {"authorization": dict(AUTH)["authorization"]}


def big_csv(size: int) -> bytes:
    header = b"a,b\n"
    line = b"1,2\n"
    return header + line * (size // len(line) + 1)


def test_message_size_limit(service: Service, ready_model, rest_proxy_of_service: RestProxy):
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    padding = "x" * (MESSAGE_LIMIT + 1024)
    request = models_pb2.PredictRequest(name=BASE_MODEL, rows=rows([[padding, 1, 2, 3]]))
    error = error_of(stub.Predict, request)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert str(MESSAGE_LIMIT) in error.details()
    under = models_pb2.PredictRequest(name=BASE_MODEL, rows=rows([ROW] * 20))
    assert stub.Predict(under).model_version == 1

    body = {"rows": [[padding, 1, 2, 3]]}
    url = f"{rest_proxy_of_service.url}/v1/{BASE_MODEL}:predict"
    response = httpx.post(url, json=body, headers=BEARER, timeout=60)
    assert response.status_code == 429, response.text
    assert response.json()["code"] == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]


def test_upload_size_limit(service: Service, rest_proxy_of_service: RestProxy) -> None:
    stub = datasets_pb2_grpc.DatasetServiceStub(service.channel)
    data = big_csv(UPLOAD_LIMIT + 1)
    error = error_of(stub.UploadDataset, upload_requests("rel-too-big", data, chunk=32 * 1024))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"larger than the limit of {UPLOAD_LIMIT} bytes" in error.details()
    response = httpx.post(
        f"{rest_proxy_of_service.url}/v1/datasets:upload",
        data={"datasetId": "rel-too-big", "format": "DATA_FORMAT_CSV"},
        files={"file": ("big.csv", data, "text/csv")},
        headers=BEARER,
        timeout=60,
    )
    assert response.status_code == 429, response.text
    assert "rel-too-big" not in {
        d.name.removeprefix("datasets/") for d in all_datasets(service.channel)
    }
    assert staged_uploads(service.data_dir) == set()
    fits = stub.UploadDataset(upload_requests("rel-too-big", big_csv(UPLOAD_LIMIT - 64)))
    assert fits.version == 1


def test_rows_per_predict_limit(service: Service, ready_model) -> None:
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    error = error_of(
        stub.Predict, models_pb2.PredictRequest(name=BASE_MODEL, rows=rows([ROW] * (ROW_LIMIT + 1)))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error) == {"rows": f"at most {ROW_LIMIT} rows per call, got {ROW_LIMIT + 1}"}
    full = stub.Predict(models_pb2.PredictRequest(name=BASE_MODEL, rows=rows([ROW] * ROW_LIMIT)))
    assert len(full.predictions) == ROW_LIMIT


def test_hyperparameter_payload_limit(service: Service, ready_model) -> None:
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    oversized = struct({"criterion": "g" * HYPERPARAMETERS_LIMIT})
    train = models_pb2.TrainModelRequest(
        model_id="rel-big-params",
        model_class="RandomForestClassifier",
        hyperparameters=oversized,
        dataset=f"datasets/{IRIS}",
        target_column="target",
    )
    retrain = models_pb2.RetrainModelRequest(name=BASE_MODEL, hyperparameters=oversized)
    for call, request in ((stub.TrainModel, train), (stub.RetrainModel, retrain)):
        error = error_of(call, request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        found = violations(error)
        assert set(found) == {"hyperparameters"}
        assert f"at most {HYPERPARAMETERS_LIMIT} bytes" in found["hyperparameters"]
    missing = error_of(stub.GetModel, models_pb2.GetModelRequest(name="models/rel-big-params"))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert len(stub.GetModel(models_pb2.GetModelRequest(name=BASE_MODEL)).versions) == 1
