"""A real server with its datasets on S3 (moto_server): upload, outage, recovery.

While the storage is stopped, an upload answers UNAVAILABLE within seconds and leaves no
version behind, and the status says which component is down and why; once the storage is
back, everything works again without a restart.
"""

import time

import grpc
import pytest

from server.gen import datasets_pb2, datasets_pb2_grpc, status_pb2, status_pb2_grpc
from tests.grpc_helpers import upload
from tests.s3_server import S3Server
from tests.server.model_fixtures import csv_bytes, iris

OK = status_pb2.COMPONENT_STATE_OK
DOWN = status_pb2.COMPONENT_STATE_DOWN


def components(channel: grpc.Channel) -> dict[str, status_pb2.ComponentStatus]:
    stub = status_pb2_grpc.StatusServiceStub(channel)
    status = stub.GetStatus(status_pb2.GetStatusRequest(), timeout=30)
    return {c.name: c for c in status.components}


def versions(channel: grpc.Channel, dataset_id: str) -> list[int]:
    stub = datasets_pb2_grpc.DatasetServiceStub(channel)
    found = stub.GetDataset(datasets_pb2.GetDatasetRequest(name=f"datasets/{dataset_id}"))
    return [v.version for v in found.versions]


@pytest.mark.timeout(240)
def test_upload_outage_and_recovery(server_factory, s3_server: S3Server):
    server = server_factory(**s3_server.env())
    data = csv_bytes(iris())
    with grpc.insecure_channel(server.target) as channel:
        before = set(s3_server.keys("dvc/"))  # the S3 server is shared by the session
        first = upload(channel, "on-s3", data)
        after = set(s3_server.keys("dvc/"))
        expected = f"dvc/files/md5/{first.md5[:2]}/{first.md5[2:]}"
        assert expected in after and after - before <= {expected}
        status = components(channel)
        assert status["object_storage"].state == OK
        assert s3_server.bucket in status["object_storage"].message

        with s3_server.outage():
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as error:
                upload(channel, "on-s3", data + b"5.0,3.0,1.5,0.2,0\n")
            assert time.monotonic() - started < 15  # ~3 s measured
            assert error.value.code() == grpc.StatusCode.UNAVAILABLE
            status = components(channel)
            assert status["object_storage"].state == DOWN
            assert s3_server.endpoint in status["object_storage"].message
            assert versions(channel, "on-s3") == [1]  # no partial version

        second = upload(channel, "on-s3", data + b"6.0,3.0,4.5,1.5,1\n")
        assert second.version == 2 and versions(channel, "on-s3") == [1, 2]
        pushed = {expected, f"dvc/files/md5/{second.md5[:2]}/{second.md5[2:]}"}
        assert set(s3_server.keys("dvc/")) - before == pushed
        assert components(channel)["object_storage"].state == OK
