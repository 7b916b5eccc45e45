"""Repeated `google.protobuf.ListValue` fields filled without `json_format`, when that is safe.

A Predict request's `rows` is a list of lists of numbers; `json_format` builds one `Value` per
cell in Python. For a rectangular list of lists holding only JSON numbers (not booleans), the
wire encoding is fixed: each cell is a `Value` with its `number_value` (11 bytes), each row a
`ListValue`. It is built here (in one numpy pass for a large batch) and sent after the rest of
the message's bytes: protobuf reads the two as the message `json_format` builds. Any other
value is left to `json_format`.
"""

import struct
from itertools import chain
from typing import Any

import numpy as np
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from server.models.wire_rows import varint

LIST_VALUE = "google.protobuf.ListValue"
# One cell: ListValue.values (field 1, length-delimited, 9 bytes) holding a Value whose
# number_value (field 2, 64-bit) is the double.
_CELL_PREFIX = (0x0A, 0x09, 0x11)
_CELL = np.dtype([("prefix", "u1", 3), ("number", "<f8")])
_NUMBERS = frozenset({int, float})
_pack_cell = struct.Struct("<3Bd").pack
SMALL_CELLS = 64


def encode_number_rows(field_number: int, rows: list[Any]) -> bytes | None:
    """The wire bytes of `rows` as a repeated ListValue field, or None when not all numbers."""
    # map() keeps these per-row and per-cell checks in C.
    if not set(map(type, rows)) <= {list}:
        return None
    widths = set(map(len, rows))
    if len(widths) > 1 or not set(map(type, chain.from_iterable(rows))) <= _NUMBERS:
        return None
    width = widths.pop() if widths else 0
    header = varint(field_number << 3 | 2) + varint(_CELL.itemsize * width)
    if len(rows) * width <= SMALL_CELLS:  # numpy's set-up costs more than a few cells
        return b"".join(header + b"".join([_pack_cell(*_CELL_PREFIX, c) for c in r]) for r in rows)
    if width == 0:
        return header * len(rows)
    row = np.dtype([("header", "u1", len(header)), ("cells", _CELL, width)])
    encoded = np.empty(len(rows), row)
    encoded["header"] = np.frombuffer(header, "u1")
    encoded["cells"]["prefix"] = _CELL_PREFIX
    encoded["cells"]["number"] = np.array(rows, dtype=np.float64)
    return encoded.tobytes()


class ListValueFields:
    """The top-level repeated ListValue fields of one message type."""

    def __init__(self, message: Descriptor) -> None:
        self.fields = [f for f in message.fields if _is_repeated_list_value(f)]

    def take(self, data: dict[str, Any]) -> bytes:
        """Remove from `data` the fields it can encode; their wire bytes."""
        encoded = b""
        for field in self.fields:
            keys = [k for k in dict.fromkeys((field.json_name, field.name)) if k in data]
            if len(keys) != 1 or type(data[keys[0]]) is not list:
                continue  # absent, or both names given (json_format reports the conflict)
            rows = encode_number_rows(field.number, data[keys[0]])
            if rows is not None:
                del data[keys[0]]
                encoded += rows
        return encoded


def _is_repeated_list_value(field: FieldDescriptor) -> bool:
    message = field.message_type
    return field.is_repeated and message is not None and message.full_name == LIST_VALUE
