"""Parsing of uploaded tables (shared with training) and preview values, on real files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from server.datasets.parsing import read_table, summarize
from server.datasets.preview import preview_rows, to_cell
from server.errors import InvalidArgument


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_csv_reads_with_a_byte_order_mark_and_a_row_limit(tmp_path: Path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfa,b\n1,x\n2,y\n3,z\n")

    assert list(read_table(str(path), "csv").columns) == ["a", "b"]
    assert read_table(path, "csv", nrows=2)["a"].tolist() == [1, 2]


def test_rows_wider_than_the_header_are_malformed(tmp_path: Path):
    path = write(tmp_path, "wide.csv", b"a,b\n1,2,3\n4,5,6\n")  # pandas would make an index
    with pytest.raises(InvalidArgument, match="more fields than the header"):
        read_table(path, "csv")


def test_unknown_formats_are_invalid(tmp_path: Path):
    with pytest.raises(InvalidArgument) as error:
        read_table(write(tmp_path, "t.xml", b"<a/>"), "xml")
    assert error.value.violations[0].field == "format"


def test_summary_counts_rows_types_and_missing_values(tmp_path: Path):
    frame = read_table(write(tmp_path, "t.json", b'[{"n": 1, "s": "a"}, {"n": null}]'), "json")
    summary = summarize(frame)

    assert summary.row_count == 2
    assert [(c.name, c.dtype, c.null_count) for c in summary.columns] == [
        ("n", "float64", 1),
        ("s", "str", 1),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.float64("nan"), None),
        (np.float32(1.5), 1.5),
        (pd.NA, None),
        (pd.NaT, None),
        (None, None),
        (np.bool_(True), True),
        ("text", "text"),
        (pd.Timestamp("2024-01-02"), "2024-01-02 00:00:00"),
    ],
)
def test_cells_become_plain_values(value: object, expected: object):
    assert to_cell(value) == expected
    assert type(to_cell(value)) is type(expected)


def test_preview_takes_the_first_rows():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"]})
    assert preview_rows(frame, 2) == (["a", "b"], [[1, "x"], [2, None]])
