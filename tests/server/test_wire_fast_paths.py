"""The wire-format fast paths give exactly what the message-by-message paths give."""

import math

import numpy as np
import pytest
from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError

from server.errors import InvalidArgument
from server.gen import models_pb2
from server.models.convert import value
from server.models.prediction import Prediction
from server.models.rows import read_columns, rows_to_frame
from server.models.wire_answer import response_bytes
from server.models.wire_rows import RequestRows, read_predict_request, varint

NUMBERS = {f"f{i}": "number" for i in range(4)}


def request_bytes(rows: list[list[object]], **fields: object) -> bytes:
    """A request as a client serializes it."""
    message = models_pb2.PredictRequest(**{"name": "models/m", **fields})  # type: ignore[arg-type]
    for row in rows:
        message.rows.add().extend(row)
    return message.SerializeToString()


def parsed(raw: bytes) -> RequestRows:
    """What the server's Predict handler receives, with the general parse checked against it."""
    rows = read_predict_request(raw)
    whole = models_pb2.PredictRequest.FromString(raw)
    without_rows = models_pb2.PredictRequest()
    without_rows.CopyFrom(whole)
    del without_rows.rows[:]
    if rows.matrix is not None:  # the rest of the message is what protobuf reads
        assert rows.request == without_rows and len(rows) == len(whole.rows)
    else:
        assert rows.request == whole
    return rows


@pytest.mark.parametrize(
    "fields",
    [{}, {"version": 3, "engine": "onnx"}, {"version": 2**31 - 1, "name": "models/" + "x" * 300}],
)
@pytest.mark.parametrize("width", [1, 4, 12, 40])  # 12 cells: the row length takes 2 bytes
def test_number_rows_are_read_into_a_matrix(fields, width):
    data = np.random.default_rng(1).normal(size=(500, width)) * 1e6
    data[0, :1] = [-0.0]
    data[1, :1] = [-1.7e308]
    rows = parsed(request_bytes(data.tolist(), **fields))
    assert rows.matrix is not None and not rows.request.rows
    assert np.array_equal(rows.matrix, data) and math.copysign(1, rows.matrix[0, 0]) == -1


@pytest.mark.parametrize(
    "rows",
    [
        [[1.0, 2.0, 3.0, None]],  # a null
        [[1.0, 2.0, 3.0, "4"]],  # a string
        [[1.0, 2.0, 3.0, True]],  # a bool
        [[1.0, 2.0, 3.0, math.nan]],
        [[1.0, 2.0, 3.0, math.inf]],
        [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]],  # ragged
        [[1.0, 2.0, 3.0, [4.0]]],  # nested
        [[]],  # an empty row
        [],  # no rows
    ],
)
def test_anything_else_is_parsed_as_usual(rows):
    assert parsed(request_bytes(rows)).matrix is None


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    """One field's wire bytes (length-prefixed for wire type 2)."""
    prefix = varint(len(payload)) if wire_type == 2 else b""
    return varint(number << 3 | wire_type) + prefix + payload


def rows_bytes(rows: list[list[object]]) -> bytes:
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
def test_rows_are_read_wherever_they_are_and_the_rest_parsed_in_order(before, after):
    data = np.random.default_rng(3).normal(size=(30, 4))
    rows = parsed(before + rows_bytes(data.tolist()) + after)
    assert rows.matrix is not None and np.array_equal(rows.matrix, data)


def test_scattered_or_odd_rows_are_parsed_as_usual():
    data = np.ones((4, 4)).tolist()
    split = rows_bytes(data[:2]) + field(1, 2, b"models/m") + rows_bytes(data[2:])
    group = varint(5 << 3 | 3) + varint(5 << 3 | 4) + rows_bytes(data)  # an empty group
    for raw in (split, group):
        rows = parsed(raw)
        assert rows.matrix is None and len(rows) == 4
        assert np.array_equal(np.column_stack(read_columns(rows, NUMBERS, 10)), data)
    wider_after = parsed(rows_bytes(data) + rows_bytes([[1.0] * 5]))
    assert wider_after.matrix is None and len(wider_after) == 5


def test_malformed_bytes_fail_to_parse_as_protobuf_says():
    good = request_bytes(np.ones((3, 4)).tolist())
    for raw in (good[:-5], good[:3], b"\x1a\xff\xff\xff\xff\x0f"):
        with pytest.raises(DecodeError):
            models_pb2.PredictRequest.FromString(raw)
        with pytest.raises(DecodeError):
            read_predict_request(raw)
    assert parsed(field(3, 0, varint(5)) + good).matrix is None  # rows as a varint: unknown


def test_request_rows_read_like_plain_rows():
    plain = np.random.default_rng(2).normal(size=(50, 4)).tolist()
    fast = rows_to_frame(parsed(request_bytes(plain)), NUMBERS, 100)
    assert fast.equals(rows_to_frame(plain, NUMBERS, 100))
    mixed_types = {"size": "number", "colour": "string"}
    for mixed in ([[1, "red"], [None, None], [True, 3.0], [2.5, 4.5]], [[1.0, 2.0], [3.5, 4.0]]):
        from_request = rows_to_frame(parsed(request_bytes(mixed)), mixed_types, 10)
        assert from_request.equals(rows_to_frame(mixed, mixed_types, 10))


@pytest.mark.parametrize(
    "bad, named",
    [
        (
            [[1.0, 2.0, 3.0, "x"], [1.0, math.nan, 3.0, 4.0], [1.0]],
            {"rows[0][3]", "rows[1][1]", "rows[2]"},
        ),
        ([[1.0, 2.0, 3.0]] * 2, {"rows[0]", "rows[1]"}),  # numbers, but too few for the model
    ],
)  # fmt: skip
def test_request_rows_errors_name_the_same_cells(bad, named):
    with pytest.raises(InvalidArgument) as fast:
        read_columns(parsed(request_bytes(bad)), NUMBERS, 10)
    with pytest.raises(InvalidArgument) as plain:
        read_columns(bad, NUMBERS, 10)
    assert fast.value.violations == plain.value.violations
    assert {v.field for v in fast.value.violations} == named


def slow_message(prediction: Prediction) -> models_pb2.PredictResponse:
    probabilities = prediction.probabilities if prediction.probabilities is not None else []
    return models_pb2.PredictResponse(
        predictions=[value(p) for p in prediction.predictions.tolist()],
        classes=[value(c) for c in prediction.classes],
        probabilities=[models_pb2.Probabilities(values=r) for r in np.asarray(probabilities)],
        model_version=prediction.model_version,
        engine=prediction.engine,
    )


def array(values: list[object], dtype: object = None) -> np.ndarray:
    return np.array(values, dtype=dtype)


@pytest.mark.parametrize(
    "prediction",
    [
        Prediction(array([0, 1, 2**53, -7]), 2, [0, 1], array([[0.25, 0.75]] * 4), "onnx"),
        Prediction(array([1.5, -0.0, 1e300]), 1, engine="sklearn"),
        Prediction(array([1.5, 2.25], np.float32), 1, engine="onnx"),
        Prediction(array(["setosa", "virginica"]), 3, ["setosa", "virginica", "versicolor"],
                   array([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0]], np.float32), "onnx"),
        Prediction(array([True, False]), 1, [False, True], array([[0.5, 0.5]] * 2), "sklearn"),
        Prediction(array([1, "mixed"], object), 1, [1, "mixed"], None, "sklearn"),
        Prediction(array([2, 3.5], object), 1, [2, 3.5], None, "sklearn"),
        Prediction(array([0.5] * 3), 1, [0, 1], array([[i / 40] * 40 for i in range(3)]), "onnx"),
    ],
)  # fmt: skip
def test_response_bytes_equal_the_message_built_value_by_value(prediction):
    fast = models_pb2.PredictResponse.FromString(response_bytes(prediction))
    assert fast == slow_message(prediction)


def test_a_non_finite_prediction_is_refused_not_sent():
    with pytest.raises(ValueError, match="not a JSON scalar"):
        response_bytes(Prediction(array([1.0, math.nan]), 1, engine="sklearn"))


def test_varint_matches_protobuf():
    for number in (0, 1, 127, 128, 300, 16_384, 200_000):
        encoded = struct_pb2.Value(string_value="x" * number).SerializeToString()
        assert encoded[1 : 1 + len(varint(number))] == varint(number)  # the string's length
