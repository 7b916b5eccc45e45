"""Model classes and hyperparameter specs, derived from scikit-learn's own constraints."""

from numbers import Integral

import pytest
from google.protobuf import json_format
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions

from server.errors import InvalidArgument
from server.gen import models_pb2
from server.models.classes import ESTIMATORS, Task, get_model_class, model_classes
from server.models.convert import model_class_message, value
from server.models.specs import EXCLUDED, derive_specs
from server.models.values import ValueKind

ALL = list(model_classes().values())


def test_every_listed_estimator_is_a_class_with_its_task():
    assert [c.name for c in ALL] == [e.__name__ for e in ESTIMATORS]
    assert {"LogisticRegression", "RandomForestClassifier", "HistGradientBoostingClassifier",
            "SVC", "Ridge", "RandomForestRegressor"} <= set(model_classes())  # fmt: skip
    for model_class in ALL:
        expected = (
            Task.CLASSIFICATION if is_classifier(model_class.estimator()) else Task.REGRESSION
        )
        assert model_class.task is expected
        assert model_class.description
        assert model_class.hyperparameters


def test_logistic_regression_c_is_a_positive_float():
    c = get_model_class("LogisticRegression").spec("C")
    assert c is not None and len(c.rules) == 1
    rule = c.rules[0]
    assert rule.kind is ValueKind.FLOAT
    assert rule.minimum == 0 and not rule.minimum_inclusive
    assert rule.maximum is None
    assert c.default == 1.0
    assert c.type_summary == "float in (0, inf)"
    assert "regularization" in c.description


def test_max_iter_is_an_int():
    max_iter = get_model_class("LogisticRegression").spec("max_iter")
    assert max_iter is not None
    assert [r.kind for r in max_iter.rules] == [ValueKind.INT]
    assert max_iter.default == 100


def test_string_options_come_from_sklearn():
    solver = get_model_class("LogisticRegression").spec("solver")
    options = next(
        c for c in LogisticRegression._parameter_constraints["solver"] if isinstance(c, StrOptions)
    )
    assert solver is not None
    assert set(solver.rules[0].allowed) == options.options - options.deprecated


def test_penalty_follows_sklearn():
    """Exposed with its options, unless this scikit-learn deprecated it (hidden default)."""
    penalty = get_model_class("LogisticRegression").spec("penalty")
    if LogisticRegression().penalty == "deprecated":
        assert penalty is None
    else:
        assert penalty is not None
        allowed = {v for r in penalty.rules for v in r.allowed}
        assert allowed == {"l1", "l2", "elasticnet"}
        assert ValueKind.NULL in {r.kind for r in penalty.rules}


def test_inexpressible_alternatives_are_dropped():
    forest = get_model_class("RandomForestClassifier")
    class_weight = forest.spec("class_weight")
    assert class_weight is not None
    assert {r.kind for r in class_weight.rules} == {ValueKind.STRING, ValueKind.NULL}
    assert forest.spec("monotonic_cst") is None  # array-like or null only
    criterion = forest.spec("criterion")
    assert criterion is not None and [r.kind for r in criterion.rules] == [ValueKind.STRING]
    kernel = get_model_class("SVC").spec("kernel")
    assert kernel is not None and [r.kind for r in kernel.rules] == [ValueKind.STRING]


def test_numeric_ranges_match_the_intervals():
    for model_class in ALL:
        constraints = model_class.estimator._parameter_constraints
        for spec in model_class.hyperparameters:
            intervals = [c for c in constraints[spec.name] if isinstance(c, Interval)]
            numeric = [r for r in spec.rules if r.kind in (ValueKind.INT, ValueKind.FLOAT)]
            assert len(numeric) == len(intervals), spec.name
            for interval, rule in zip(intervals, numeric, strict=True):
                assert (rule.kind is ValueKind.INT) == (interval.type is Integral)
                assert rule.minimum == interval.left and rule.maximum == interval.right


def test_service_owned_parameters_are_not_offered():
    for model_class in ALL:
        assert not {s.name for s in model_class.hyperparameters} & EXCLUDED


@pytest.mark.parametrize("model_class", ALL, ids=lambda c: c.name)
def test_every_default_satisfies_its_own_constraints(model_class):
    """Sent back as JSON (a Struct makes every number a float), each default is accepted."""
    defaults = model_class.estimator().get_params()
    for spec in model_class.hyperparameters:
        as_json = json_format.MessageToDict(value(spec.default))
        assert spec.coerce(as_json) == spec.default == defaults[spec.name]


@pytest.mark.parametrize("model_class", ALL, ids=lambda c: c.name)
def test_specs_survive_a_json_round_trip(model_class):
    message = model_class_message(model_class)
    again = json_format.Parse(json_format.MessageToJson(message), models_pb2.ModelClass())
    assert again == message
    assert [h.name for h in again.hyperparameters] == [s.name for s in model_class.hyperparameters]
    for spec, proto in zip(model_class.hyperparameters, again.hyperparameters, strict=True):
        assert json_format.MessageToDict(proto.default_value) == spec.default
        assert proto.type == spec.type_summary
        assert len(proto.constraints) == len(spec.rules)


def test_proto_constraints_carry_bounds_and_options():
    message = model_class_message(get_model_class("RandomForestClassifier"))
    specs = {h.name: h for h in message.hyperparameters}
    n_estimators = specs["n_estimators"].constraints[0]
    assert n_estimators.type == models_pb2.VALUE_TYPE_INT
    assert n_estimators.HasField("minimum") and n_estimators.minimum == 1
    assert n_estimators.minimum_inclusive and not n_estimators.HasField("maximum")
    criterion = specs["criterion"].constraints[0]
    assert set(criterion.allowed_values) == {"gini", "entropy", "log_loss"}
    assert specs["max_depth"].default_value.HasField("null_value")


def test_unknown_class_is_invalid_argument():
    with pytest.raises(InvalidArgument) as error:
        get_model_class("DeepNet")
    assert error.value.violations[0].field == "model_class"
    assert "LogisticRegression" in error.value.violations[0].description


def test_derivation_is_deterministic():
    for model_class in ALL:
        assert derive_specs(model_class.estimator) == model_class.hyperparameters
