"""Predict rows (JSON lists in feature order) checked and turned into the pipeline's frame."""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from server.errors import FieldViolation, invalid_if_any
from server.models.frames import NUMBER, string_value

MAX_LISTED = 20  # violations listed one by one; checking stops after that


def rows_to_frame(
    rows: Sequence[Sequence[Any]], feature_types: dict[str, str], max_rows: int
) -> pd.DataFrame:
    """A frame of the rows with the trained dtypes; INVALID_ARGUMENT naming every bad cell."""
    check_rows(rows, feature_types, max_rows)
    columns = {
        name: pd.Series(
            [cell_value(row[i], kind) for row in rows],
            dtype="float64" if kind == NUMBER else object,
        )
        for i, (name, kind) in enumerate(feature_types.items())
    }
    return pd.DataFrame(columns)


def check_rows(rows: Sequence[Sequence[Any]], feature_types: dict[str, str], max_rows: int) -> None:
    """INVALID_ARGUMENT unless there are 1..max_rows rows whose every cell suits its column."""
    if not rows:
        invalid_if_any("no rows", [FieldViolation("rows", "at least one row is required")])
    if len(rows) > max_rows:
        invalid_if_any(
            "too many rows",
            [FieldViolation("rows", f"at most {max_rows} rows per call, got {len(rows)}")],
        )
    kinds = list(feature_types.values())
    violations = _check(rows, list(feature_types), kinds)
    if len(violations) > MAX_LISTED:
        more = FieldViolation("rows", "more invalid values, not listed")
        violations = [*violations[:MAX_LISTED], more]
    invalid_if_any("invalid rows", violations)


def _check(
    rows: Sequence[Sequence[Any]], names: list[str], kinds: list[str]
) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    for r, row in enumerate(rows):
        if len(row) != len(names):
            violations.append(
                FieldViolation(
                    f"rows[{r}]",
                    f"has {len(row)} values; expected {len(names)} ({', '.join(names)[:300]})",
                )
            )
            continue
        for c, value in enumerate(row):
            problem = _problem(value, kinds[c])
            if problem:
                violations.append(
                    FieldViolation(f"rows[{r}][{c}]", f"column {names[c]!r} {problem}")
                )
        if len(violations) > MAX_LISTED:
            break
    return violations


def _problem(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return f"expects a finite number, got {value}"
    if kind == NUMBER and not isinstance(value, int | float):
        return f"expects a number or null, got {_shown(value)}"
    if not isinstance(value, str | int | float):
        return f"expects a string, number or null, got {_shown(value)}"
    return ""


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"string {value[:40]!r}"
    return type(value).__name__


def cell_value(value: Any, kind: str) -> Any:
    """A checked cell as the frame holds it: a float or str, NaN when missing."""
    if value is None:
        return np.nan
    return float(value) if kind == NUMBER else string_value(value)
