"""Checks of a train request against the dataset: columns exist and the task fits the target.

Classification targets must have 2 to `max_classes` distinct values, and floats among them
must be whole numbers (a float target with fractional values is a regression problem).
Regression targets must have a numeric dtype. Rows without a target value are not counted
(training drops them).
"""

import math
from collections.abc import Sequence

import pandas as pd

from server.errors import FieldViolation, invalid_if_any
from server.models.classes import Task
from server.models.frames import NUMBER, feature_kind
from server.ports import DatasetVersionRecord


def resolve_features(
    record: DatasetVersionRecord, target: str, features: Sequence[str]
) -> dict[str, str]:
    """The feature columns (all but the target when none are named) with their kinds."""
    dtypes = {c.name: c.dtype for c in record.columns}
    violations: list[FieldViolation] = []
    if target not in dtypes:
        violations.append(FieldViolation("target_column", _missing(target, record)))
    chosen = list(features) or [name for name in dtypes if name != target]
    for index, name in enumerate(features):
        field = f"feature_columns[{index}]"
        if name not in dtypes:
            violations.append(FieldViolation(field, _missing(name, record)))
        elif name == target:
            violations.append(FieldViolation(field, "the target column cannot be a feature"))
        elif name in features[:index]:
            violations.append(FieldViolation(field, f"column {name!r} is listed twice"))
    if not chosen:
        violations.append(FieldViolation("feature_columns", "the dataset has no other column"))
    invalid_if_any("invalid columns", violations)
    return {name: feature_kind(dtypes[name]) for name in chosen}


def _missing(name: str, record: DatasetVersionRecord) -> str:
    known = ", ".join(record.column_names)[:300]
    return (
        f"no column {name!r} in datasets/{record.dataset_id} v{record.version} (columns: {known})"
    )


def check_target(task: Task, record: DatasetVersionRecord, target: str, test_size: float) -> None:
    """INVALID_ARGUMENT when the target's dtype does not suit the task or too few rows remain."""
    column = next(c for c in record.columns if c.name == target)
    if task is Task.REGRESSION and feature_kind(column.dtype) != NUMBER:
        _bad(f"a regression needs a numeric target; {target!r} has dtype {column.dtype}")
    rows = record.row_count - column.null_count
    if rows < 2 or rows - math.ceil(test_size * rows) < 1:
        _bad(f"{rows} rows have a value in {target!r}: too few to hold out {test_size:g}")


def check_classes(values: pd.Series, target: str, max_classes: int) -> None:
    """INVALID_ARGUMENT unless the target has 2..max_classes classes and no fractional value."""
    values = values.dropna()
    if pd.api.types.is_float_dtype(values) and not (values % 1 == 0).all():
        _bad(f"{target!r} has fractional values; use a regression class for a continuous target")
    distinct = values.nunique()
    if distinct < 2:
        _bad(f"a classification needs at least 2 classes; {target!r} has {distinct}")
    if distinct > max_classes:
        _bad(
            f"{target!r} has {distinct} distinct values, more than the {max_classes} classes "
            "allowed; is it a regression target?"
        )


def _bad(description: str) -> None:
    invalid_if_any("target does not suit the task", [FieldViolation("target_column", description)])
