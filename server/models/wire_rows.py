"""All-number predict rows read straight from the request's wire bytes into one matrix.

In a serialized `PredictRequest` the rows are one run of `rows` fields (tag 0x1A, length,
`ListValue`), and a `ListValue` of numbers is 11 bytes per cell: the tag and length of the
`Value` (0x0A 0x09), the tag of `number_value` (0x11) and the little-endian double. Viewing
those bytes as an array reads a 10,000 x 20 request in milliseconds, where going through
the `Value` wrappers cell by cell takes about a second. Anything else (a null, a string, a
bool, rows of different lengths, NaN or infinity) returns None, and the caller takes the
general, cell-by-cell path, which names every bad cell.

The bytes are the ones the request arrived in when the server kept them (`server.raw_request`),
else the parsed request serialized again (which costs more than reading the rows).
"""

from dataclasses import dataclass

import numpy as np

from server.gen import models_pb2
from server.raw_request import current_raw_request

CELL_BYTES = 11
NUMBER_CELL = np.frombuffer(b"\x0a\x09\x11", dtype=np.uint8)  # Value{number_value: ...}
ROWS_FIELD = 3
ROWS_TAG = b"\x1a"  # field 3 (rows), length-delimited


@dataclass(frozen=True)
class RequestRows:
    """The rows of a Predict request, with the bytes it was parsed from when they were kept."""

    request: models_pb2.PredictRequest
    raw: bytes | None = None

    @classmethod
    def of_current_call(cls, request: models_pb2.PredictRequest) -> "RequestRows":
        """The request's rows with the bytes of the call being served (if kept)."""
        return cls(request, current_raw_request())

    def __len__(self) -> int:
        return len(self.request.rows)


def number_matrix(rows: RequestRows, width: int) -> np.ndarray | None:
    """The rows as an [n, width] float64 array when every cell is a finite number, else None."""
    count = len(rows)
    if count == 0 or width == 0:
        return None
    data = rows.raw if rows.raw is not None else rows.request.SerializeToString()
    start = first_field(data, ROWS_FIELD)
    row_bytes = width * CELL_BYTES
    header = np.frombuffer(ROWS_TAG + varint(row_bytes), dtype=np.uint8)
    size = count * (len(header) + row_bytes)
    if start is None or start + size > len(data):
        return None
    # `count` whole rows fields in a row from a field boundary: the request has no others.
    framed = np.frombuffer(data, dtype=np.uint8, count=size, offset=start)
    framed = framed.reshape(count, len(header) + row_bytes)
    cells = framed[:, len(header) :].reshape(-1, CELL_BYTES)
    if not ((framed[:, : len(header)] == header).all() and (cells[:, :3] == NUMBER_CELL).all()):
        return None
    matrix = cells[:, 3:].copy().view("<f8").reshape(count, width)
    return matrix if np.isfinite(matrix).all() else None


def first_field(data: bytes, number: int) -> int | None:
    """Where the first top-level field `number` starts in a message's bytes.

    None when it is absent or a field before it cannot be skipped by this reader.
    """
    position = 0
    while position < len(data):
        tag, after_tag = read_varint(data, position)
        if tag is None:
            return None
        if tag >> 3 == number:
            return position
        position = _skip(data, after_tag, tag & 7)
    return None


def _skip(data: bytes, position: int, wire_type: int) -> int:
    """The position after a field's value (past the end when it cannot be skipped)."""
    if wire_type == 0:
        value, after = read_varint(data, position)
        return after if value is not None else len(data) + 1
    if wire_type == 2:
        length, after = read_varint(data, position)
        return after + length if length is not None else len(data) + 1
    return position + {1: 8, 5: 4}.get(wire_type, len(data) + 1)


def read_varint(data: bytes, position: int) -> tuple[int | None, int]:
    """The varint at `position` and the position after it (None when it runs off the end)."""
    value, shift = 0, 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
    return None, position


def varint(number: int) -> bytes:
    """A non-negative int as a protobuf varint."""
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)
