"""Rows filled without json_format make the same PredictRequest as json_format does."""

from typing import Any

import pytest
from google.protobuf import json_format

from rest.list_values import SMALL_CELLS, ListValueFields
from server.gen.mlservice.v1 import models_pb2

FIELDS = ListValueFields(models_pb2.PredictRequest.DESCRIPTOR)
LARGE = [[float(i * 20 + j) / 7 for j in range(20)] for i in range(50)]
assert len(LARGE) * 20 > SMALL_CELLS  # the numpy encoder


def reference(data: dict[str, Any]) -> models_pb2.PredictRequest:
    return json_format.ParseDict(data, models_pb2.PredictRequest())


def filled(data: dict[str, Any]) -> tuple[models_pb2.PredictRequest, dict[str, Any]]:
    rest = dict(data)
    encoded = FIELDS.take(rest)
    message = reference(rest)
    message.MergeFromString(encoded)
    return message, rest


@pytest.mark.parametrize(
    "rows",
    [
        [[5.1, 3.5, 1.4, 0.2]],
        [[1, 2.5, -0.0, 0], [-(2**63), 2**64 - 1, 1e308, 5e-324]],
        [[], []],
        [],
        LARGE,
        [[int(v) for v in row] for row in LARGE],
        [[*row[:-1], 2**64 - 1] for row in LARGE],
    ],
    ids=["one-row", "extremes", "empty-rows", "no-rows", "large", "large-ints", "large-huge-int"],
)
def test_number_rows_are_encoded_like_json_format(rows: list[Any]) -> None:
    data = {"name": "models/m", "rows": rows, "version": 2}
    message, rest = filled(data)
    assert "rows" not in rest  # taken by the fast encoder
    assert message == reference(data)
    assert message.SerializeToString(deterministic=True) == reference(data).SerializeToString(
        deterministic=True
    )


@pytest.mark.parametrize(
    "rows",
    [
        [[1.0, True]],  # a boolean is a bool_value, not a number
        [[1.0, "a"], [2.0, None]],
        [[1.0, 2.0], [3.0]],  # ragged
        [[1.0, [2.0]]],
        [[1.0, {"a": 1}]],
        [(1.0, 2.0)],
        [[*row[:-1], True] for row in LARGE],
    ],
    ids=["bool", "string-null", "ragged", "nested-list", "nested-struct", "tuple", "large-bool"],
)
def test_other_rows_are_left_to_json_format(rows: list[Any]) -> None:
    data = {"rows": rows}
    message, rest = filled(data)
    assert rest["rows"] is rows
    assert message == reference(data)


def test_a_value_that_is_not_a_list_is_left_alone() -> None:
    rest: dict[str, Any] = {"rows": "not rows"}
    assert FIELDS.take(rest) == b""
    assert rest == {"rows": "not rows"}
