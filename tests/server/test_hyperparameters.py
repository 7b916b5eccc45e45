"""Hyperparameter validation: JSON coercion, every violation at once, sklearn's final check."""

import pytest
from google.protobuf import json_format, struct_pb2

from server.errors import InvalidArgument
from server.models.classes import get_model_class
from server.models.hyperparameters import validate_hyperparameters

LIMIT = 16 * 1024
FOREST = get_model_class("RandomForestClassifier")
LOGISTIC = get_model_class("LogisticRegression")


def from_struct(values: dict) -> dict:
    """What the servicer hands over: a Struct as a dict (every number a float)."""
    message = struct_pb2.Struct()
    message.update(values)
    return json_format.MessageToDict(message)


def violations(model_class, values: dict) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as error:
        validate_hyperparameters(model_class, from_struct(values), LIMIT)
    return {v.field: v.description for v in error.value.violations}


def test_whole_numbers_become_ints_and_types_are_kept():
    coerced = validate_hyperparameters(
        FOREST,
        from_struct(
            {"n_estimators": 7, "max_depth": None, "bootstrap": False, "max_features": 0.5}
        ),
        LIMIT,
    )
    assert coerced == {
        "n_estimators": 7,
        "max_depth": None,
        "bootstrap": False,
        "max_features": 0.5,
    }
    assert type(coerced["n_estimators"]) is int
    assert type(coerced["max_features"]) is float


def test_whole_number_prefers_the_int_alternative():
    coerced = validate_hyperparameters(
        FOREST, {"max_features": 2.0, "min_samples_split": 0.5}, LIMIT
    )
    assert coerced == {"max_features": 2, "min_samples_split": 0.5}
    assert type(coerced["max_features"]) is int


def test_floats_accept_whole_numbers():
    coerced = validate_hyperparameters(LOGISTIC, from_struct({"C": 3}), LIMIT)
    assert coerced == {"C": 3.0} and type(coerced["C"]) is float


def test_empty_means_defaults():
    assert validate_hyperparameters(FOREST, {}, LIMIT) == {}


def test_every_violation_is_reported_at_once():
    found = violations(
        FOREST,
        {
            "n_estimators": 2.5,  # not a whole number
            "bootstrap": 1,  # a number, not a JSON bool
            "min_weight_fraction_leaf": 0.7,  # out of [0, 0.5]
            "criterion": "best",  # not an option
            "max_depth": "deep",  # wrong type
            "learning_rate": 0.1,  # not a RandomForest parameter
        },
    )
    assert set(found) == {
        "hyperparameters.n_estimators",
        "hyperparameters.bootstrap",
        "hyperparameters.min_weight_fraction_leaf",
        "hyperparameters.criterion",
        "hyperparameters.max_depth",
        "hyperparameters.learning_rate",
    }
    assert "int in [1, inf)" in found["hyperparameters.n_estimators"]
    assert "2.5" in found["hyperparameters.n_estimators"]
    assert found["hyperparameters.bootstrap"].startswith("must be bool")
    assert "[0, 0.5]" in found["hyperparameters.min_weight_fraction_leaf"]
    assert "'gini'" in found["hyperparameters.criterion"]
    assert "unknown hyperparameter" in found["hyperparameters.learning_rate"]


def test_open_bounds_are_enforced():
    assert set(violations(LOGISTIC, {"C": 0})) == {"hyperparameters.C"}
    assert validate_hyperparameters(LOGISTIC, {"C": 1e-9}, LIMIT) == {"C": 1e-9}


def test_service_owned_parameters_are_unknown():
    found = violations(FOREST, {"random_state": 3, "n_jobs": -1, "verbose": 1})
    assert set(found) == {
        "hyperparameters.random_state",
        "hyperparameters.n_jobs",
        "hyperparameters.verbose",
    }


def test_nested_values_are_rejected():
    found = violations(LOGISTIC, {"class_weight": {"0": 1.0, "1": 2.0}, "solver": ["lbfgs"]})
    assert set(found) == {"hyperparameters.class_weight", "hyperparameters.solver"}
    assert "'balanced' | null" in found["hyperparameters.class_weight"]


def test_payload_size_is_limited():
    with pytest.raises(InvalidArgument) as error:
        validate_hyperparameters(FOREST, {"criterion": "x" * 100}, max_bytes=50)
    assert error.value.violations[0].field == "hyperparameters"
    assert "at most 50 bytes" in error.value.violations[0].description


def test_accepted_values_pass_sklearn_validation_too():
    """Our rules are the same as sklearn's: whatever we accept, `_validate_params` accepts."""
    for name in ("RandomForestClassifier", "HistGradientBoostingRegressor", "SVC", "Ridge"):
        model_class = get_model_class(name)
        for spec in model_class.hyperparameters:
            values = {spec.name: spec.default}
            assert validate_hyperparameters(model_class, values, LIMIT) == values
