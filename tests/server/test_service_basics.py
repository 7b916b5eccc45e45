"""Health, reflection (as grpcurl/buf curl use it), status and the max message size."""

import json
import subprocess
from pathlib import Path

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from server.gen import status_pb2, status_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / "node_modules" / ".bin" / "buf"
SERVICES = {
    "mlservice.v1.ModelService",
    "mlservice.v1.DatasetService",
    "mlservice.v1.StatusService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
}


def test_health_is_serving(grpc_channel: grpc.Channel) -> None:
    reply = health_pb2_grpc.HealthStub(grpc_channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_and_describes_every_service(grpc_channel: grpc.Channel) -> None:
    database = ProtoReflectionDescriptorDatabase(grpc_channel)
    assert set(database.get_services()) >= SERVICES
    pool = descriptor_pool.DescriptorPool(database)
    train = pool.FindServiceByName("mlservice.v1.ModelService").methods_by_name["TrainModel"]
    assert train.input_type.full_name == "mlservice.v1.TrainModelRequest"
    datasets = pool.FindServiceByName("mlservice.v1.DatasetService")
    assert datasets.methods_by_name["UploadDataset"].client_streaming


def test_buf_curl_calls_status_through_reflection(grpc_server) -> None:
    url = f"http://{grpc_server.target}"
    common = [str(BUF), "curl", "--protocol", "grpc", "--http2-prior-knowledge"]
    listed = subprocess.run([*common, "--list-services", url], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert SERVICES - {"grpc.reflection.v1alpha.ServerReflection"} <= set(listed.stdout.split())
    called = subprocess.run(
        [*common, f"{url}/mlservice.v1.StatusService/GetStatus"], capture_output=True, text=True
    )
    assert called.returncode == 0, called.stderr
    status = json.loads(called.stdout)
    assert status["version"]
    assert status["state"] in {"COMPONENT_STATE_OK", "COMPONENT_STATE_DEGRADED"}


def test_status_reports_every_component_and_counts(grpc_channel: grpc.Channel) -> None:
    reply = status_pb2_grpc.StatusServiceStub(grpc_channel).GetStatus(status_pb2.GetStatusRequest())
    names = {c.name for c in reply.components}
    assert {"dataset_store", "dataset_remote", "model_registry", "training_workers"} <= names
    assert all(c.state != status_pb2.COMPONENT_STATE_UNSPECIFIED for c in reply.components)
    assert reply.uptime.ToNanoseconds() > 0
    assert reply.counts.datasets >= 0


def test_oversized_message_is_resource_exhausted(grpc_server) -> None:
    limit = 1024 * 1024
    options = [("grpc.max_send_message_length", 200 * 1024 * 1024)]
    with grpc.insecure_channel(grpc_server.target, options=options) as channel:
        stub = status_pb2_grpc.StatusServiceStub(channel)
        request = status_pb2.GetStatusRequest()
        # Unknown fields are kept by protobuf, so a padded request really is that large.
        payload = request.SerializeToString() + _unknown_bytes_field(65 * limit)
        call = channel.unary_unary(
            "/mlservice.v1.StatusService/GetStatus",
            request_serializer=lambda _: payload,
            response_deserializer=status_pb2.GetStatusResponse.FromString,
        )
        try:
            call(request)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        else:
            raise AssertionError("a 65 MiB message was accepted")
        assert stub.GetStatus(request).version


def _unknown_bytes_field(size: int) -> bytes:
    """Encode field number 1000 (wire type 2) holding `size` zero bytes."""
    key = (1000 << 3) | 2
    return _varint(key) + _varint(size) + bytes(size)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
