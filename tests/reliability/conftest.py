"""The service under test, configured as in production: token, S3 remote, limits, one worker.

One server (and one REST proxy in front of it) is shared by the tests of this package, so
the whole set stays within a few minutes; the crash and shutdown tests start their own.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from sklearn.datasets import load_iris

from server.gen import models_pb2, models_pb2_grpc
from tests.grpc_helpers import frame_csv, struct, upload
from tests.processes import GrpcServer, grpc_server_process
from tests.reliability.helpers import TOKEN, authorized, wait_for_state
from tests.rest.conftest import RestProxy, start_proxy
from tests.s3_server import S3Server

KIB = 1024
LIMITS = {
    "MLSERVICE_MAX_MESSAGE_BYTES": str(4 * KIB * KIB),
    "MLSERVICE_MAX_UPLOAD_BYTES": str(256 * KIB),
    "MLSERVICE_MAX_PREDICT_ROWS": "500",
    "MLSERVICE_MAX_HYPERPARAMETERS_BYTES": str(2 * KIB),
}
REMOTE_PREFIX = "reliability"
IRIS = "rel-iris"
BASE_MODEL = "models/rel-base"


@dataclass
class Service:
    """The shared server, an authorized channel to it and the S3 storage behind it."""

    server: GrpcServer
    channel: grpc.Channel  # sends the token with every call
    s3: S3Server
    plain: grpc.Channel  # sends no token

    @property
    def target(self) -> str:
        """The address clients dial."""
        return self.server.target

    @property
    def data_dir(self) -> Path:
        """The server's data dir."""
        return self.server.data_dir

    def remote_object(self, md5: str) -> bytes:
        """The bytes of a dataset object in the DVC remote on S3."""
        key = f"{REMOTE_PREFIX}/files/md5/{md5[:2]}/{md5[2:]}"
        return self.s3.client().get_object(Bucket=self.s3.bucket, Key=key)["Body"].read()


def iris_csv() -> bytes:
    """The iris table as CSV with an integer target."""
    return frame_csv(load_iris(as_frame=True).frame)


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server) -> Iterator[Service]:
    """The shared server with the iris dataset uploaded."""
    root = tmp_path_factory.mktemp("reliability")
    env = {
        **s3_server.env(),
        "MLSERVICE_DVC_REMOTE": f"s3://{s3_server.bucket}/{REMOTE_PREFIX}",
        "MLSERVICE_API_TOKEN": TOKEN,
        "MLSERVICE_TRAINING_WORKERS": "1",
        "MLSERVICE_METRICS_PORT": "0",
        **LIMITS,
    }
    server = grpc_server_process(root / "data", root, **env)
    server.start_and_wait(timeout=180)
    with grpc.insecure_channel(server.target) as plain:
        channel = authorized(plain)
        upload(channel, IRIS, iris_csv())
        yield Service(server, channel, s3_server, plain)
    server.stop()


def train(
    channel: grpc.Channel, model_id: str, model_class: str = "RandomForestClassifier", **params
) -> models_pb2.Model:
    """Start training `model_id` on the iris dataset."""
    return models_pb2_grpc.ModelServiceStub(channel).TrainModel(
        models_pb2.TrainModelRequest(
            model_id=model_id,
            model_class=model_class,
            hyperparameters=struct(params),
            dataset=f"datasets/{IRIS}",
            target_column="target",
            random_state=7,
        )
    )


@pytest.fixture(scope="package")
def ready_model(service: Service) -> models_pb2.Model:
    """A READY model of the shared server (trained once, on first use)."""
    train(service.channel, BASE_MODEL.removeprefix("models/"), n_estimators=5)
    model = wait_for_state(service.channel, BASE_MODEL, 1, (models_pb2.MODEL_STATE_READY,))
    return model


@pytest.fixture(scope="package")
def rest_proxy_of_service(
    service: Service, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RestProxy]:
    """`python -m rest` in front of the shared server."""
    proxy = start_proxy(service.target, tmp_path_factory.mktemp("reliability-rest"))
    yield proxy
    proxy.stop()
