"""Reading uploaded tables (CSV or JSON) into DataFrames, with clear errors for bad files.

The training code reads stored versions with `read_table`. The store checks every upload with
`validate_file`, which gives the same summary and the same errors as `read_table` followed by
`summarize`, but reads a CSV in chunks so that its memory does not grow with the file's size.
"""

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from server.datasets.column_types import ColumnTally
from server.errors import FieldViolation, InvalidArgument
from server.ports import ColumnInfo

FORMATS = ("csv", "json")
# The request field that carries the file's bytes, named in field violations.
CONTENT_FIELD = "chunk"
_SNIFF_BYTES = 64 * 1024
# About how much CSV text `validate_file` parses at once (rows per chunk: from the file's head).
CHUNK_BYTES = 4 * 1024 * 1024
_CSV_OPTIONS: dict[str, Any] = {"low_memory": False, "encoding": "utf-8-sig"}


@dataclass(frozen=True)
class TableSummary:
    """What the index keeps about a parsed table."""

    row_count: int
    columns: tuple[ColumnInfo, ...]


def invalid_content(description: str) -> InvalidArgument:
    """An INVALID_ARGUMENT about the uploaded file's content."""
    return InvalidArgument("invalid dataset file", [FieldViolation(CONTENT_FIELD, description)])


def read_table(path: Path | str, fmt: str, nrows: int | None = None) -> pd.DataFrame:
    """Read a CSV or JSON table (first `nrows` rows if given); INVALID_ARGUMENT when unusable."""
    path = Path(path)
    if fmt not in FORMATS:
        raise InvalidArgument(
            f"unknown format {fmt!r}", [FieldViolation("format", f"must be one of {FORMATS}")]
        )
    if _is_blank(path):
        raise invalid_content("the file is empty")
    frame = _read_csv(path, nrows) if fmt == "csv" else _read_json(path, nrows)
    _check_names([str(name) for name in frame.columns])
    if frame.empty and nrows != 0:
        raise invalid_content("the table has no data rows")
    return frame


def summarize(frame: pd.DataFrame) -> TableSummary:
    """Row count and, per column, the pandas dtype and number of missing values."""
    nulls = frame.isna().sum()
    columns = tuple(
        ColumnInfo(str(name), str(frame[name].dtype), int(nulls[name])) for name in frame.columns
    )
    return TableSummary(len(frame), columns)


def validate_file(path: Path, fmt: str) -> TableSummary:
    """Parse and check an uploaded file: `summarize(read_table(path, fmt))`, errors included.

    A CSV is read in chunks of about `CHUNK_BYTES` (see `summarize_csv`). A JSON file is
    parsed whole: `json.load` needs the whole document, so a JSON upload takes memory in
    proportion to its size (a few times it).
    """
    if fmt == "csv":
        return summarize_csv(path)
    return summarize(read_table(path, fmt))


def summarize_csv(path: Path, chunk_bytes: int = CHUNK_BYTES) -> TableSummary:
    """`summarize(read_table(path, "csv"))` in bounded memory: the file is read in chunks.

    Row and missing-value counts add up over the chunks, and `ColumnTally` gives each column
    the dtype a whole-file parse would; the rare column it cannot type that way (integers
    beyond int64) is read again, alone and whole. Checks and errors are those of `read_table`,
    in the same order: a parse error anywhere in the file comes first.
    """
    if _is_blank(path):
        raise invalid_content("the file is empty")
    _check_names(_csv_header(path))
    names: list[str] | None = None
    tallies: dict[str, ColumnTally] = {}
    rows, aligned = 0, True
    for chunk in _csv_chunks(path, _chunk_rows(path, chunk_bytes)):
        if names is None:
            names = [str(name) for name in chunk.columns]
            tallies = {name: ColumnTally() for name in names}
        aligned = aligned and _has_row_numbers(chunk, rows)
        rows += len(chunk)
        for name in chunk.columns:
            tallies[str(name)].add(chunk[name])
    if not aligned:
        raise invalid_content("malformed CSV: the rows have more fields than the header")
    _check_names(names or [])
    if not rows:
        raise invalid_content("the table has no data rows")
    return TableSummary(rows, _csv_columns(path, tallies))


def _is_blank(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    return not head.strip() and path.stat().st_size <= _SNIFF_BYTES


def _read_csv(path: Path, nrows: int | None) -> pd.DataFrame:
    _check_names(_csv_header(path))
    with _csv_errors():
        frame = pd.read_csv(path, nrows=nrows, **_CSV_OPTIONS)
    if not _has_row_numbers(frame):
        raise invalid_content("malformed CSV: the rows have more fields than the header")
    return frame


@contextmanager
def _csv_errors() -> Iterator[None]:
    """Turn pandas' errors about a bad CSV file into INVALID_ARGUMENT."""
    try:
        yield
    except pd.errors.EmptyDataError as error:
        raise invalid_content("the file is empty") from error
    except UnicodeDecodeError as error:
        raise invalid_content(f"the file is not UTF-8 text ({error.reason})") from error
    except (pd.errors.ParserError, ValueError) as error:
        raise invalid_content(f"malformed CSV: {_first_line(error)}") from error


def _has_row_numbers(frame: pd.DataFrame, start: int = 0) -> bool:
    """False when pandas made an index of field 1 (the rows have more fields than the header)."""
    return frame.index.equals(pd.RangeIndex(start, start + len(frame)))


def _chunk_rows(path: Path, chunk_bytes: int) -> int:
    """Rows per chunk for about `chunk_bytes` of text, from the line length in the file's head."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    line_bytes = len(head) / max(1, head.count(b"\n"))
    return max(1, int(chunk_bytes / line_bytes))


def _csv_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows as DataFrames of `rows` rows each (each chunk's dtypes its own)."""
    with _csv_errors(), pd.read_csv(path, chunksize=rows, **_CSV_OPTIONS) as reader:
        yield from reader


def _csv_columns(path: Path, tallies: dict[str, ColumnTally]) -> tuple[ColumnInfo, ...]:
    """Each column's info from its tally, or from a whole read of it when the tally is `exact`."""
    exact = [name for name, tally in tallies.items() if tally.exact]
    if exact:
        with _csv_errors():
            frame = pd.read_csv(path, usecols=exact, **_CSV_OPTIONS)
        whole = {column.name: column for column in summarize(frame).columns}
    else:
        whole = {}
    return tuple(
        whole[name] if name in whole else ColumnInfo(name, tally.dtype(), tally.nulls)
        for name, tally in tallies.items()
    )


def _csv_header(path: Path) -> list[str]:
    """The first non-blank row, read with the csv module (pandas renames duplicates)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.reader(handle):
                if row:
                    return row
    except UnicodeDecodeError as error:
        raise invalid_content(f"the file is not UTF-8 text ({error.reason})") from error
    except csv.Error as error:
        raise invalid_content(f"malformed CSV header: {error}") from error
    raise invalid_content("the file is empty")


def _read_json(path: Path, nrows: int | None) -> pd.DataFrame:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except UnicodeDecodeError as error:
        raise invalid_content(f"the file is not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        raise invalid_content(f"malformed JSON: {error}") from error
    frame = _frame_from_json(data)
    _check_scalars(frame)
    return frame if nrows is None else frame.head(nrows)


def _frame_from_json(data: Any) -> pd.DataFrame:
    """Records (a list of objects) or columns (an object of lists or of {index: value})."""
    try:
        if isinstance(data, list):
            _check_records(data)
            return pd.DataFrame.from_records(data)
        if isinstance(data, dict):
            _check_json_columns(data)
            return pd.DataFrame(data).reset_index(drop=True)
    except ValueError as error:
        raise invalid_content(f"JSON columns do not form a table: {error}") from error
    raise invalid_content("JSON must be a list of records or an object of columns")


def _check_records(records: list[Any]) -> None:
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise invalid_content(f"JSON record {position} is not an object")


def _check_json_columns(columns: dict[str, Any]) -> None:
    for name, values in columns.items():
        if not isinstance(values, list | dict):
            raise invalid_content(
                f"JSON column {name!r} must be a list or an object of index to value"
            )


def _check_scalars(frame: pd.DataFrame) -> None:
    for name in frame.columns:
        if frame[name].dtype == object and frame[name].map(_is_nested).any():
            raise invalid_content(f"column {name!r} holds nested objects or lists")


def _is_nested(value: Any) -> bool:
    return isinstance(value, dict | list)


def _check_names(names: list[str]) -> None:
    if not names:
        raise invalid_content("the table has no columns")
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise invalid_content(f"column {position} has an empty name")
        if name in seen:
            raise invalid_content(f"duplicate column name {name!r}")
        seen.add(name)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
