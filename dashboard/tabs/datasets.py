"""Datasets tab: list, versions, preview with column summaries, upload and delete."""

import re
from collections.abc import Callable

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import frames
from dashboard.client import Client, format_of
from dashboard.resources import Dataset
from dashboard.widgets import (
    attempt,
    confirm_button,
    flash,
    human_size,
    show_flash,
    succeeded,
)

WHOLE_DATASET = "The whole dataset (every version)"
ID_HELP = "Lowercase letters, digits and dashes, starting with a letter (at most 63)."


def render(client: Client) -> None:
    """Draw the Datasets tab."""
    show_flash("datasets")
    datasets = attempt(client.list_datasets)
    if datasets is None:
        return
    _upload(client, expanded=not datasets)
    if not datasets:
        st.info("No datasets yet: upload a CSV or JSON file above.")
        return
    st.subheader("Datasets")
    table = frames.datasets_frame(datasets)
    st.dataframe(table, hide_index=True, width="stretch", column_config=_size_column())
    names = [d.dataset_id for d in datasets]
    chosen = st.selectbox("Dataset", names, key="ds-name")
    dataset = next(d for d in datasets if d.dataset_id == chosen)
    _details(client, dataset)


def _size_column() -> dict[str, ColumnConfig]:
    return {"size (bytes)": st.column_config.NumberColumn("size", format="bytes")}


def _details(client: Client, dataset: Dataset) -> None:
    st.markdown(f"#### Versions of `{dataset.dataset_id}`")
    versions = frames.versions_frame(dataset)
    st.dataframe(versions, hide_index=True, width="stretch", column_config=_size_column())
    numbers = [v.version for v in reversed(dataset.versions)]
    left, right = st.columns(2)
    version = left.selectbox("Version", numbers, key=f"ds-version-{dataset.dataset_id}")
    rows = right.number_input("Preview rows", 1, 1000, 100, key="ds-preview-rows")
    detail = attempt(client.get_dataset, dataset.dataset_id, version or 0, int(rows))
    if detail is not None:
        _preview(detail)
    _delete(client, dataset, version or dataset.latest_version)


def _preview(detail: Dataset) -> None:
    version = detail.version(detail.preview_version)
    frame = frames.preview_frame(detail)
    total = version.row_count if version else len(frame)
    st.markdown(f"#### Version {detail.preview_version}: first {len(frame)} of {total} rows")
    st.dataframe(frame, width="stretch")
    types, summary = st.columns([1, 2])
    with types:
        st.markdown("**Column types**")
        if version is not None:
            st.dataframe(frames.columns_frame(version), hide_index=True, width="stretch")
    with summary:
        st.markdown(f"**Summary** (of the {len(frame)} previewed rows)")
        st.dataframe(frames.summary_frame(frame), width="stretch")
    if len(frame.columns):
        column = st.selectbox("Histogram of", list(frame.columns), key="ds-histogram")
        st.bar_chart(frames.histogram(frame[column]), sort=False, y_label="rows")


def _upload(client: Client, expanded: bool) -> None:
    title = "Upload a CSV or JSON file (a new dataset, or a new version)"
    with st.expander(title, expanded=expanded):
        file = st.file_uploader("File", type=["csv", "json"], key="ds-upload-file")
        suggested = _suggest_id(file.name) if file else ""
        dataset_id = st.text_input(
            "Dataset name", key="ds-upload-id", placeholder=suggested or "iris", help=ID_HELP
        )
        description = st.text_input("Description (optional)", key="ds-upload-description")
        st.caption("An existing name gets a new version; the older versions stay available.")
        clicked = st.button("Upload", key="ds-upload", type="primary", disabled=file is None)
        if clicked and file is not None:
            _do_upload(client, file, dataset_id.strip() or suggested, description)


def _do_upload(client: Client, file: UploadedFile, dataset_id: str, description: str) -> None:
    name = file.name
    bar = st.progress(0.0, text=f"Uploading {name}…")
    with st.spinner("Sending the file and storing it as a new DVC version…"):
        stored = attempt(
            client.upload_dataset,
            dataset_id,
            file,
            name,
            format_of(name),
            description,
            on_progress=_progress(bar.progress),
        )
    if stored is None:
        bar.empty()
        return
    flash(
        "datasets",
        f"Stored `{dataset_id}` version {stored.version}: {stored.row_count} rows, "
        f"{len(stored.columns)} columns, {human_size(stored.size_bytes)}, md5 {stored.md5}.",
    )
    st.session_state["ds-name"] = dataset_id
    st.rerun()


def _progress(update: Callable[..., object]) -> Callable[[int, int], None]:
    """A progress callback that redraws the bar only when the whole percent changes."""
    shown = [-1]

    def report(done: int, total: int) -> None:
        percent = 100 if not total else min(100, done * 100 // total)
        if percent != shown[0]:
            shown[0] = percent
            update(percent / 100, text=f"Uploaded {human_size(done)} of {human_size(total)}")

    return report


def _suggest_id(filename: str) -> str:
    """A valid dataset id from a file name: "Iris Data.csv" → "iris-data"."""
    stem = filename.rsplit(".", 1)[0].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    slug = slug if slug[:1].isalpha() else f"d-{slug}".rstrip("-")
    return slug[:63].rstrip("-")


def _delete(client: Client, dataset: Dataset, version: int) -> None:
    with st.expander("Delete"):
        scope = st.radio(
            "What to delete",
            [f"Version {version} only", WHOLE_DATASET],
            key=f"ds-delete-scope-{dataset.dataset_id}",
        )
        whole = scope == WHOLE_DATASET
        what = f"`{dataset.dataset_id}`" + ("" if whole else f" version {version}")
        key = f"ds-delete-{dataset.dataset_id}-{'all' if whole else version}"
        if confirm_button("Delete", key, what) and succeeded(
            client.delete_dataset, dataset.dataset_id, 0 if whole else version
        ):
            flash("datasets", f"Deleted {what}.")
            st.rerun()
