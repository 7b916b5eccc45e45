"""The compiled model's inputs: one [n, 1] tensor per feature column, built like the frame.

The converter declares the inputs in feature-column order (it may rename them: ONNX names
lose spaces and brackets), so the tensors go by position.

Numbers are float32 with NaN for missing values; strings are str with `MISSING_STRING` for
missing values (the converted string imputer replaces it, as scikit-learn's replaces NaN).
Values the tensors cannot hold exactly as scikit-learn sees them (a number beyond float32's
range, a string equal to the marker) raise `Unrepresentable`: such requests go to scikit-learn.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from server.models.frames import NUMBER
from server.models.rows import Rows, read_columns

MISSING_STRING = "\x1f<missing>\x1f"
Feeds = list[np.ndarray]  # one tensor per feature column, in `feature_types` order


class Unrepresentable(ValueError):
    """A value the compiled model's inputs cannot carry faithfully."""


def column_tensor(values: Sequence[Any] | np.ndarray, kind: str) -> np.ndarray:
    """One column's cells (floats / str, NaN when missing) as the model's [n, 1] input."""
    if kind == NUMBER:
        return number_tensors([np.asarray(values, dtype=np.float64)])[0]
    strings = [v if isinstance(v, str) else MISSING_STRING for v in values]
    if any(v == MISSING_STRING for v in values):
        raise Unrepresentable("a string equals the missing-value marker")
    return np.array(strings, dtype=object).reshape(-1, 1)


def frame_feeds(frame: pd.DataFrame, feature_types: dict[str, str]) -> Feeds:
    """The inputs for a feature frame (as `coerce_frame` or `rows_to_frame` makes it)."""
    return [column_tensor(frame[name].tolist(), kind) for name, kind in feature_types.items()]


def rows_feeds(rows: Rows, feature_types: dict[str, str], max_rows: int) -> Feeds:
    """The inputs for predict rows, checked exactly as `rows_to_frame` checks them."""
    columns = read_columns(rows, feature_types, max_rows)
    kinds = list(feature_types.values())
    if all(kind == NUMBER for kind in kinds):
        return number_tensors(columns)
    return [column_tensor(column, kind) for column, kind in zip(columns, kinds, strict=True)]


def number_tensors(columns: Sequence[np.ndarray]) -> Feeds:
    """All-number columns as [n, 1] float32 tensors, converted in one go (as `column_tensor`)."""
    numbers = np.stack(columns)  # [columns, n]: each column's tensor is a contiguous row
    with np.errstate(over="ignore"):
        tensors = numbers.astype(np.float32)
    if np.isinf(tensors).any() and not np.isinf(numbers).any():
        raise Unrepresentable("a number is beyond the float32 range")
    return list(tensors.reshape(len(columns), -1, 1))
