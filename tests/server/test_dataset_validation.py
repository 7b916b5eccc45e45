"""validate_file reads a CSV in chunks, yet gives the summary and errors of a whole-file parse."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.datasets.parsing import (
    CHUNK_BYTES,
    TableSummary,
    read_table,
    summarize,
    summarize_csv,
    validate_file,
)
from server.errors import InvalidArgument
from tests.processes import ROOT

ONE_ROW = 1  # chunk_bytes below any line's length: one row per chunk


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def csv_of(columns: dict[str, list[str]]) -> bytes:
    """A CSV with these columns of raw tokens."""
    lines = [",".join(columns), *(",".join(row) for row in zip(*columns.values(), strict=True))]
    return ("\n".join(lines) + "\n").encode()


def whole(path: Path) -> TableSummary:
    """What the upload summary used to be: the whole file parsed at once."""
    return summarize(read_table(path, "csv"))


def outcome(read: Callable[[], TableSummary]) -> TableSummary | str:
    """The summary, or the INVALID_ARGUMENT's text with its field violations."""
    try:
        return read()
    except InvalidArgument as error:
        return f"{error} [{error.violations[0].field}]"


# Tokens of column "a" (one per row) and the dtype a whole-file parse gives the column.
TRICKY = {
    "int-then-float": (["1", "2", "2.5"], "float64"),
    "int-then-missing": (["1", "2", ""], "float64"),
    "missing-then-int": (["", "NA", "3"], "float64"),
    "all-missing": (["", "NA", "nan"], "float64"),
    "infinity": (["1", "inf", "-inf"], "float64"),
    "bool": (["True", "false", "TRUE"], "bool"),
    "bool-then-missing": (["True", "False", ""], "object"),
    "missing-then-bool": (["", "", "True"], "object"),
    "bool-then-int": (["True", "False", "1"], "str"),
    "bool-then-float-then-missing": (["True", "2.5", ""], "str"),
    "int-then-text": (["1", "2", "x"], "str"),
    "text-then-missing": (["x", "", "y"], "str"),
    "hex-is-text": (["1", "0x10"], "str"),
    "int64-limits": (["9223372036854775807", "-9223372036854775808"], "int64"),
    "beyond-int64": (["1", "18446744073709551615"], "uint64"),
    "negative-and-beyond-int64": (["-1", "18446744073709551615"], "str"),
    "beyond-int64-then-missing": (["18446744073709551615", ""], "str"),  # "" stays text
    "beyond-int64-missing-then-text": (["18446744073709551615", "", "x"], "str"),
    "beyond-uint64": (["1", "99999999999999999999999"], "object"),
    "float-then-beyond-int64": (["2.5", "", "18446744073709551615"], "float64"),
    # pandas reads these two orders differently: the whole column decides
    "beyond-int64-then-negative-fraction": (["18446744073709551615", "-2.5"], "str"),
    "negative-fraction-then-beyond-int64": (["-2.5", "18446744073709551615"], "float64"),
    "negative-then-beyond-int64-and-fraction": (["-1", "18446744073709551615", "2.5"], "float64"),
    "huge-float": (["1", "1e19"], "float64"),
    "19-digit-ids-and-text": (["1000000000000000000", "x"], "str"),
    "text-then-beyond-int64": (["x", "", "18446744073709551615"], "str"),
}


def padded_csv(tokens: list[str]) -> tuple[bytes, int]:
    """Column "a" of these tokens, padded by a column "b" so that all lines are equally long.

    Returns the CSV and its line length: `summarize_csv` then reads n rows per chunk when
    given n times that length as `chunk_bytes`.
    """
    width = max(len(token) for token in [*tokens, "a"])
    lines = [f"a,{'b':<{width}}", *(f"{t},{'0':<{width - len(t) + 1}}" for t in tokens)]
    return ("\n".join(lines) + "\n").encode(), width + 3


@pytest.mark.parametrize("rows_per_chunk", [1, 2, 3, 1000])
@pytest.mark.parametrize("case", TRICKY, ids=list(TRICKY))
def test_column_types_are_those_of_a_whole_parse(tmp_path: Path, case: str, rows_per_chunk: int):
    tokens, dtype = TRICKY[case]
    data, line_bytes = padded_csv(tokens)
    path = write(tmp_path / "t.csv", data)

    summary = summarize_csv(path, rows_per_chunk * line_bytes)

    assert summary == whole(path)
    assert summary.columns[0].dtype == dtype


def test_rows_and_missing_values_add_up_over_chunks(tmp_path: Path):
    path = write(tmp_path / "t.csv", csv_of({"n": ["1", "", "3", ""], "s": ["x", "y", "", "z"]}))

    summary = summarize_csv(path, ONE_ROW)

    assert summary.row_count == 4
    assert [(c.name, c.dtype, c.null_count) for c in summary.columns] == [
        ("n", "float64", 2),
        ("s", "str", 1),
    ]


TOKENS = [
    "0", "7", "-3", " 4", "+5", "2.5", "-2.5", "1e5", "1e19", "-1e19", "1e400", "inf", "-inf",
    "", "NA", "nan", "null", "None", "True", "false", "TRUE", "x", "-x", '"a,b"', '"1"', "0x10",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999",
    "-99999999999999999999999", "0000000000000000000001", "1000000000000000000",
]  # fmt: skip
tables = st.integers(1, 3).flatmap(
    lambda width: st.lists(
        st.lists(st.sampled_from(TOKENS), min_size=width, max_size=width), min_size=1, max_size=8
    )
)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(table=tables, chunk_bytes=st.integers(1, 40))
def test_any_table_gets_the_outcome_of_a_whole_parse(
    tmp_path_factory: pytest.TempPathFactory, table: list[list[str]], chunk_bytes: int
):
    header = ",".join(f"c{i}" for i in range(len(table[0])))
    text = "\n".join([header, *(",".join(row) for row in table)]) + "\n"
    path = write(tmp_path_factory.getbasetemp() / "property.csv", text.encode())

    assert outcome(lambda: summarize_csv(path, chunk_bytes)) == outcome(lambda: whole(path))


HEADER = b"a,b\n"
LINES = b"".join(b"%d,%d\n" % (i, i % 7) for i in range(1000))
WIDE = HEADER + b"".join(b"r%d,%d,%d\n" % (i, i, i) for i in range(1000))  # 3 fields, 2 names
BAD = {
    "empty": (b"", "the file is empty"),
    "blank": (b" \n\n", "the file is empty"),
    "header-only": (HEADER, "no data rows"),
    "blank-rows-only": (HEADER + b"\n\n", "no data rows"),
    "duplicate-columns": (b"a,b,a\n1,2,3\n", "duplicate column name 'a'"),
    "empty-column-name": (b"a,,c\n1,2,3\n", "column 2 has an empty name"),
    "not-utf8-header": (b"a,\xff\n1,2\n", "not UTF-8 text"),
    "ragged-late": (HEADER + LINES + b"1,2,3\n", "Expected 2 fields in line 1002, saw 3"),
    "unclosed-quote-late": (HEADER + LINES + b'"1,2\n3,4\n', "EOF inside string"),
    "not-utf8-late": (HEADER + LINES + b"\xff\xfe,1\n", "not UTF-8 text (invalid start byte)"),
    "wider-rows": (WIDE, "more fields than the header"),
    "wider-rows-then-ragged": (WIDE + b"1,2,3,4\n", "Expected 3 fields in line 1002, saw 4"),
}


@pytest.mark.parametrize("chunk_bytes", [ONE_ROW, 100, CHUNK_BYTES])
@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_files_get_the_errors_of_a_whole_parse(tmp_path: Path, case: str, chunk_bytes: int):
    data, expected = BAD[case]
    path = write(tmp_path / "bad.csv", data)

    error = outcome(lambda: summarize_csv(path, chunk_bytes))

    assert error == outcome(lambda: whole(path))
    assert isinstance(error, str)
    assert expected in error
    assert error.endswith("[chunk]")


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b'[{"n": 1, "s": "a"}, {"n": null}]', None), (b'{"a": []}', "no data rows")],
)
def test_json_is_validated_whole(tmp_path: Path, data: bytes, expected: str | None):
    path = write(tmp_path / "t.json", data)

    result = outcome(lambda: validate_file(path, "json"))

    assert result == outcome(lambda: summarize(read_table(path, "json")))
    assert expected is None or expected in str(result)


PEAK_PROBE = """
import sys
from pathlib import Path
from server.datasets.parsing import read_table, summarize, summarize_csv

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024

path, chunk_bytes = Path(sys.argv[1]), int(sys.argv[2])

def read():
    if chunk_bytes:
        return summarize_csv(path, chunk_bytes)
    return summarize(read_table(path, "csv"))

read()  # lazy imports and first allocations
Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak resident set size
before = status("VmRSS:")
read()
print(status("VmHWM:") - before)
"""


def large_numeric_csv(path: Path, megabytes: int) -> Path:
    """About `megabytes` MiB of 10 float columns."""
    rng = np.random.default_rng(3)
    with path.open("wb") as out:
        out.write((",".join(f"f{i}" for i in range(10)) + "\n").encode())
        while out.tell() < megabytes * 1024 * 1024:
            np.savetxt(out, rng.normal(size=(10_000, 10)), fmt="%.6f", delimiter=",")
    return path


def peak_growth(path: Path, chunk_bytes: int) -> int:
    """Bytes a fresh process's peak RSS grows by while summarizing `path` (0: whole parse)."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, str(path), str(chunk_bytes)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_large_csv_is_summarized_in_bounded_memory(tmp_path: Path):
    path = large_numeric_csv(tmp_path / "large.csv", 16)
    size = path.stat().st_size

    assert peak_growth(path, 0) > size  # a whole parse: the probe sees the parsed table
    assert peak_growth(path, 1024 * 1024) < size / 4
