"""Helpers for REST tests: uploads, waiting for training, reading error bodies."""

import time
from typing import Any

import httpx

BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
TERMINAL = {"MODEL_STATE_READY", "MODEL_STATE_FAILED"}


def upload(
    api: httpx.Client, dataset_id: str, data: bytes, fmt: str = "DATA_FORMAT_CSV"
) -> httpx.Response:
    """Upload `data` through the multipart endpoint (fields first, then the file)."""
    form = {"datasetId": dataset_id, "format": fmt, "description": "uploaded by a test"}
    return api.post("/v1/datasets:upload", data=form, files={"file": ("data.csv", data)})


def train(api: httpx.Client, model_id: str, dataset_id: str, **extra: Any) -> httpx.Response:
    """Start training a LogisticRegression on `dataset_id`'s `target` column."""
    body = {
        "modelId": model_id,
        "modelClass": "LogisticRegression",
        "dataset": f"datasets/{dataset_id}",
        "targetColumn": "target",
        "hyperparameters": {"C": 0.5, "max_iter": 300},
        **extra,
    }
    return api.post("/v1/models", json=body)


def wait_for_version(api: httpx.Client, model_id: str, version: int, timeout: float = 120) -> dict:
    """Poll GetModel until `version` is READY or FAILED; return the model."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = api.get(f"/v1/models/{model_id}").json()
        states = {v["version"]: v["state"] for v in model["versions"]}
        if states.get(version) in TERMINAL:
            return dict(model)
        time.sleep(0.2)
    raise TimeoutError(f"{model_id} v{version} not trained after {timeout} s")


def assert_status_body(response: httpx.Response, http_status: int, code: int) -> dict:
    """Check the HTTP status and the `google.rpc.Status` body shape; return the body."""
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert all("@type" in detail for detail in body["details"])
    return dict(body)


def violations(body: dict) -> dict[str, str]:
    """The `google.rpc.BadRequest` field violations of a Status body, by field."""
    return {
        v["field"]: v["description"]
        for detail in body["details"]
        if detail["@type"] == BAD_REQUEST
        for v in detail["fieldViolations"]
    }
