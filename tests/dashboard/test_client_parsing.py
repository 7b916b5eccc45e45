"""The client's parsing of ProtoJSON and google.rpc.Status bodies, and the pure helpers."""

import io

import httpx
import pandas as pd
import pytest

from dashboard import frames
from dashboard.client import ApiError, Client, ProgressReader, ServiceDown
from dashboard.resources import Dataset, Model, Prediction, ServiceStatus
from dashboard.tabs.datasets import _suggest_id
from dashboard.tabs.models import _with_clearml_links
from dashboard.widgets import human_duration, human_size, parse_json_object
from tests.processes import free_port


def test_status_body_with_bad_request_details() -> None:
    body = {
        "code": 3,
        "message": "invalid hyperparameters",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "X"},
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "hyperparameters.C", "description": "must be > 0"}],
            },
        ],
    }
    error = ApiError.from_response(httpx.Response(400, json=body))
    assert (error.status, error.message) == (400, "invalid hyperparameters")
    assert [(v.field, v.description) for v in error.violations] == [
        ("hyperparameters.C", "must be > 0")
    ]


def test_non_json_error_body_keeps_the_status_and_text() -> None:
    error = ApiError.from_response(httpx.Response(502, text="Bad Gateway"))
    assert error.status == 502 and "Bad Gateway" in error.message and not error.violations


def test_closed_port_is_service_down() -> None:
    client = Client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServiceDown, match="cannot reach"):
        client.status()
    client.close()


def test_protojson_int64_strings_timestamps_and_omitted_defaults() -> None:
    dataset = Dataset.from_json(
        {
            "name": "datasets/iris",
            "latestVersion": 2,
            "versions": [
                {"version": 1, "sizeBytes": "10", "rowCount": "3"},
                {
                    "version": 2,
                    "sizeBytes": "4551",
                    "rowCount": "150",
                    "createTime": "2026-01-02T03:04:05.123456789Z",
                    "columns": [{"name": "a", "dtype": "float64", "nullCount": "2"}],
                },
            ],
        }
    )
    latest = dataset.version()
    assert latest is not None and (latest.size_bytes, latest.row_count) == (4551, 150)
    assert latest.columns[0].null_count == 2 and latest.columns[0].numeric
    assert latest.create_time is not None and latest.create_time.year == 2026
    assert dataset.dataset_id == "iris" and dataset.preview_rows == ()


def test_model_prediction_and_status_parsing() -> None:
    model = Model.from_json(
        {
            "name": "models/m",
            "state": "MODEL_STATE_READY",
            "servingVersion": 2,
            "versions": [
                {"version": 1, "state": "MODEL_STATE_FAILED", "error": "boom"},
                {"version": 2, "state": "MODEL_STATE_READY", "metrics": {"accuracy": "NaN"}},
            ],
        }
    )
    assert model.done and model.ready_versions() == [2] and model.progress == 0.0
    assert frames.metrics_frame(model).index.tolist() == ["v2"]
    prediction = Prediction.from_json(
        {"predictions": [1], "classes": [0, 1], "probabilities": [{"values": [0.25, 0.75]}]}
    )
    assert frames.probabilities_frame(prediction).columns.tolist() == ["P(0)", "P(1)"]
    status = ServiceStatus.from_json(
        {"uptime": "3725.5s", "counts": {"models": 3, "modelsByState": {"MODEL_STATE_READY": 3}}}
    )
    assert status.counts == {"datasets": 0, "datasetVersions": 0, "models": 3}
    assert human_duration(status.uptime_seconds) == "1h 2m 5s"


def test_progress_reader_reports_every_chunk() -> None:
    seen: list[tuple[int, int]] = []
    reader = ProgressReader(io.BytesIO(b"x" * 10), lambda done, total: seen.append((done, total)))
    while reader.read(4):
        pass
    assert seen[-1] == (10, 10) and len(seen) == 4


def test_json_editor_errors_name_the_problem() -> None:
    assert parse_json_object('{"C": 1}') == {"C": 1}
    with pytest.raises(ValueError, match="line 1"):
        parse_json_object('{"C": ')
    with pytest.raises(ValueError, match="JSON object"):
        parse_json_object("[1, 2]")


def test_feature_rows_are_plain_json_in_feature_order() -> None:
    frame = pd.DataFrame({"b": ["x", None], "a": [1.5, float("nan")], "extra": [1, 2]})
    assert frames.feature_rows(frame, ["a", "b"]) == [[1.5, "x"], [None, None]]
    with pytest.raises(ValueError, match="c"):
        frames.feature_rows(frame, ["a", "c"])


def test_small_helpers() -> None:
    assert _suggest_id("Iris Data (v2).CSV") == "iris-data-v2"
    assert _suggest_id("2024.csv") == "d-2024"
    assert (human_size(512), human_size(4551)) == ("512 B", "4.4 KiB")
    histogram = frames.histogram(pd.Series([1.0, 2.0, 2.0, 3.0]))
    assert histogram["rows"].sum() == 4


def test_clearml_ids_become_links_when_the_web_ui_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = Model.from_json(
        {
            "name": "models/m",
            "versions": [
                {"version": 1, "clearmlTaskId": "t1", "clearmlModelId": "m1"},
                {"version": 2},
            ],
        }
    )
    table = frames.model_versions_frame(model)
    monkeypatch.delenv("CLEARML_WEB_HOST", raising=False)
    plain, config = _with_clearml_links(table.copy())
    assert plain["clearml task"].tolist() == ["", "t1"] and not config
    monkeypatch.setenv("CLEARML_WEB_HOST", "http://clearml.local:8080/")
    linked, config = _with_clearml_links(table.copy())
    assert (
        linked["clearml task"].tolist()[1] == "http://clearml.local:8080/projects/*/experiments/t1"
    )
    assert linked["clearml model"].tolist()[1] == "http://clearml.local:8080/projects/*/models/m1"
    assert set(config) == {"clearml task", "clearml model"}
    without_ids = frames.model_versions_frame(Model.from_json({"versions": [{"version": 1}]}))
    assert "clearml task" not in _with_clearml_links(without_ids)[0]
