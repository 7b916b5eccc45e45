"""Swagger UI, the served spec, and the request id that travels with every request."""

import json
import uuid
from pathlib import Path

import httpx

from tests.processes import GrpcServer, wait_until

SPEC = Path(__file__).resolve().parents[2] / "rest" / "openapi" / "openapi.json"


def test_swagger_ui_is_served_at_docs(api: httpx.Client) -> None:
    response = api.get("/docs", follow_redirects=True)
    assert response.status_code == 200
    assert "swagger-ui" in response.text and "/openapi.json" in response.text


def test_spec_is_served_at_openapi_json(api: httpx.Client) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(SPEC.read_text())


def test_request_id_is_generated_and_echoed(api: httpx.Client) -> None:
    first = api.get("/v1/status").headers["x-request-id"]
    second = api.get("/v1/status").headers["x-request-id"]
    assert first and second and first != second
    assert api.get("/v1/nothing").headers["x-request-id"]


def test_request_id_is_forwarded_to_the_server(api: httpx.Client, grpc_server: GrpcServer) -> None:
    request_id = f"rest-test-{uuid.uuid4().hex[:12]}"
    response = api.get(f"/v1/models/{request_id}", headers={"x-request-id": request_id})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == request_id
    wait_until(lambda: request_id in grpc_server.log(), 10, "server log line")


def test_unsafe_request_id_is_replaced(api: httpx.Client) -> None:
    response = api.get("/v1/status", headers={"x-request-id": "bad id with spaces"})
    assert response.headers["x-request-id"] != "bad id with spaces"
