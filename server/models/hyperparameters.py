"""Validate and coerce user hyperparameters (JSON) against a model class's specs.

JSON has one number type, so whole numbers go to an int alternative first (2.0 -> 2) and
to a float one otherwise; 2.5 for an int-only parameter is a violation. Bools must be JSON
bools. Every violation is reported at once; scikit-learn's own `_validate_params()` on the
built estimator is the final check.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from sklearn.utils._param_validation import InvalidParameterError

from server.errors import FieldViolation, invalid_if_any
from server.models.classes import ModelClass
from server.models.values import Rejected

FIELD = "hyperparameters"
_SKLEARN_PARAM = re.compile(r"The '(\w+)' parameter")


def validate_hyperparameters(
    model_class: ModelClass, values: Mapping[str, Any], max_bytes: int
) -> dict[str, Any]:
    """Return the coerced hyperparameters; INVALID_ARGUMENT listing every violation."""
    size = len(json.dumps(values, default=str))
    if size > max_bytes:
        invalid_if_any(
            "hyperparameters too large",
            [FieldViolation(FIELD, f"must be at most {max_bytes} bytes of JSON, got {size}")],
        )
    coerced, violations = _coerce_all(model_class, values)
    invalid_if_any(f"invalid hyperparameters for {model_class.name}", violations)
    _sklearn_check(model_class, coerced)
    return coerced


def _coerce_all(
    model_class: ModelClass, values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldViolation]]:
    coerced: dict[str, Any] = {}
    violations: list[FieldViolation] = []
    for name, value in values.items():
        spec = model_class.spec(name)
        if spec is None:
            known = ", ".join(s.name for s in model_class.hyperparameters)
            violations.append(
                FieldViolation(f"{FIELD}.{name}", f"unknown hyperparameter; known: {known}")
            )
            continue
        try:
            coerced[name] = spec.coerce(value)
        except Rejected:
            shown = json.dumps(value, default=str)[:80]
            violations.append(
                FieldViolation(f"{FIELD}.{name}", f"must be {spec.type_summary}, got {shown}")
            )
    return coerced, violations


def _sklearn_check(model_class: ModelClass, coerced: dict[str, Any]) -> None:
    try:
        model_class.build(coerced, random_state=None)._validate_params()
    except InvalidParameterError as error:
        match = _SKLEARN_PARAM.search(str(error))
        field = f"{FIELD}.{match.group(1)}" if match else FIELD
        invalid_if_any(
            f"invalid hyperparameters for {model_class.name}", [FieldViolation(field, str(error))]
        )
