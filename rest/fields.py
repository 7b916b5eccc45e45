"""Flat `name=value` pairs (query parameters, form fields) as a ProtoJSON dict.

Nested fields are addressed as `a.b`, a repeated field repeats its key, and names are the
JSON (lowerCamelCase) or proto names. Values stay strings, which ProtoJSON parsing accepts for
numbers and enums; booleans are converted here because ProtoJSON wants them unquoted.
"""

from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from rest.errors import bad_request

_BOOLEANS = {"true": True, "false": False}
_BOOL_WRAPPER = "google.protobuf.BoolValue"


def nest(pairs: Iterable[tuple[str, str]], message: Descriptor) -> dict[str, Any]:
    """Group the pairs by name and nest them along the message's fields."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    result: dict[str, Any] = {}
    for name, values in grouped.items():
        path = name.split(".")
        field = field_at(message, path, name)
        repeated = field.is_repeated
        if len(values) > 1 and not repeated:
            raise bad_request(f"{name!r} given more than once", name, "is not repeated")
        converted = [convert(field, value) for value in values]
        _put(result, path, converted if repeated else converted[0])
    return result


def field_at(message: Descriptor, path: list[str], name: str) -> FieldDescriptor:
    """The field a dotted name points at; INVALID_ARGUMENT when there is none."""
    descriptor: Descriptor | None = message
    field: FieldDescriptor | None = None
    for part in path:
        if descriptor is None:
            field = None
            break
        field = _by_name(descriptor, part)
        if field is None:
            break
        descriptor = field.message_type
    if field is None:
        raise bad_request(f"unknown parameter {name!r}", name, "no such field")
    return field


def _by_name(message: Descriptor, name: str) -> FieldDescriptor | None:
    for field in message.fields:
        if name in (field.json_name, field.name):
            return field
    return None


def convert(field: FieldDescriptor, value: str) -> Any:
    """A string value for a field: booleans become True/False, the rest stays a string."""
    is_bool = field.type == FieldDescriptor.TYPE_BOOL or (
        field.message_type is not None and field.message_type.full_name == _BOOL_WRAPPER
    )
    return _BOOLEANS.get(value, value) if is_bool else value


def _put(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
