"""Compiling after training: conversion, the parity gate, and the fallback to scikit-learn."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from server.datasets.store import DvcDatasetStore
from server.models.classes import Task
from server.models.compiled.inputs import MISSING_STRING, frame_feeds, rows_feeds
from server.models.compiled.outcome import ONNX, SKLEARN
from server.models.compiled.parity import ATOL, RTOL, Outputs, check_parity
from server.models.compiled.serve import predict_compiled
from server.models.compiled.session import load_compiled
from server.models.rows import rows_to_frame
from server.models.serving import predict
from server.models.training.fit import train_and_compile
from server.models.trusted_types import load_weights
from tests.server.model_fixtures import (
    diabetes,
    iris,
    job_for,
    large_offsets,
    mixed,
    model_settings,
    ready_version,
    upload_frame,
)

MIXED_TYPES = {"colour": "string", "size": "number", "weight": "number"}
MIXED_ROWS = [["red", 12, 0.5], [None, None, -1.0], ["purple", 8.5, None], [3, 10.0, 0.0]]


@pytest_asyncio.fixture(scope="module")
async def store(tmp_path_factory) -> DvcDatasetStore:
    store = DvcDatasetStore(model_settings(tmp_path_factory.mktemp("onnx-compile")))
    await upload_frame(store, "iris", iris())
    await upload_frame(store, "diabetes", diabetes())
    await upload_frame(store, "mixed", mixed())
    await upload_frame(store, "offsets", large_offsets())
    return store


def compile_job(store, tmp_path: Path, dataset: str, model_class: str, target: str, **hp):
    job = job_for(
        store, store.get_version(dataset), model_class, target, tmp_path / "w.skops", **hp
    )
    return replace(job, compiled_path=str(tmp_path / "w.onnx"))


def assert_same_answers(weights: Path, compiled: Path, task: Task, rows, feature_types):
    """scikit-learn on the frame and ONNX Runtime on the tensors answer alike."""
    version = ready_version(feature_types)
    expected = predict(load_weights(weights), task, rows_to_frame(rows, feature_types, 100), 1)
    actual = predict_compiled(load_compiled(compiled), task, rows, version, 100)
    assert actual is not None and (actual.engine, expected.engine) == (ONNX, SKLEARN)
    assert actual.classes == expected.classes
    if task is Task.CLASSIFICATION:
        assert actual.predictions.tolist() == expected.predictions.tolist()  # values and kinds
        assert np.allclose(actual.probabilities, expected.probabilities, rtol=RTOL, atol=ATOL)
    else:
        assert np.allclose(actual.predictions, expected.predictions, rtol=RTOL, atol=ATOL)


def test_numeric_pipeline_compiles_and_answers_like_sklearn(store, tmp_path):
    job = compile_job(store, tmp_path, "iris", "LogisticRegression", "target")
    result = train_and_compile(job, lambda *_: None)
    assert result.compiled.engine == ONNX and result.compiled.note == ""
    assert result.compiled.max_abs_diff is not None and result.compiled.max_abs_diff < ATOL
    assert set(result.metrics) == {"accuracy", "f1_macro", "roc_auc"}
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, None, 5.2, 2.3], [5, 3, 4, 1]]
    types = job.feature_types
    assert_same_answers(
        Path(job.output_path), Path(job.compiled_path), Task.CLASSIFICATION, rows, types
    )
    assert not list(tmp_path.glob(".*tmp"))


def test_string_columns_with_missing_values_compile(store, tmp_path):
    job = compile_job(store, tmp_path, "mixed", "RandomForestClassifier", "label")
    assert job.feature_types == MIXED_TYPES
    result = train_and_compile(job, lambda *_: None)
    assert result.compiled.engine == ONNX, result.compiled.note
    compiled = Path(job.compiled_path)
    assert_same_answers(
        Path(job.output_path), compiled, Task.CLASSIFICATION, MIXED_ROWS, MIXED_TYPES
    )
    assert load_compiled(compiled).classes == ("no", "yes")


def test_regressor_compiles_and_answers_like_sklearn(store, tmp_path):
    job = compile_job(store, tmp_path, "diabetes", "Ridge", "target")
    result = train_and_compile(job, lambda *_: None)
    assert result.compiled.engine == ONNX, result.compiled.note
    rows = diabetes().drop(columns="target").head(5).values.tolist()
    rows[0][2] = None
    weights, compiled = Path(job.output_path), Path(job.compiled_path)
    assert_same_answers(weights, compiled, Task.REGRESSION, rows, job.feature_types)


def test_unconvertible_class_falls_back_to_sklearn(store, tmp_path):
    job = compile_job(store, tmp_path, "mixed", "HistGradientBoostingClassifier", "label")
    result = train_and_compile(job, lambda *_: None)
    assert result.compiled.engine == SKLEARN and result.compiled.max_abs_diff is None
    assert result.compiled.note.startswith("conversion failed: ")
    assert "\n" not in result.compiled.note and len(result.compiled.note) <= 300
    assert Path(job.output_path).exists() and not Path(job.compiled_path).exists()


def test_a_real_parity_failure_falls_back_to_sklearn(store, tmp_path):
    """1e8 + k needs float64: at float32 the inputs collapse in steps of 8, and the gate sees it."""
    job = compile_job(store, tmp_path, "offsets", "Ridge", "y", alpha=1e-6)
    result = train_and_compile(job, lambda *_: None)
    assert result.metrics["r2"] > 0.999  # scikit-learn itself is fine
    assert result.compiled.engine == SKLEARN
    assert result.compiled.note.startswith("parity failed: predictions: ")
    assert result.compiled.max_abs_diff is not None and result.compiled.max_abs_diff > 1
    assert not Path(job.compiled_path).exists()


def test_without_a_compiled_path_nothing_is_compiled(store, tmp_path):
    job = replace(compile_job(store, tmp_path, "iris", "Ridge", "target"), compiled_path="")
    result = train_and_compile(job, lambda *_: None)
    assert result.compiled.engine == SKLEARN and result.compiled.note == "not compiled"
    assert not list(tmp_path.glob("*.onnx"))


def test_rows_and_frames_become_the_same_tensors():
    frame = rows_to_frame(MIXED_ROWS, MIXED_TYPES, 10)
    from_rows, from_frame = rows_feeds(MIXED_ROWS, MIXED_TYPES, 10), frame_feeds(frame, MIXED_TYPES)
    assert [t.shape for t in from_rows] == [(4, 1)] * 3
    assert from_rows[0].ravel().tolist() == ["red", MISSING_STRING, "purple", "3"]
    assert from_rows[1].dtype == np.float32 and np.isnan(from_rows[1][1, 0])
    for a, b in zip(from_rows, from_frame, strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b, equal_nan=a.dtype != object)


def test_values_the_tensors_cannot_carry_go_to_sklearn(store, tmp_path):
    job = compile_job(store, tmp_path, "mixed", "LogisticRegression", "label")
    assert train_and_compile(job, lambda *_: None).compiled.engine == ONNX
    compiled, version = load_compiled(Path(job.compiled_path)), ready_version(MIXED_TYPES)
    for row in (["red", 1e39, 0.0], [MISSING_STRING, 1.0, 0.0]):
        assert predict_compiled(compiled, Task.CLASSIFICATION, [row], version, 10) is None
    assert predict_compiled(compiled, Task.CLASSIFICATION, [["red", 1e30, 0]], version, 10)


def test_gate_compares_labels_exactly():
    labels = np.array(["a", "b", "a"], dtype=object)
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert check_parity(Outputs(labels, proba), Outputs(labels.copy(), proba + 1e-7), True).passed
    flipped = check_parity(Outputs(labels, proba), Outputs(labels[[0, 1, 1]], proba), True)
    assert not flipped.passed and flipped.reason == "1 of 3 labels differ"
    ints = check_parity(
        Outputs(np.array([0, 1])), Outputs(np.array(["0", "1"], dtype=object)), True
    )
    assert not ints.passed and ints.reason == "labels are str, expected int"
    no_proba = check_parity(Outputs(labels, proba), Outputs(labels), True)
    assert not no_proba.passed


def test_gate_holds_probabilities_and_values_to_the_tolerance():
    labels = np.array([1, 0])
    proba = np.array([[0.25, 0.75], [0.5, 0.5]])
    off = proba + np.array([[0.0, 0.0], [1e-4, -1e-4]])  # beyond 1e-5 + 1e-4 * 0.5
    result = check_parity(Outputs(labels, proba), Outputs(labels, off), True)
    assert not result.passed and result.max_abs_diff == pytest.approx(1e-4)
    assert result.reason.startswith("probabilities: 2 of 4 values differ beyond tolerance")
    values = np.array([1000.0, -2.0, 0.0])
    near = values * (1 + 0.5 * RTOL) + 0.5 * ATOL
    passed = check_parity(Outputs(values), Outputs(near.reshape(-1, 1)), False)
    assert passed.passed and passed.max_abs_diff == pytest.approx(0.05 + 0.5 * ATOL)
    far = check_parity(Outputs(values), Outputs(values + np.array([0, 0, 1e-4])), False)
    assert not far.passed and "1 of 3 values" in far.reason
    bad = check_parity(Outputs(values), Outputs(np.array([1000.0, np.nan, 0.0])), False)
    assert not bad.passed and "NaN" in bad.reason
