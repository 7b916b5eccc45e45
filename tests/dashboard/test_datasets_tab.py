"""The Datasets tab against the live proxy: upload, versions, preview, delete, API errors."""

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from dashboard.client import Client
from dashboard.tabs.datasets import WHOLE_DATASET
from tests.dashboard.helpers import shown, unique


def upload(at: AppTest, name: str, data: bytes, dataset_id: str) -> AppTest:
    at.file_uploader(key="ds-upload-file").set_value((name, data, "text/csv")).run()
    at.text_input(key="ds-upload-id").input(dataset_id)
    at.text_input(key="ds-upload-description").input("iris from scikit-learn")
    return at.button(key="ds-upload").click().run()


def test_upload_two_versions_preview_and_delete(
    app: Callable[[str], AppTest], api: Client, iris_csv: bytes
) -> None:
    dataset_id = unique("dash-ds")
    at = upload(app("Datasets"), "iris.csv", iris_csv, dataset_id)
    assert not at.exception
    assert any(f"`{dataset_id}` version 1: 150 rows, 5 columns" in s for s in shown(at, "success"))
    assert at.selectbox(key="ds-name").value == dataset_id
    listed = at.dataframe[0].value
    assert dataset_id in set(listed["name"])

    at = upload(at, "iris.csv", iris_csv, dataset_id)
    assert any("version 2" in s for s in shown(at, "success"))
    versions = at.dataframe[1].value
    assert list(versions["version"]) == [2, 1]
    assert versions["md5"].nunique() == 1 and (versions["rows"] == 150).all()

    preview = at.dataframe[2].value
    assert list(preview.columns)[-1] == "target" and len(preview) == 100
    types = at.dataframe[3].value
    assert set(types["dtype"]) >= {"float64"} and (types["missing"] == 0).all()
    assert len(at.get("vega_lite_chart")) == 1

    at.selectbox(key=f"ds-version-{dataset_id}").set_value(1).run()
    at.checkbox(key=f"ds-delete-{dataset_id}-1-confirm").check().run()
    at.button(key=f"ds-delete-{dataset_id}-1").click().run()
    assert any(f"Deleted `{dataset_id}` version 1" in s for s in shown(at, "success"))
    assert [v.version for v in api.get_dataset(dataset_id).versions] == [2]

    at.radio(key=f"ds-delete-scope-{dataset_id}").set_value(WHOLE_DATASET).run()
    at.checkbox(key=f"ds-delete-{dataset_id}-all-confirm").check().run()
    at.button(key=f"ds-delete-{dataset_id}-all").click().run()
    assert any(f"Deleted `{dataset_id}`." in s for s in shown(at, "success"))
    assert dataset_id not in {d.dataset_id for d in api.list_datasets()}


def test_delete_needs_the_confirmation(
    app: Callable[[str], AppTest], api: Client, iris_csv: bytes
) -> None:
    dataset_id = unique("dash-keep")
    at = upload(app("Datasets"), "iris.csv", iris_csv, dataset_id)
    assert at.button(key=f"ds-delete-{dataset_id}-1").disabled
    assert dataset_id in {d.dataset_id for d in api.list_datasets()}


def test_invalid_upload_shows_the_status_message_and_violations(
    app: Callable[[str], AppTest], iris_csv: bytes
) -> None:
    at = upload(app("Datasets"), "iris.csv", iris_csv, "Not_A_Valid_Id")
    assert not at.exception
    [error] = shown(at, "error")
    assert "HTTP 400" in error
    assert "- `" in error  # a field violation names the offending field


def test_unparsable_file_is_rejected_with_the_reason(app: Callable[[str], AppTest]) -> None:
    at = upload(app("Datasets"), "broken.json", b"{not json", unique("dash-bad"))
    assert not at.exception
    [error] = shown(at, "error")
    assert "HTTP 400" in error
