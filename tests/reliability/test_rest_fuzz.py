"""Schemathesis over the REST spec: over 1,000 generated requests, no 5xx, every answer valid.

Seeded (derandomized) and sent with the API token to the proxy in front of the shared server,
so the requests reach the handlers; tests/rest/test_schemathesis.py runs a lighter pass.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from server.gen import models_pb2, models_pb2_grpc
from tests.reliability.conftest import BASE_MODEL, IRIS, Service
from tests.reliability.helpers import AUTH, all_models
from tests.rest.conftest import RestProxy

SPEC = Path(__file__).resolve().parents[2] / "rest" / "openapi" / "openapi.json"
EXAMPLES_PER_OPERATION = 100
MINIMUM_CASES = 1000
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
HEADERS = {"Authorization": dict(AUTH)["authorization"]}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

schema = schemathesis.openapi.from_path(SPEC)
sent: list[str] = []


@pytest.fixture(scope="module")
def http(service: Service) -> Iterator[requests.Session]:
    """One keep-alive session; models the fuzzing creates are deleted afterwards."""
    before = {m.name for m in all_models(service.channel)}
    with requests.Session() as session:
        yield session
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    for model in all_models(service.channel):
        if model.name not in before:
            stub.DeleteModel(models_pb2.DeleteModelRequest(name=model.name))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_rest_api_conforms_under_generated_input(
    case: schemathesis.Case,
    rest_proxy_of_service: RestProxy,
    http: requests.Session,
    cases_sent: list[str],
) -> None:
    cases_sent.append(case.operation.label)
    case.call_and_validate(
        base_url=rest_proxy_of_service.url, session=http, headers=HEADERS, checks=CHECKS
    )


def spec_operations() -> int:
    """How many operations the spec has (each gets its generated cases)."""
    paths = json.loads(SPEC.read_text())["paths"]
    return sum(method in HTTP_METHODS for item in paths.values() for method in item)


@pytest.fixture(scope="module")
def cases_sent() -> Iterator[list[str]]:
    """The label of every case sent; once every operation has had its cases, there were enough."""
    yield sent
    if len(set(sent)) == spec_operations():  # a `-k` selection of a few operations sends fewer
        assert len(sent) >= MINIMUM_CASES, {label: sent.count(label) for label in set(sent)}


def _nested(depth: int, as_list: bool) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


@pytest.mark.parametrize("depth", [30, 60, 100, 200])
def test_deeply_nested_json_is_a_client_error(
    rest_proxy_of_service: RestProxy, http: requests.Session, ready_model, depth: int
) -> None:
    train = {
        "modelId": "rel-deep",
        "modelClass": "RandomForestClassifier",
        "dataset": f"datasets/{IRIS}",
        "targetColumn": "target",
        "hyperparameters": {"n_estimators": _nested(depth, as_list=False)},
    }
    predict = {"rows": [[_nested(depth, as_list=True), 1, 2, 3]]}
    for path, body in (("/v1/models", train), (f"/v1/{BASE_MODEL}:predict", predict)):
        response = http.post(rest_proxy_of_service.url + path, json=body, headers=HEADERS)
        assert response.status_code == 400, (path, response.status_code, response.text)
