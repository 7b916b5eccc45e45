"""Reading uploaded tables (CSV or JSON) into DataFrames, with clear errors for bad files.

The store parses every upload with `read_table` and the training code reads stored versions
with it too, so a file that uploads is read the same way when a model trains on it.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from server.errors import FieldViolation, InvalidArgument
from server.ports import ColumnInfo

FORMATS = ("csv", "json")
# The request field that carries the file's bytes, named in field violations.
CONTENT_FIELD = "chunk"
_SNIFF_BYTES = 64 * 1024


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
    """Parse and check an uploaded file, returning its summary."""
    return summarize(read_table(path, fmt))


def _is_blank(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    return not head.strip() and path.stat().st_size <= _SNIFF_BYTES


def _read_csv(path: Path, nrows: int | None) -> pd.DataFrame:
    _check_names(_csv_header(path))
    try:
        frame = pd.read_csv(path, nrows=nrows, low_memory=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as error:
        raise invalid_content("the file is empty") from error
    except UnicodeDecodeError as error:
        raise invalid_content(f"the file is not UTF-8 text ({error.reason})") from error
    except (pd.errors.ParserError, ValueError) as error:
        raise invalid_content(f"malformed CSV: {_first_line(error)}") from error
    if not frame.index.equals(pd.RangeIndex(len(frame))):  # pandas made an index of field 1
        raise invalid_content("malformed CSV: the rows have more fields than the header")
    return frame


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
