"""Feature frames: the same column kinds and dtypes for training and for prediction.

A feature column is either a "number" (numeric and bool dtypes; float64 in the frame, NaN for
missing) or a "string" (anything else; Python str in an object column, NaN for missing).
"""

import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype, pandas_dtype

NUMBER = "number"
STRING = "string"
_NUMERIC_NAMES = frozenset({"int", "integer", "float", "double", "number", "numeric", "bool"})


def feature_kind(dtype: str) -> str:
    """The kind of a feature column with this dtype name (as the dataset index records it)."""
    if dtype.lower() in _NUMERIC_NAMES:
        return NUMBER
    try:
        return NUMBER if is_numeric_dtype(pandas_dtype(dtype)) else STRING
    except (TypeError, ValueError):
        return STRING


def string_value(value: Any) -> Any:
    """A categorical cell as the encoder sees it: a str, or NaN when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return np.nan
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def coerce_frame(frame: pd.DataFrame, feature_types: dict[str, str]) -> pd.DataFrame:
    """The feature columns in `feature_types` order, with their kinds' dtypes."""
    columns: dict[str, pd.Series] = {}
    for name, kind in feature_types.items():
        series = frame[name]
        if kind == NUMBER:
            if series.dtype == bool:
                series = series.astype("float64")
            columns[name] = pd.to_numeric(series, errors="coerce").astype("float64")
        else:
            columns[name] = pd.Series(
                [string_value(v) for v in series.tolist()], index=frame.index, dtype=object
            )
    return pd.DataFrame(columns, index=frame.index)
