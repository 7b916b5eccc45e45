"""The Training tab against the live proxy: train, watch, retrain, delete, JSON and API errors."""

import json
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.client import ApiError, Client
from tests.dashboard.helpers import run_until, shown, table, unique, upload_csv

CLASS = "LogisticRegression"


def new_model_form(at: AppTest, dataset_id: str, model_id: str, hyperparameters: str) -> AppTest:
    at.selectbox(key="tr-class").set_value(CLASS).run()
    at.selectbox(key="tr-dataset").set_value(dataset_id).run()
    at.text_area(key=f"tr-hp-{CLASS}").input(hyperparameters)
    at.text_input(key="tr-model-id").input(model_id)
    return at


def said(at: AppTest, kind: str, text: str) -> bool:
    return any(text in message for message in shown(at, kind))


@pytest.fixture
def dataset_id(api: Client, iris_csv: bytes) -> str:
    dataset_id = unique("dash-train")
    upload_csv(api, dataset_id, iris_csv)
    return dataset_id


@pytest.mark.timeout(900)
def test_train_watch_retrain_and_delete(
    app: Callable[[str], AppTest], api: Client, dataset_id: str
) -> None:
    model_id = unique("dash-model")
    at = app("Training")
    at.selectbox(key="tr-class").set_value(CLASS).run()
    defaults = json.loads(at.text_area(key=f"tr-hp-{CLASS}").value)
    assert "C" in defaults and "max_iter" in defaults
    new_model_form(at, dataset_id, model_id, json.dumps({"C": 0.5, "max_iter": 300}))
    assert at.selectbox(key=f"tr-t-{dataset_id}-v1").value == "target"
    assert len(at.multiselect(key=f"tr-f-{dataset_id}-v1-target").value) == 4
    at.button(key="tr-start").click().run()
    run_until(at, "v1 READY", lambda a: said(a, "success", f"`{model_id}` v1 is READY"))
    assert not shown(at, "error")

    at.selectbox(key="tr-model").set_value(model_id).run()
    assert model_id in set(table(at, "model")["model"])
    versions = table(at, "test size")
    assert list(versions["version"]) == [1] and versions["accuracy"][0] > 0.8
    assert at.get("vega_lite_chart"), "metrics chart"

    at.text_area(key=f"tr-re-hp-{model_id}-1").input(json.dumps({"C": 0.05, "max_iter": 300}))
    at.button(key=f"tr-retrain-{model_id}").click().run()
    run_until(at, "v2 READY", lambda a: said(a, "success", f"`{model_id}` v2 is READY"))
    model = api.get_model(model_id)
    assert [v.version for v in model.versions] == [1, 2]
    assert model.versions[1].hyperparameters["C"] == 0.05
    assert list(table(at, "test size")["version"]) == [2, 1]

    at.checkbox(key=f"tr-delete-{model_id}-confirm").check().run()
    at.button(key=f"tr-delete-{model_id}").click().run()
    assert said(at, "success", f"Deleted `{model_id}`")
    with pytest.raises(ApiError) as gone:
        api.get_model(model_id)
    assert gone.value.status == 404


def test_invalid_json_is_reported_and_nothing_is_sent(
    app: Callable[[str], AppTest], api: Client, dataset_id: str
) -> None:
    model_id = unique("dash-nojson")
    at = new_model_form(app("Training"), dataset_id, model_id, '{"C": 0.5,')
    at.button(key="tr-start").click().run()
    assert not at.exception
    [error] = shown(at, "error")
    assert "not valid JSON" in error and "line 1" in error
    with pytest.raises(ApiError):
        api.get_model(model_id)


def test_rejected_hyperparameters_show_the_field_violations(
    app: Callable[[str], AppTest], dataset_id: str
) -> None:
    at = new_model_form(app("Training"), dataset_id, unique("dash-bad"), '{"C": "lots"}')
    at.button(key="tr-start").click().run()
    assert not at.exception
    [error] = shown(at, "error")
    assert "HTTP 400" in error
    assert "- `" in error and "C" in error
