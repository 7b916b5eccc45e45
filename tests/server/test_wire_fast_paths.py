"""The wire-format fast paths give exactly what the message-by-message paths give."""

import math

import numpy as np
import pytest
from google.protobuf import struct_pb2

from server.errors import InvalidArgument
from server.gen import models_pb2
from server.models.convert import prediction_message, value
from server.models.prediction import Prediction
from server.models.rows import read_columns, rows_to_frame
from server.models.wire_rows import RequestRows, number_matrix, varint

NUMBERS = {f"f{i}": "number" for i in range(4)}


def request(rows: list[list[object]], **fields: object) -> models_pb2.PredictRequest:
    """A request as the server receives it (parsed from bytes)."""
    message = models_pb2.PredictRequest(**{"name": "models/m", **fields})  # type: ignore[arg-type]
    for row in rows:
        message.rows.add().extend(row)
    return models_pb2.PredictRequest.FromString(message.SerializeToString())


@pytest.mark.parametrize(
    "fields",
    [{}, {"version": 3, "engine": "onnx"}, {"version": 2**31 - 1, "name": "models/" + "x" * 300}],
)
def test_number_matrix_reads_every_cell(fields):
    data = np.random.default_rng(1).normal(size=(500, 4)) * 1e6
    data[0] = [0.0, -0.0, 1e-300, -1.7e308]
    matrix = number_matrix(RequestRows(request(data.tolist(), **fields)), 4)
    assert matrix is not None and matrix.shape == (500, 4)
    assert np.array_equal(matrix, data) and math.copysign(1, matrix[0, 1]) == -1


@pytest.mark.parametrize(
    "rows",
    [
        [[1.0, 2.0, 3.0, None]],  # a null
        [[1.0, 2.0, 3.0, "4"]],  # a string
        [[1.0, 2.0, 3.0, True]],  # a bool
        [[1.0, 2.0, 3.0, math.nan]],
        [[1.0, 2.0, 3.0, math.inf]],
        [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]],  # ragged, same total
        [[1.0, 2.0, 3.0, [4.0]]],  # nested
        [[1.0, 2.0, 3.0]],  # too short
    ],
)
def test_number_matrix_leaves_anything_else_to_the_general_path(rows):
    assert number_matrix(RequestRows(request(rows)), 4) is None


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    """One field's wire bytes (length-prefixed for wire type 2)."""
    prefix = varint(len(payload)) if wire_type == 2 else b""
    return varint(number << 3 | wire_type) + prefix + payload


def rows_bytes(rows: list[list[float]]) -> bytes:
    """Each row as a rows field, as a client serializes it."""
    message = models_pb2.PredictRequest()
    for row in rows:
        message.rows.add().extend(row)
    return message.SerializeToString()


@pytest.mark.parametrize(
    "before, after",
    [
        (b"", b""),
        (field(4, 2, b"onnx") + field(1, 2, b"models/m"), field(2, 0, varint(7))),  # any order
        (field(99, 5, b"abcd") + field(98, 1, b"12345678"), field(97, 0, varint(2**40))),
        (field(1, 2, b"models/m"), field(4, 2, b"sklearn") + field(1, 2, b"models/n")),
    ],
)
def test_number_matrix_reads_the_bytes_a_request_arrived_in(before, after):
    data = np.random.default_rng(3).normal(size=(30, 4))
    raw = before + rows_bytes(data.tolist()) + after
    parsed = models_pb2.PredictRequest.FromString(raw)
    matrix = number_matrix(RequestRows(parsed, raw), 4)
    assert matrix is not None and np.array_equal(matrix, data)


def test_number_matrix_from_bytes_leaves_scattered_or_odd_rows_to_the_general_path():
    data = np.ones((4, 4)).tolist()
    split = rows_bytes(data[:2]) + field(1, 2, b"models/m") + rows_bytes(data[2:])
    group = varint(5 << 3 | 3) + varint(5 << 3 | 4) + rows_bytes(data)  # an empty group
    for raw in (split, group):
        parsed = models_pb2.PredictRequest.FromString(raw)
        assert len(parsed.rows) == 4
        assert number_matrix(RequestRows(parsed, raw), 4) is None
        assert np.array_equal(read_columns(RequestRows(parsed, raw), NUMBERS, 10), np.ones((4, 4)))


def test_request_rows_read_like_plain_rows():
    plain = np.random.default_rng(2).normal(size=(50, 4)).tolist()
    fast = rows_to_frame(RequestRows(request(plain)), NUMBERS, 100)
    assert fast.equals(rows_to_frame(plain, NUMBERS, 100))
    mixed_types = {"size": "number", "colour": "string"}
    mixed = [[1, "red"], [None, None], [True, 3.0], [2.5, 4.5]]
    from_request = rows_to_frame(RequestRows(request(mixed)), mixed_types, 10)
    assert from_request.equals(rows_to_frame(mixed, mixed_types, 10))


def test_request_rows_errors_name_the_same_cells():
    bad = [[1.0, 2.0, 3.0, "x"], [1.0, math.nan, 3.0, 4.0], [1.0]]
    with pytest.raises(InvalidArgument) as fast:
        read_columns(RequestRows(request(bad)), NUMBERS, 10)
    with pytest.raises(InvalidArgument) as plain:
        read_columns(bad, NUMBERS, 10)
    assert fast.value.violations == plain.value.violations
    assert {v.field for v in fast.value.violations} == {"rows[0][3]", "rows[1][1]", "rows[2]"}


def slow_message(prediction: Prediction) -> models_pb2.PredictResponse:
    return models_pb2.PredictResponse(
        predictions=[value(p) for p in prediction.predictions],
        classes=[value(c) for c in prediction.classes],
        probabilities=[models_pb2.Probabilities(values=r) for r in prediction.probabilities],
        model_version=prediction.model_version,
        engine=prediction.engine,
    )


@pytest.mark.parametrize(
    "prediction",
    [
        Prediction([0, 1, 2**53, -7], 2, [0, 1], [[0.25, 0.75]] * 4, "onnx"),
        Prediction([1.5, -0.0, 1e300], 1, engine="sklearn"),
        Prediction(["setosa", "virginica"], 3, ["setosa", "virginica", "versicolor"],
                   [[0.1, 0.2, 0.7], [1.0, 0.0, 0.0]], "onnx"),
        Prediction([True, False], 1, [False, True], [[0.5, 0.5]] * 2, "sklearn"),
        Prediction([1, "mixed"], 1, [1, "mixed"], [], "sklearn"),
        Prediction([0.5] * 3, 1, [0, 1], [[i / 40] * 40 for i in range(3)], "onnx"),
    ],
)  # fmt: skip
def test_prediction_message_equals_the_message_built_value_by_value(prediction):
    fast = prediction_message(prediction)
    assert fast == slow_message(prediction)
    assert fast.SerializeToString(deterministic=True) == slow_message(prediction).SerializeToString(
        deterministic=True
    )


def test_varint_matches_protobuf():
    for number in (0, 1, 127, 128, 300, 16_384, 200_000):
        encoded = struct_pb2.Value(string_value="x" * number).SerializeToString()
        assert encoded[1 : 1 + len(varint(number))] == varint(number)  # the string's length
