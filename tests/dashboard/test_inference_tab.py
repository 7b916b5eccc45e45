"""The Inference tab against a READY model: one row, a CSV batch, and the error paths."""

from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.resources import Model
from tests.dashboard.helpers import shown

pytestmark = pytest.mark.timeout(900)  # the first test also trains the shared model


def open_model(app: Callable[[str], AppTest], model: Model) -> AppTest:
    at = app("Inference")
    at.selectbox(key="inf-model").set_value(model.model_id).run()
    return at


def test_one_row_form_predicts_with_probabilities(
    app: Callable[[str], AppTest], ready_model: Model, iris: pd.DataFrame
) -> None:
    at = open_model(app, ready_model)
    form = f"inf-row-{ready_model.model_id}-0"
    first = at.number_input(key=f"inf-field-{form}-sepal length (cm)")
    assert first.value == iris.iloc[0, 0]  # prefilled from the training data's first row
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception and not shown(at, "error")
    assert at.metric[0].value == "0"
    results = at.dataframe[0].value
    assert list(results.columns[:4]) == list(ready_model.feature_columns)
    assert results["predicted target"].tolist() == [0]
    probabilities = results[["P(0)", "P(1)", "P(2)"]].iloc[0]
    assert abs(probabilities.sum() - 1) < 1e-6
    assert at.get("vega_lite_chart"), "probabilities chart"
    assert at.download_button[0].label == "Download CSV"


def test_csv_batch_predicts_every_row(
    app: Callable[[str], AppTest], ready_model: Model, iris: pd.DataFrame
) -> None:
    at = open_model(app, ready_model)
    at.radio(key="inf-mode").set_value("CSV batch").run()
    batch = iris.iloc[[0, 60, 120]].to_csv(index=False)  # the extra target column is ignored
    at.text_area(key="inf-batch-text").input(batch)
    at.button(key="inf-batch").click().run()
    assert not at.exception and not shown(at, "error")
    results = at.dataframe[0].value
    assert results["predicted target"].tolist() == [0, 1, 2]
    assert results["target"].tolist() == [0, 1, 2]


def test_batch_without_the_feature_columns_is_refused(
    app: Callable[[str], AppTest], ready_model: Model
) -> None:
    at = open_model(app, ready_model)
    at.radio(key="inf-mode").set_value("CSV batch").run()
    at.text_area(key="inf-batch-text").input("sepal length (cm)\n5.1\n")
    at.button(key="inf-batch").click().run()
    [error] = shown(at, "error")
    assert "lacks the model's feature columns" in error and "petal width (cm)" in error


def test_rows_the_service_rejects_show_the_status_and_violations(
    app: Callable[[str], AppTest], ready_model: Model
) -> None:
    at = open_model(app, ready_model)
    at.radio(key="inf-mode").set_value("CSV batch").run()
    header = ",".join(ready_model.feature_columns)
    at.text_area(key="inf-batch-text").input(f"{header}\n5.1,3.5,1.4,0.2\nabc,3.0,1.4,0.2\n")
    at.button(key="inf-batch").click().run()
    assert not at.exception
    [error] = shown(at, "error")
    assert "HTTP 400" in error and "- `rows[1][0]`" in error and "abc" in error
    assert not at.dataframe, "no stale results"
