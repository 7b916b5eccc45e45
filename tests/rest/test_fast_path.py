"""The fast path answers exactly like Connexion: the same requests through a proxy with the fast
path (the session's) and one without it (`MLSERVICE_REST_FAST_PATH=0`) give the same status,
headers and body bytes, and only the first counts them as served by the fast path."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import GrpcServer
from tests.rest.conftest import start_proxy, unique
from tests.rest.helpers import train, upload, wait_for_version
from tests.server.test_metrics import scrape, total

FAST = "mlservice_http_fast_path_requests_total"
VARYING_HEADERS = {"date", "x-request-id"}
SAMPLE = [[5.1, 3.5, 1.4, 0.2], [6.7, 3, 5.2, 2.3]]
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def chain_only(grpc_server: GrpcServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A proxy without the fast path: every request goes through Connexion's chain."""
    log_dir: Path = tmp_path_factory.mktemp("rest-chain-only")
    proxy = start_proxy(grpc_server.target, log_dir, MLSERVICE_REST_FAST_PATH="0")
    yield proxy.url
    proxy.stop()


@pytest.fixture(scope="module")
def dataset_id(api: httpx.Client, iris_csv: bytes) -> str:
    dataset_id = unique("fast-iris")
    assert upload(api, dataset_id, iris_csv).status_code == 200
    return dataset_id


@pytest.fixture(scope="module")
def model_id(api: httpx.Client, dataset_id: str) -> str:
    model_id = unique("fast-lr")
    assert train(api, model_id, dataset_id, randomState=3).status_code == 200
    assert wait_for_version(api, model_id, 1)["state"] == "MODEL_STATE_READY"
    return model_id


def requests(model_id: str, dataset_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Requests the fast path serves, and requests it hands to Connexion.

    Their answers do not change over time (a model's record does, as its version compiles).
    """
    predict = f"/v1/models/{model_id}:predict"
    dataset = f"/v1/datasets/{dataset_id}"
    text = {"content-type": "text/plain"}
    utf8 = {"content-type": "application/json; charset=utf-8"}
    return [
        ("POST", predict, {"json": {"rows": SAMPLE}}),
        ("POST", predict, {"json": {"rows": [[5, 3, 1, 0]], "version": 1, "engine": "sklearn"}}),
        ("POST", predict, {"json": {"rows": SAMPLE * 40}}),
        ("POST", predict, {"json": {"rows": [[5.1, None, "x", True]]}}),
        ("POST", predict, {"json": {"rows": SAMPLE, "version": 99}}),
        ("POST", predict, {"json": {"rows": SAMPLE, "bogus": 1}}),
        ("POST", predict, {"json": {"rows": SAMPLE, "version": 1.5}}),
        ("POST", predict, {"json": {"rows": [[1], "x"]}}),
        ("POST", predict, {"json": {}}),
        ("POST", predict, {"json": [1]}),
        ("POST", predict, {"content": b"{not json", "headers": JSON}),
        ("POST", predict, {"content": b"", "headers": JSON}),
        ("POST", predict, {"content": b'{"rows": [[1]]}', "headers": text}),
        ("POST", predict, {"content": b'{"rows": [[1, 2, 3, 4]]}', "headers": utf8}),
        ("POST", predict, {"content": b'{"rows":[[1]]}'}),
        ("POST", f"/v1/models/{unique('missing')}:predict", {"json": {"rows": SAMPLE}}),
        ("POST", "/v1/models/Not_An_Id:predict", {"json": {"rows": SAMPLE}}),
        ("GET", f"/v1/models/{unique('missing')}", {}),
        ("GET", f"/v1/models/{model_id}:predict", {}),
        ("GET", dataset, {"params": {"version": "1", "previewRows": "3"}}),
        ("GET", dataset, {"params": {"previewRows": "-1"}}),
        ("GET", "/v1/models", {"params": {"pageSize": "5", "modelClass": "NoSuchClass"}}),
        ("GET", "/v1/models", {"params": {"state": "MODEL_STATE_READY", "modelClass": "X"}}),
        ("GET", "/v1/models", {"params": {"pageSize": "many"}}),
        ("GET", "/v1/models", {"params": {"bogus": "1"}}),
        ("GET", "/v1/models", {"params": [("pageSize", "1"), ("pageSize", "2")]}),
        ("GET", "/v1/modelClasses", {}),
        ("DELETE", f"/v1/datasets/{unique('missing')}", {"params": {"version": "1"}}),
        ("HEAD", "/v1/models", {}),
        ("PUT", "/v1/models", {}),
        ("POST", f"/v1/models/{unique('missing')}:retrain", {"content": b"", "headers": JSON}),
        ("POST", f"/v1/models/{unique('missing')}:retrain", {"json": {"testSize": 0.5}}),
    ]


def answer(client: httpx.Client, method: str, path: str, kwargs: dict[str, Any]) -> tuple:
    response = client.request(method, path, **kwargs)
    headers = {k: v for k, v in response.headers.items() if k not in VARYING_HEADERS}
    if "allow" in headers:  # Starlette lists a set: its order varies between processes
        headers["allow"] = ", ".join(sorted(headers["allow"].split(", ")))
    return response.status_code, sorted(headers.items()), response.content


def test_fast_path_answers_like_connexion(
    api: httpx.Client, chain_only: str, model_id: str, dataset_id: str
) -> None:
    with httpx.Client(base_url=chain_only, timeout=60) as slow:
        for method, path, kwargs in requests(model_id, dataset_id):
            fast_answer = answer(api, method, path, kwargs)
            assert fast_answer == answer(slow, method, path, kwargs), (method, path, kwargs)


def test_only_the_fast_path_proxy_counts_fast_requests(
    api: httpx.Client, rest_proxy: str, chain_only: str, model_id: str
) -> None:
    before, slow_before = scrape(f"{rest_proxy}/metrics"), scrape(f"{chain_only}/metrics")
    with httpx.Client(base_url=chain_only, timeout=60) as slow:
        for client in (api, slow):
            ok = client.post(f"/v1/models/{model_id}:predict", json={"rows": SAMPLE})
            assert ok.status_code == 200
            bad = client.post(f"/v1/models/{model_id}:predict", json={"rows": "x"})
            assert bad.status_code == 400  # Connexion's validation error, not the fast path
            assert client.get("/v1/modelClasses").status_code == 200
    after, slow_after = scrape(f"{rest_proxy}/metrics"), scrape(f"{chain_only}/metrics")
    assert (
        total(after, FAST, operation="ModelService_Predict")
        - total(before, FAST, operation="ModelService_Predict")
        == 1
    )
    assert (
        total(after, FAST, operation="ModelService_ListModelClasses")
        - total(before, FAST, operation="ModelService_ListModelClasses")
        == 1
    )
    assert total(slow_after, FAST) == total(slow_before, FAST) == 0
