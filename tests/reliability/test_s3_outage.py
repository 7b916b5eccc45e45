"""The S3 storage behind the dataset remote goes away during pushes, then comes back."""

import grpc
import httpx
from grpc_health.v1 import health_pb2
from sklearn.datasets import load_iris

from server.gen import (
    datasets_pb2,
    datasets_pb2_grpc,
    models_pb2,
    models_pb2_grpc,
    status_pb2,
    status_pb2_grpc,
)
from tests.grpc_helpers import frame_csv, rows, upload
from tests.reliability.conftest import BASE_MODEL, Service
from tests.reliability.helpers import (
    AUTH,
    cache_object,
    check_store_consistent,
    error_of,
    health,
    md5_of,
    wait_for,
)
from tests.rest.conftest import RestProxy

DATASET = "rel-outage"
IRIS = load_iris(as_frame=True).frame
OK = status_pb2.COMPONENT_STATE_OK
DOWN = status_pb2.COMPONENT_STATE_DOWN
DEGRADED = status_pb2.COMPONENT_STATE_DEGRADED


def components(channel: grpc.Channel) -> dict[str, tuple[int, str]]:
    reply = status_pb2_grpc.StatusServiceStub(channel).GetStatus(status_pb2.GetStatusRequest())
    return {c.name: (c.state, c.message) for c in reply.components} | {"overall": (reply.state, "")}


def versions(channel: grpc.Channel) -> list[int]:
    dataset = datasets_pb2_grpc.DatasetServiceStub(channel).GetDataset(
        datasets_pb2.GetDatasetRequest(name=f"datasets/{DATASET}")
    )
    return [v.version for v in dataset.versions]


def rest_upload(proxy: RestProxy, data: bytes) -> httpx.Response:
    return httpx.post(
        f"{proxy.url}/v1/datasets:upload",
        data={"datasetId": DATASET, "format": "DATA_FORMAT_CSV"},
        files={"file": ("outage.csv", data, "text/csv")},
        headers={"authorization": dict(AUTH)["authorization"]},
        timeout=180,
    )


def test_s3_outage_during_push_is_unavailable_and_recovers(
    service: Service, ready_model: models_pb2.Model, rest_proxy_of_service: RestProxy
) -> None:
    channel = service.channel
    upload(channel, DATASET, frame_csv(IRIS))
    assert components(channel)["dataset_remote"][0] == OK
    lost = frame_csv(IRIS.iloc[:90])

    with service.s3.outage():
        error = error_of(upload, channel, DATASET, lost)
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert "could not push to the dataset remote" in error.details()
        response = rest_upload(rest_proxy_of_service, lost)
        assert response.status_code == 503, response.text
        assert "dataset remote" in response.json()["message"]

        status = components(channel)
        assert status["dataset_remote"][0] == DOWN
        assert status["overall"][0] == DOWN
        # The failed version's object left the cache; its remote copy is queued for removal.
        assert status["dataset_store"][0] == DEGRADED, status["dataset_store"]
        assert not cache_object(service.data_dir, md5_of(lost)).exists()
        assert versions(channel) == [1]
        # Reads and predictions do not need the remote: the service keeps serving.
        assert health(service.target) == health_pb2.HealthCheckResponse.SERVING
        models = models_pb2_grpc.ModelServiceStub(channel)
        sample = rows([[5.1, 3.5, 1.4, 0.2]])
        assert models.Predict(models_pb2.PredictRequest(name=BASE_MODEL, rows=sample))

    wait_for(lambda: components(channel)["dataset_remote"][0] == OK, 120, "the remote OK")
    again = upload(channel, DATASET, lost)
    assert (again.version, again.md5) == (2, md5_of(lost))
    status = components(channel)
    assert {name: state for name, (state, _) in status.items()} == dict.fromkeys(status, OK)
    check_store_consistent(channel, service.data_dir, service.remote_object)
