"""Messages of plain scalar fields built from parsed JSON without `json_format`.

`json_format.ParseDict` walks descriptors and type checks in Python for every field. When each
key of the JSON object names a string, bool, 32-bit integer or double field of the message
(not in a oneof) and its value has exactly the Python type that field takes (an in-range int
for an integer, a str for a string, ...), setting the fields directly builds the same message.
`ScalarFields.build` answers None for anything else, and `json_format` then parses it (with its
own error messages).
"""

from collections.abc import Callable
from typing import Any

from google.protobuf import message
from google.protobuf.descriptor import Descriptor, FieldDescriptor

F = FieldDescriptor
_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)


def _string(value: Any) -> bool:
    return type(value) is str


def _bool(value: Any) -> bool:
    return type(value) is bool


def _number(value: Any) -> bool:
    return type(value) is float or (type(value) is int and -(2**63) <= value < 2**64)


def _in_range(bounds: tuple[int, int]) -> Callable[[Any], bool]:
    low, high = bounds
    return lambda value: type(value) is int and low <= value <= high


_ACCEPTS: dict[int, Callable[[Any], bool]] = {
    F.TYPE_STRING: _string,
    F.TYPE_BOOL: _bool,
    F.TYPE_DOUBLE: _number,
    F.TYPE_INT32: _in_range(_INT32),
    F.TYPE_SINT32: _in_range(_INT32),
    F.TYPE_SFIXED32: _in_range(_INT32),
    F.TYPE_UINT32: _in_range(_UINT32),
    F.TYPE_FIXED32: _in_range(_UINT32),
}


class ScalarFields:
    """The singular scalar fields of one message type, by JSON and proto name."""

    def __init__(self, descriptor: Descriptor, message_type: Callable[..., message.Message]):
        self.message_type = message_type
        self.fields: dict[str, tuple[str, Callable[[Any], bool]]] = {}
        for field in descriptor.fields:
            accepts = _ACCEPTS.get(field.type)
            # oneof members (proto3 `optional` too) are left to json_format's oneof checks
            if accepts is not None and not field.is_repeated and field.containing_oneof is None:
                for key in (field.json_name, field.name):
                    self.fields[key] = (field.name, accepts)

    def build(self, data: dict[str, Any]) -> message.Message | None:
        """The message, or None when `json_format` must parse `data`."""
        values: dict[str, Any] = {}
        for key, value in data.items():
            found = self.fields.get(key)
            if found is None or found[0] in values or not found[1](value):
                return None
            values[found[0]] = value
        return self.message_type(**values)
