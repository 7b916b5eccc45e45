"""A Predict answer written as `PredictResponse` wire bytes, its numbers by numpy.

Building 10,000 `Value` and `Probabilities` messages one by one costs tens of milliseconds
of Python, and merging them in as bytes still makes protobuf build them. Protobuf parses
concatenated messages as one merged message, so the response is the serialized small fields
followed by the numbers as bytes: a number `Value` is 0x0A 0x09 0x11 + a little-endian double
(`server.models.wire_rows`), a `Probabilities` its packed doubles. The gRPC server sends
these bytes as they are (`server.interceptors`).
"""

import numpy as np

from server.gen import models_pb2
from server.models.convert import value
from server.models.prediction import Prediction
from server.models.values import to_json_value
from server.models.wire_rows import PREDICTION_CELL, PROBABILITIES_TAG, VALUES_TAG, varint


def response_bytes(prediction: Prediction) -> bytes:
    """The serialized `PredictResponse` of a prediction."""
    message = models_pb2.PredictResponse(
        classes=[value(c) for c in prediction.classes],
        model_version=prediction.model_version,
        engine=prediction.engine,
    )
    numbers = number_array(prediction.predictions)
    if numbers is None:
        message.predictions.extend(value(to_json_value(p)) for p in prediction.predictions.tolist())
    parts = [message.SerializeToString()]
    if numbers is not None:
        parts.append(number_values(numbers))
    if prediction.probabilities is not None and prediction.probabilities.size:
        parts.append(probability_rows(prediction.probabilities))
    return b"".join(parts)


def number_array(values: np.ndarray) -> np.ndarray | None:
    """The values as float64 when they are finite ints or floats (not bools), else None."""
    if values.dtype.kind == "O" and all(type(v) is float or type(v) is int for v in values):
        values = values.astype(np.float64)
    if values.dtype.kind not in "iuf":
        return None
    numbers = values.astype(np.float64, copy=False)
    return numbers if np.isfinite(numbers).all() else None


def number_values(numbers: np.ndarray) -> bytes:
    """`predictions` entries holding these numbers, as wire bytes."""
    cells = np.empty((len(numbers), 3 + 8), dtype=np.uint8)
    cells[:, :3] = np.frombuffer(PREDICTION_CELL, dtype=np.uint8)
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
