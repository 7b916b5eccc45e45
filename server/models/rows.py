"""Predict rows (lists of JSON values in feature order) checked and turned into columns.

The columns feed both engines: the scikit-learn pipeline's frame (`rows_to_frame`) and the
compiled model's tensors (`server.models.compiled.inputs.rows_feeds`).
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from google.protobuf import struct_pb2

from server.errors import FieldViolation, invalid_if_any
from server.models.frames import NUMBER, string_value
from server.models.wire_rows import RequestRows

MAX_LISTED = 20  # violations listed one by one; checking stops after that
Columns = list[np.ndarray]  # one array per feature column: float64, or object (str / NaN)
Rows = Sequence[Sequence[Any]] | RequestRows  # plain lists (tests, tools) or a request's rows


def rows_to_frame(rows: Rows, feature_types: dict[str, str], max_rows: int) -> pd.DataFrame:
    """A frame of the rows with the trained dtypes; INVALID_ARGUMENT naming every bad cell."""
    columns = read_columns(rows, feature_types, max_rows)
    series = [pd.Series(column, dtype=column.dtype) for column in columns]  # object stays object
    return pd.DataFrame(dict(zip(feature_types, series, strict=True)))


def read_columns(rows: Rows, feature_types: dict[str, str], max_rows: int) -> Columns:
    """The checked rows as columns; INVALID_ARGUMENT naming every bad cell (up to a limit).

    Rows read from the request's bytes as a matrix skip the cell-by-cell checks when the
    model takes that many numbers.
    """
    check_count(len(rows), max_rows)
    kinds = list(feature_types.values())
    if isinstance(rows, RequestRows) and rows.matrix is not None:
        matrix = rows.matrix  # finite numbers, read from the request's bytes
        if matrix.shape[1] == len(kinds) and all(kind == NUMBER for kind in kinds):
            return [matrix[:, i] for i in range(len(kinds))]
        plain = matrix.tolist()
    else:
        plain = plain_rows(rows.request.rows if isinstance(rows, RequestRows) else rows)
    check_cells(plain, feature_types)
    return [
        np.array(
            [cell_value(row[i], kind) for row in plain],
            dtype=np.float64 if kind == NUMBER else object,
        )
        for i, kind in enumerate(kinds)
    ]


def plain_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The rows as lists of plain values, each protobuf `Value` read once."""
    return [_plain_row(row) for row in rows]


def _plain_row(row: Sequence[Any]) -> list[Any]:
    if isinstance(row, struct_pb2.ListValue):
        return [_plain(cell) for cell in row.values]
    return list(row)


def _plain(cell: struct_pb2.Value) -> Any:
    kind = cell.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    return getattr(cell, kind)  # a float, str or bool; a Struct or ListValue is refused later


def check_count(count: int, max_rows: int) -> None:
    """INVALID_ARGUMENT unless there are 1..max_rows rows."""
    if count == 0:
        invalid_if_any("no rows", [FieldViolation("rows", "at least one row is required")])
    if count > max_rows:
        invalid_if_any(
            "too many rows",
            [FieldViolation("rows", f"at most {max_rows} rows per call, got {count}")],
        )


def check_cells(rows: list[list[Any]], feature_types: dict[str, str]) -> None:
    """INVALID_ARGUMENT unless every row has one suitable value per column."""
    violations = _check(rows, list(feature_types), list(feature_types.values()))
    if len(violations) > MAX_LISTED:
        more = FieldViolation("rows", "more invalid values, not listed")
        violations = [*violations[:MAX_LISTED], more]
    invalid_if_any("invalid rows", violations)


def _check(rows: list[list[Any]], names: list[str], kinds: list[str]) -> list[FieldViolation]:
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
