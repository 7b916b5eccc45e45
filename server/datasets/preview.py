"""The first rows of a table as plain JSON-friendly values (None for every kind of missing)."""

import math
from typing import Any

import numpy as np
import pandas as pd

Cell = None | bool | int | float | str


def to_cell(value: Any) -> Cell:
    """A pandas/numpy scalar as None, bool, int, float or str."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        return value
    return str(value)


def preview_rows(frame: pd.DataFrame, rows: int) -> tuple[list[str], list[list[Cell]]]:
    """Column names and the first `rows` rows of `frame`."""
    head = frame.head(rows)
    values = [[to_cell(value) for value in row] for row in head.itertuples(index=False)]
    return [str(name) for name in frame.columns], values
