"""Compiled serving through the real server: engines agree, pins work, fallbacks are reported."""

from dataclasses import replace

import grpc
import numpy as np
import pytest

from server.errors import FailedPrecondition, InvalidArgument
from server.gen import models_pb2, models_pb2_grpc
from server.models.compiled.choice import ONNX_MAX_ROWS, checked_engine, choose_engine
from server.models.compiled.parity import ATOL, RTOL
from tests.grpc_helpers import READY, rows, struct, upload, violations, wait_for_compiled
from tests.server.model_fixtures import csv_bytes, mixed, ready_version

MIXED_ROWS = [[12.0, "red", 0.5], [None, "purple", None], [8, None, -1], [9.5, 3, 0.0]]


def train(stub, model_id: str, model_class: str, dataset: str, target: str, **hp):
    request = models_pb2.TrainModelRequest(
        model_id=model_id, model_class=model_class, hyperparameters=struct(hp),
        dataset=f"datasets/{dataset}", target_column=target,
        feature_columns=["size", "colour", "weight"],
    )  # fmt: skip
    return stub.TrainModel(request).name


@pytest.fixture(scope="module")
def stub(grpc_channel) -> models_pb2_grpc.ModelServiceStub:
    return models_pb2_grpc.ModelServiceStub(grpc_channel)


@pytest.fixture(scope="module")
def trained(grpc_channel, stub) -> dict[str, models_pb2.Model]:
    """A compiled classifier (strings, missing values) and an unconvertible one, both with
    their compile outcome known (READY comes first, served by scikit-learn meanwhile)."""
    upload(grpc_channel, "o-mixed", csv_bytes(mixed()))
    names = {
        "forest": train(stub, "o-forest", "RandomForestClassifier", "o-mixed", "label",
                        n_estimators=10),
        "hist": train(stub, "o-hist", "HistGradientBoostingClassifier", "o-mixed", "label",
                      max_iter=5),
    }  # fmt: skip
    models = {key: wait_for_compiled(grpc_channel, name) for key, name in names.items()}
    for model in models.values():
        assert model.state == READY, model.error
    return models


def predict(stub, name: str, values, engine: str = "") -> models_pb2.PredictResponse:
    return stub.Predict(models_pb2.PredictRequest(name=name, rows=rows(values), engine=engine))


def test_compiled_version_is_reported_and_stored(trained, grpc_server):
    model = trained["forest"]
    version = model.versions[0]
    assert (version.engine, version.engine_note) == ("onnx", "")
    assert version.HasField("onnx_max_abs_diff") and version.onnx_max_abs_diff <= ATOL
    assert (model.engine, model.engine_note) == ("onnx", "")
    assert model.onnx_max_abs_diff == version.onnx_max_abs_diff
    stored = grpc_server.data_dir / "models" / "o-forest"
    assert sorted(p.name for p in stored.iterdir()) == ["v1.onnx", "v1.skops"]


def test_pinned_engines_give_the_same_answers(stub, trained):
    name = trained["forest"].name
    by_sklearn = predict(stub, name, MIXED_ROWS, "sklearn")
    by_onnx = predict(stub, name, MIXED_ROWS, "onnx")
    default = predict(stub, name, MIXED_ROWS)
    assert (by_sklearn.engine, by_onnx.engine, default.engine) == ("sklearn", "onnx", "onnx")
    assert [p.string_value for p in by_onnx.predictions] == [
        p.string_value for p in by_sklearn.predictions
    ]
    assert list(by_onnx.classes) == list(by_sklearn.classes) == list(default.classes)
    expected = np.array([list(p.values) for p in by_sklearn.probabilities])
    actual = np.array([list(p.values) for p in by_onnx.probabilities])
    assert expected.shape == (4, 2) and np.allclose(actual, expected, rtol=RTOL, atol=ATOL)


def test_unconvertible_class_is_served_by_sklearn(stub, trained):
    model = trained["hist"]
    assert model.engine == "sklearn" and model.versions[0].engine == "sklearn"
    assert model.engine_note.startswith("conversion failed: ")
    assert not model.HasField("onnx_max_abs_diff")
    assert predict(stub, model.name, MIXED_ROWS).engine == "sklearn"
    assert predict(stub, model.name, MIXED_ROWS, "sklearn").engine == "sklearn"
    with pytest.raises(grpc.RpcError) as pinned:
        predict(stub, model.name, MIXED_ROWS, "onnx")
    assert pinned.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "conversion failed" in pinned.value.details()


def test_unknown_engine_is_invalid(stub, trained):
    with pytest.raises(grpc.RpcError) as unknown:
        predict(stub, trained["forest"].name, MIXED_ROWS, "tensorrt")
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "engine" in violations(unknown.value)


def test_engine_choice_rules():
    compiled = ready_version({"x": "number"})
    plain = replace(compiled, engine="sklearn", engine_note="conversion failed: X")
    assert choose_engine("", "m", compiled, ONNX_MAX_ROWS) == "onnx"
    assert choose_engine("", "m", compiled, ONNX_MAX_ROWS + 1) == "sklearn"
    assert choose_engine("sklearn", "m", compiled, 1) == "sklearn"
    assert choose_engine("", "m", replace(compiled, engine=""), 1) == "sklearn"
    assert choose_engine("", "m", plain, 1) == "sklearn"
    with pytest.raises(FailedPrecondition, match="conversion failed: X"):
        choose_engine("onnx", "m", plain, 1)
    assert checked_engine("") == "" and checked_engine("onnx") == "onnx"
    with pytest.raises(InvalidArgument):
        checked_engine("ONNX")
