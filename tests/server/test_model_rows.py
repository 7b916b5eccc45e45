"""Predict rows: checked cell by cell, turned into a frame with the trained dtypes."""

import math

import pytest

from server.errors import InvalidArgument
from server.models.frames import feature_kind
from server.models.rows import MAX_LISTED, rows_to_frame

TYPES = {"size": "number", "colour": "string"}


def fields(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


def test_frame_has_the_trained_dtypes_and_nan_for_null():
    frame = rows_to_frame([[1, "red"], [None, None], [True, 3.0], [2.5, 4.5]], TYPES, 10)
    assert list(frame.columns) == ["size", "colour"]
    assert str(frame["size"].dtype) == "float64" and frame["colour"].dtype == object
    assert frame["size"].tolist()[0] == 1.0 and math.isnan(frame["size"][1])
    assert frame["size"][2] == 1.0  # a bool in a number column counts as 1/0
    assert frame["colour"][0] == "red" and math.isnan(frame["colour"][1])
    assert frame["colour"].tolist()[2:] == ["3", "4.5"]  # numbers in a string column: as text


def test_every_bad_cell_and_row_is_named():
    with pytest.raises(InvalidArgument) as error:
        rows_to_frame([[1.0], ["big", "red"], [1.0, ["nested"]], [math.inf, "x"]], TYPES, 10)
    found = fields(error)
    assert set(found) == {"rows[0]", "rows[1][0]", "rows[2][1]", "rows[3][0]"}
    assert "expected 2 (size, colour)" in found["rows[0]"]
    assert found["rows[1][0]"] == "column 'size' expects a number or null, got string 'big'"
    assert "column 'colour'" in found["rows[2][1]"]


def test_limits():
    with pytest.raises(InvalidArgument) as empty:
        rows_to_frame([], TYPES, 10)
    assert set(fields(empty)) == {"rows"}
    with pytest.raises(InvalidArgument) as many:
        rows_to_frame([[1.0, "a"]] * 11, TYPES, 10)
    assert "at most 10 rows" in fields(many)["rows"]
    with pytest.raises(InvalidArgument) as noisy:
        rows_to_frame([["x", "a"]] * 100, TYPES, 1000)
    assert len(noisy.value.violations) == MAX_LISTED + 1
    assert noisy.value.violations[-1].field == "rows"


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [("float64", "number"), ("int64", "number"), ("Int64", "number"), ("bool", "number"),
     ("str", "string"), ("object", "string"), ("datetime64[ns]", "string"), ("??", "string")],
)  # fmt: skip
def test_feature_kind_of_dataset_dtypes(dtype, kind):
    assert feature_kind(dtype) == kind
