"""The REST proxy's /metrics: requests by operationId, method and status, after a real flow."""

import json
import time
import uuid

import httpx

from rest.app import SPEC
from tests.rest.conftest import unique
from tests.rest.helpers import TERMINAL, train, upload
from tests.server.test_metrics import Delta, label_values, scrape, series, value

SAMPLE = [[5.1, 3.5, 1.4, 0.2], [5.9, 3.0, 4.2, 1.5], [6.7, 3.0, 5.2, 2.3]]
REQUESTS = "mlservice_http_requests_total"
OWN = {"unmatched", "metrics", "openapi", "docs"}


def spec_operations() -> set[str]:
    """Every operationId of the generated spec."""
    paths = json.loads(SPEC.read_text())["paths"]
    return {op["operationId"] for item in paths.values() for op in item.values()}


def poll_until_trained(api: httpx.Client, model_id: str, timeout: float = 240) -> tuple[str, int]:
    """GET the model until it is READY or FAILED; return the state and how many GETs it took."""
    deadline, polls = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        polls += 1
        state = api.get(f"/v1/models/{model_id}").json()["state"]
        if state in TERMINAL:
            return state, polls
        time.sleep(0.2)
    raise TimeoutError(f"{model_id} not trained after {timeout} s")


def run_flow(api: httpx.Client, iris_csv: bytes) -> int:
    """Upload, train, predict 5 times, one 404 predict, one unmatched path; return the polls."""
    dataset_id, model_id = unique("metrics-iris"), unique("metrics-lr")
    assert upload(api, dataset_id, iris_csv).status_code == 200
    assert train(api, model_id, dataset_id).status_code == 200
    state, polls = poll_until_trained(api, model_id)
    assert state == "MODEL_STATE_READY"
    for _ in range(5):
        assert api.post(f"/v1/models/{model_id}:predict", json={"rows": SAMPLE}).status_code == 200
    missing = api.post(f"/v1/models/{unique('none')}:predict", json={"rows": SAMPLE})
    assert missing.status_code == 404
    assert api.get("/v1/no/such/path").status_code == 404
    return polls


def test_a_real_flow_moves_the_counters_by_exactly_its_amounts(
    api: httpx.Client, rest_proxy: str, iris_csv: bytes
) -> None:
    url = f"{rest_proxy}/metrics"
    before = scrape(url)
    polls = run_flow(api, iris_csv)
    after = scrape(url)
    delta = Delta(before, after)
    predict = "ModelService_Predict"
    assert delta(REQUESTS, operation=predict, method="POST", code="200") == 5
    assert delta(REQUESTS, operation=predict, method="POST", code="404") == 1
    assert delta("mlservice_http_request_duration_seconds_count", operation=predict) == 6
    upload_op = "DatasetService_UploadDataset"
    assert delta(REQUESTS, operation=upload_op, method="POST", code="200") == 1
    assert delta(REQUESTS, operation="ModelService_TrainModel", method="POST", code="200") == 1
    assert delta(REQUESTS, operation="ModelService_GetModel", method="GET", code="200") == polls
    assert delta(REQUESTS, operation="unmatched", method="GET", code="404") == 1
    assert delta(REQUESTS, operation="metrics", method="GET", code="200") == 1  # the first scrape
    assert value(after, "mlservice_http_requests_in_flight") == 1  # the scrape itself


def test_labels_come_from_the_spec_not_from_paths(api: httpx.Client, rest_proxy: str) -> None:
    url = f"{rest_proxy}/metrics"
    before = scrape(url)
    sent = [uuid.uuid4().hex for _ in range(50)]
    for bogus in sent:
        api.get(f"/v1/{bogus}/{bogus}")
        api.request(f"X{bogus[:8].upper()}", f"/v1/models/{bogus}")
    after = scrape(url)
    assert Delta(before, after)(REQUESTS, operation="unmatched") >= 50
    assert label_values(after, REQUESTS, "operation") <= spec_operations() | OWN
    assert label_values(after, REQUESTS, "method") <= {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
    }  # fmt: skip
    grown = series(after) - series(before)
    assert len(grown) <= 8, sorted(grown)
    values = {v for _, found in after for _, v in found}
    assert not any(b in v for b in sent for v in values)


def test_metrics_is_served_outside_the_spec(api: httpx.Client) -> None:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "mlservice_http_requests_total" in response.text
    assert "/metrics" not in json.loads(SPEC.read_text())["paths"]
