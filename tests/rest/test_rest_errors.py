"""Errors as grpc-gateway v2 maps them, from real server errors and from the proxy itself."""

from collections.abc import Callable

import httpx
import pytest

from tests.processes import GrpcServer, free_port
from tests.rest.conftest import RestProxy, unique
from tests.rest.helpers import assert_status_body, train, upload, violations, wait_for_version


@pytest.fixture(scope="module")
def iris_dataset(api: httpx.Client, iris_csv: bytes) -> str:
    dataset_id = unique("rest-errors")
    assert upload(api, dataset_id, iris_csv).status_code == 200
    return dataset_id


def test_invalid_name_is_400_with_field_violations(api: httpx.Client) -> None:
    body = assert_status_body(api.get("/v1/models/Not_An_Id"), 400, 3)
    assert "name" in violations(body)


def test_unknown_model_is_404(api: httpx.Client) -> None:
    assert_status_body(api.get(f"/v1/models/{unique('missing')}"), 404, 5)
    assert_status_body(api.delete(f"/v1/datasets/{unique('missing')}"), 404, 5)


def test_duplicate_model_id_is_409(api: httpx.Client, iris_dataset: str) -> None:
    model_id = unique("rest-dup")
    assert train(api, model_id, iris_dataset).status_code == 200
    assert_status_body(train(api, model_id, iris_dataset), 409, 6)


def test_invalid_hyperparameter_is_400_with_field_violations(
    api: httpx.Client, iris_dataset: str
) -> None:
    response = train(api, unique("rest-hp"), iris_dataset, hyperparameters={"C": -1})
    body = assert_status_body(response, 400, 3)
    assert "hyperparameters.C" in violations(body)


def test_predict_without_ready_version_is_400(api: httpx.Client, iris_dataset: str) -> None:
    model_id = unique("rest-failing")
    # lbfgs cannot fit an l1 penalty: the request is valid, the training fails.
    bad = {"l1_ratio": 1, "solver": "lbfgs"}
    assert train(api, model_id, iris_dataset, hyperparameters=bad).status_code == 200
    rows = {"rows": [[5.1, 3.5, 1.4, 0.2]]}
    assert_status_body(api.post(f"/v1/models/{model_id}:predict", json=rows), 400, 9)
    model = wait_for_version(api, model_id, 1)
    assert model["state"] == "MODEL_STATE_FAILED" and model["error"]
    assert_status_body(api.post(f"/v1/models/{model_id}:predict", json=rows), 400, 9)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/v1/nothing/here", {}, 404, 5),
        ("PUT", "/v1/models", {}, 405, 12),
        (
            "POST",
            "/v1/models",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            3,
        ),
        (
            "POST",
            "/v1/models",
            {"content": b"x", "headers": {"content-type": "text/plain"}},
            415,
            3,
        ),
        ("POST", "/v1/models", {"json": [1, 2]}, 400, 3),
        (
            "POST",
            "/v1/models",
            {"json": {"modelClass": "X", "dataset": "d", "targetColumn": "t", "bogus": 1}},
            400,
            3,
        ),
        ("GET", "/v1/models", {"params": {"bogus": "1"}}, 400, 3),
        ("GET", "/v1/models", {"params": {"pageSize": "many"}}, 400, 3),
        ("GET", "/v1/models", {"params": {"state": "NOT_A_STATE"}}, 400, 3),
        ("POST", "/v1/models/x:predict", {"json": {"rows": "not a list"}}, 400, 3),
    ],
)
def test_proxy_errors_use_the_status_body(
    api: httpx.Client, method: str, path: str, kwargs: dict, status: int, code: int
) -> None:
    assert_status_body(api.request(method, path, **kwargs), status, code)


def test_schema_violation_names_the_field(api: httpx.Client) -> None:
    response = api.post("/v1/models/x:predict", json={"rows": [[1], "not a row"]})
    assert violations(assert_status_body(response, 400, 3)) == {
        "rows.1": "'not a row' is not of type 'array'"
    }


def test_server_down_is_503(proxy_factory: Callable[..., RestProxy]) -> None:
    proxy = proxy_factory(f"127.0.0.1:{free_port()}")
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        assert_status_body(client.get("/v1/models"), 503, 14)
        form = {"datasetId": "down", "format": "DATA_FORMAT_CSV"}
        files = {"file": ("data.csv", b"a,b\n1,2\n")}
        assert_status_body(client.post("/v1/datasets:upload", data=form, files=files), 503, 14)
        assert client.get("/openapi.json").status_code == 200


def test_authorization_is_forwarded(
    server_factory: Callable[..., GrpcServer], proxy_factory: Callable[..., RestProxy]
) -> None:
    server = server_factory(MLSERVICE_API_TOKEN="s3cret")
    proxy = proxy_factory(server.target)
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        assert_status_body(client.get("/v1/models"), 401, 16)
        wrong = {"authorization": "Bearer nope"}
        assert_status_body(client.get("/v1/models", headers=wrong), 401, 16)
        right = {"authorization": "Bearer s3cret"}
        assert client.get("/v1/models", headers=right).status_code == 200
