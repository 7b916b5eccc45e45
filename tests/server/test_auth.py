"""With MLSERVICE_API_TOKEN set, every RPC but health and status needs the bearer token."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.gen import models_pb2, models_pb2_grpc, status_pb2, status_pb2_grpc

TOKEN = "test-token-not-a-secret"


def test_token_is_required_except_for_health_and_status(server_factory) -> None:
    server = server_factory(MLSERVICE_API_TOKEN=TOKEN)
    with grpc.insecure_channel(server.target) as channel:
        models = models_pb2_grpc.ModelServiceStub(channel)
        request = models_pb2.ListModelClassesRequest()
        for metadata in ([], [("authorization", "Bearer wrong")], [("authorization", TOKEN)]):
            with pytest.raises(grpc.RpcError) as denied:
                models.ListModelClasses(request, metadata=metadata)
            assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
        allowed = models.ListModelClasses(request, metadata=[("authorization", f"Bearer {TOKEN}")])
        assert allowed.model_classes
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        assert status_pb2_grpc.StatusServiceStub(channel).GetStatus(status_pb2.GetStatusRequest())
