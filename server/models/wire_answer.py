"""Numbers of a Predict answer written as wire bytes and merged into the response at C speed.

Building 10,000 `Value` and `Probabilities` messages one by one costs tens of milliseconds
of Python; the same fields as bytes (a number `Value` is 0x0A 0x09 0x11 + a little-endian
double, see `server.models.wire_rows`; a `Probabilities` is its packed doubles) are built by
numpy and parsed by `MergeFromString`.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from server.models.wire_rows import NUMBER_CELL, varint

# PredictResponse.predictions is field 1, like ListValue.values: a number cell is the same.
PREDICTION_CELL = NUMBER_CELL
PROBABILITIES_TAG = b"\x1a"  # PredictResponse field 3 (probabilities), length-delimited
VALUES_TAG = b"\x0a"  # Probabilities field 1 (values), packed


def number_array(values: Sequence[Any]) -> np.ndarray | None:
    """The values as float64 when all are finite ints or floats (not bools), else None."""
    if not all(type(v) is float or type(v) is int for v in values):
        return None
    numbers = np.asarray(values, dtype=np.float64)
    return numbers if np.isfinite(numbers).all() else None


def number_values(numbers: np.ndarray) -> bytes:
    """`predictions` entries holding these numbers, as wire bytes."""
    cells = np.empty((len(numbers), 3 + 8), dtype=np.uint8)
    cells[:, :3] = PREDICTION_CELL
    cells[:, 3:] = numbers.astype("<f8").view(np.uint8).reshape(-1, 8)
    return cells.tobytes()


def probability_rows(rows: np.ndarray) -> bytes:
    """`probabilities` entries, one per row of the [n, classes] array, as wire bytes."""
    payload = rows.shape[1] * 8
    inner = VALUES_TAG + varint(payload)
    header = PROBABILITIES_TAG + varint(len(inner) + payload) + inner
    framed = np.empty((rows.shape[0], len(header) + payload), dtype=np.uint8)
    framed[:, : len(header)] = np.frombuffer(header, dtype=np.uint8)
    framed[:, len(header) :] = rows.astype("<f8").view(np.uint8).reshape(rows.shape[0], payload)
    return framed.tobytes()
