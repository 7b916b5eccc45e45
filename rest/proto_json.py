"""ProtoJSON of messages exactly as `json_format.MessageToDict` prints them, but compiled.

`Printer.to_json(message)` equals `MessageToDict(message,
always_print_fields_with_no_presence=True)`: lowerCamelCase names, the set fields in field
number order, then the fields without presence at their defaults, in declaration order. The
converter of each message type is built once from its descriptor instead of being looked up
field by field and value by value. What it does not handle is printed by `json_format` itself:
types with `Any` or extensions, enums with value options, and values `json_format` treats
specially (non-finite numbers in a `Value`, enum numbers with no name).
"""

import base64
import math
from collections.abc import Callable, Iterable
from typing import Any, cast

from google.protobuf import json_format, message
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.internal import type_checkers

Convert = Callable[[Any], Any]
F = FieldDescriptor
_WRAPPERS_FILE = "google/protobuf/wrappers.proto"
_AS_STRING = frozenset(
    {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}
)
_IDENTITY_TYPES = frozenset({F.CPPTYPE_INT32, F.CPPTYPE_UINT32, F.CPPTYPE_BOOL})


class Fallback(Exception):
    """The message must be printed by `json_format`."""


def _identity(value: Any) -> Any:
    return value


def _non_finite(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "-Infinity" if value < 0 else "Infinity"


def _double(value: float) -> Any:
    return value if math.isfinite(value) else _non_finite(value)


def _float(value: float) -> Any:
    return type_checkers.ToShortestFloat(value) if math.isfinite(value) else _non_finite(value)


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("utf-8")


def _json_string(value: message.Message) -> Any:
    return value.ToJsonString()  # type: ignore[attr-defined]


def value_json(value: Any) -> Any:
    """A `google.protobuf.Value`; a non-finite number falls back to `json_format`."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if math.isfinite(number):
            return number
        raise Fallback(kind)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return struct_json(value.struct_value)
    if kind == "list_value":
        return [value_json(v) for v in value.list_value.values]
    return None


def struct_json(struct: Any) -> dict[str, Any]:
    """A `google.protobuf.Struct`."""
    fields = struct.fields
    return {key: value_json(fields[key]) for key in fields}


def list_json(values: Any) -> list[Any]:
    """A `google.protobuf.ListValue`."""
    return [value_json(v) for v in values.values]


_WELL_KNOWN: dict[str, Convert] = {
    "google.protobuf.Value": value_json,
    "google.protobuf.Struct": struct_json,
    "google.protobuf.ListValue": list_json,
}


class Printer:
    """Compiles and caches one converter per message type."""

    def __init__(self) -> None:
        self._converters: dict[str, Convert | None] = {}

    def to_json(self, msg: message.Message) -> Any:
        """The message as `MessageToDict` prints it (with fields at their defaults)."""
        try:
            return self.compiled_json(msg)
        except Fallback:
            pass  # json_format prints it, or raises its own error
        return json_format.MessageToDict(
            msg, preserving_proto_field_name=False, always_print_fields_with_no_presence=True
        )

    def compiled_json(self, msg: message.Message) -> Any:
        """The message printed by its compiled converter; `Fallback` when it cannot be."""
        convert = self.converter(cast(Descriptor, msg.DESCRIPTOR))
        if convert is None:
            raise Fallback(msg.DESCRIPTOR.full_name)
        try:
            return convert(msg)
        except (ValueError, TypeError) as error:
            raise Fallback(msg.DESCRIPTOR.full_name) from error

    def converter(self, descriptor: Descriptor) -> Convert | None:
        """The converter of a message type, or None when `json_format` must print it."""
        name = descriptor.full_name
        if name in self._converters:
            return self._converters[name]
        compiled: list[Convert] = []

        def forward(msg: Any) -> Any:  # stands in while a recursive type is compiled
            if not compiled:
                raise Fallback(name)
            return compiled[0](msg)

        self._converters[name] = forward
        convert = self._compile(descriptor)
        self._converters[name] = convert
        if convert is not None:
            compiled.append(convert)
        return convert

    def _compile(self, descriptor: Descriptor) -> Convert | None:
        name = descriptor.full_name
        if name in _WELL_KNOWN:
            return _WELL_KNOWN[name]
        if name in _AS_STRING:
            return _json_string
        if descriptor.file.name == _WRAPPERS_FILE:
            return _wrapper_converter(self._value_converter(descriptor.fields_by_name["value"]))
        if name == "google.protobuf.Any" or descriptor.extension_ranges:
            return None
        return self._regular(descriptor)

    def _regular(self, descriptor: Descriptor) -> Convert | None:
        if len(descriptor.fields) == 1 and not descriptor.fields[0].has_presence:
            return self._single(descriptor.fields[0])
        by_number: dict[int, tuple[str, Convert]] = {}
        defaults: list[tuple[str, Callable[[], Any]]] = []
        for field in descriptor.fields:
            convert = self._field_converter(field)
            if convert is None:
                return None
            by_number[field.number] = (field.json_name, convert)
            if not field.has_presence:
                defaults.append((field.json_name, self._default(field, convert)))
        return _regular_converter(by_number, defaults)

    def _single(self, field: FieldDescriptor) -> Convert | None:
        """A message of one field without presence (e.g. a list of doubles): always printed."""
        convert = self._field_converter(field)
        if convert is None:
            return None
        name, attribute = field.json_name, field.name  # an unset field reads as its default
        return lambda msg: {name: convert(getattr(msg, attribute))}

    def _default(self, field: FieldDescriptor, convert: Convert) -> Callable[[], Any]:
        if _is_map(field):
            return dict
        if field.is_repeated:
            return list
        value = convert(field.default_value)
        return lambda: value

    def _field_converter(self, field: FieldDescriptor) -> Convert | None:
        if _is_map(field):
            entry = field.message_type
            assert entry is not None
            convert = self._value_converter(entry.fields_by_name["value"])
            return None if convert is None else _map_converter(convert)
        convert = self._value_converter(field)
        if convert is None or not field.is_repeated:
            return convert
        if convert is _identity:
            return list
        if convert is _double:
            return doubles_json
        if convert is value_json:
            return _values
        return lambda values: [convert(v) for v in values]

    def _value_converter(self, field: FieldDescriptor) -> Convert | None:
        kind = field.cpp_type
        if kind == F.CPPTYPE_MESSAGE:
            assert field.message_type is not None
            return self.converter(field.message_type)
        if kind == F.CPPTYPE_ENUM:
            return _enum_converter(field)
        if kind == F.CPPTYPE_STRING:
            return _bytes if field.type == F.TYPE_BYTES else _identity
        if kind in _IDENTITY_TYPES:
            return _identity
        if kind in (F.CPPTYPE_INT64, F.CPPTYPE_UINT64):
            return str
        if kind == F.CPPTYPE_DOUBLE:
            return _double
        if kind == F.CPPTYPE_FLOAT:
            return _float
        return None


def _regular_converter(
    by_number: dict[int, tuple[str, Convert]], defaults: list[tuple[str, Callable[[], Any]]]
) -> Convert:
    def convert(msg: Any) -> dict[str, Any]:
        js: dict[str, Any] = {}
        for field, value in msg.ListFields():
            name, convert_value = by_number[field.number]
            js[name] = convert_value(value)
        for name, default in defaults:
            if name not in js:
                js[name] = default()
        return js

    return convert


def _values(values: Iterable[Any]) -> list[Any]:
    return [value_json(v) for v in values]


def _wrapper_converter(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    return lambda wrapper: convert(wrapper.value)


def doubles_json(values: Iterable[float]) -> list[Any]:
    """A repeated double field: non-finite numbers as "NaN", "Infinity" or "-Infinity"."""
    listed = list(values)
    if all(map(math.isfinite, listed)):
        return listed
    return [_double(v) for v in listed]


def _map_converter(convert: Convert) -> Convert:
    def convert_map(entries: Any) -> dict[str, Any]:
        return {_map_key(key): convert(entries[key]) for key in entries}

    return convert_map


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _enum_converter(field: FieldDescriptor) -> Convert | None:
    enum = field.enum_type
    assert enum is not None
    if enum.full_name == "google.protobuf.NullValue":
        return lambda _value: None
    if any(v.has_options for v in enum.values):
        return None  # json_format may print a value's own JSON name
    names = {v.number: v.name for v in enum.values}

    def convert(number: int) -> str:
        try:
            return names[number]
        except KeyError:
            raise Fallback(enum.full_name) from None

    return convert


def _is_map(field: FieldDescriptor) -> bool:
    entry = field.message_type
    return (
        field.type == F.TYPE_MESSAGE
        and entry is not None
        and entry.has_options
        and entry.GetOptions().map_entry
    )
