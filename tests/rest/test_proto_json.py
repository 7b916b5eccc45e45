"""The compiled ProtoJSON printer prints every message exactly as json_format does."""

import math
import random
from typing import Any

import orjson
import pytest
from google.protobuf import json_format, struct_pb2, timestamp_pb2, wrappers_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from rest.endpoints import STUB_FILES
from rest.proto_json import Printer
from server.gen.mlservice.v1 import models_pb2

F = FieldDescriptor
SPECIAL_DOUBLES = [0.0, -0.0, 1e308, 5e-324, math.inf, -math.inf, math.nan]


def reference(message: Message) -> Any:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def outcome(print_json: Any, message: Message) -> tuple[str, bytes]:
    """The printed JSON bytes (key order included), or the error type."""
    try:
        return "ok", orjson.dumps(print_json(message))
    except Exception as error:
        return "error", type(error).__name__.encode()


def api_messages() -> list[Descriptor]:
    """Every message type of the API's proto files."""
    found: list[Descriptor] = []

    def visit(descriptor: Descriptor) -> None:
        if not descriptor.GetOptions().map_entry:
            found.append(descriptor)
        for nested in descriptor.nested_types:
            visit(nested)

    for file in STUB_FILES:
        for descriptor in file.message_types_by_name.values():
            visit(descriptor)
    return found


def random_value(rng: random.Random, depth: int) -> struct_pb2.Value:
    kind = rng.choice(["number", "string", "bool", "null", "list", "struct", "unset"])
    value = struct_pb2.Value()
    if kind == "number":
        value.number_value = rng.choice([rng.uniform(-1e6, 1e6), 3.0, *SPECIAL_DOUBLES[:4]])
    elif kind == "string":
        value.string_value = rng.choice(["", "setosa", "é ∑ \u2028"])
    elif kind == "bool":
        value.bool_value = rng.random() < 0.5
    elif kind == "null":
        value.null_value = struct_pb2.NULL_VALUE
    elif kind == "list" and depth < 3:
        value.list_value.values.extend(random_value(rng, depth + 1) for _ in range(3))
    elif kind == "struct" and depth < 3:
        for key in ("a", "b"):
            value.struct_value.fields[key].CopyFrom(random_value(rng, depth + 1))
    return value


def scalar(rng: random.Random, field: FieldDescriptor) -> Any:
    kind = field.cpp_type
    if kind == F.CPPTYPE_ENUM:
        assert field.enum_type is not None
        return rng.choice([v.number for v in field.enum_type.values])
    if kind == F.CPPTYPE_STRING:
        return b"\x00\xff" if field.type == F.TYPE_BYTES else rng.choice(["", "x", "models/a"])
    if kind == F.CPPTYPE_BOOL:
        return rng.random() < 0.5
    if kind in (F.CPPTYPE_DOUBLE, F.CPPTYPE_FLOAT):
        return rng.choice([0.1, 1.0 / 3, *SPECIAL_DOUBLES])
    if kind in (F.CPPTYPE_INT64, F.CPPTYPE_UINT64):
        return rng.choice([0, 1, 2**53 + 1])
    return rng.choice([0, 1, 7, 2**31 - 1])


def fill(message: Message, rng: random.Random, depth: int = 0) -> Message:
    """Set a random subset of the fields, recursively."""
    for field in message.DESCRIPTOR.fields:
        if rng.random() < 0.3:
            continue
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            fill_map(getattr(message, name), field.message_type, rng, depth)
        elif field.cpp_type == F.CPPTYPE_MESSAGE:
            count = rng.randint(0, 3) if field.is_repeated else 1
            for _ in range(count if depth < 3 else 0):
                target = (
                    getattr(message, name).add() if field.is_repeated else getattr(message, name)
                )
                fill_message(target, rng, depth + 1)
        elif field.is_repeated:
            getattr(message, name).extend(scalar(rng, field) for _ in range(rng.randint(0, 3)))
        else:
            setattr(message, name, scalar(rng, field))
    return message


def fill_message(target: Message, rng: random.Random, depth: int) -> None:
    name = target.DESCRIPTOR.full_name
    if name == "google.protobuf.Value":
        target.CopyFrom(random_value(rng, depth))
    elif name == "google.protobuf.Struct":
        target.CopyFrom(random_value(rng, 3).struct_value)
        target.fields["k"].CopyFrom(random_value(rng, depth))  # type: ignore[attr-defined]
    elif name == "google.protobuf.Timestamp":
        target.FromSeconds(rng.randint(0, 2**31))  # type: ignore[attr-defined]
    elif name == "google.protobuf.Duration":
        target.FromMilliseconds(rng.randint(0, 10**6))  # type: ignore[attr-defined]
    else:
        fill(target, rng, depth)


def fill_map(entries: Any, entry: Descriptor, rng: random.Random, depth: int) -> None:
    key_field, value_field = entry.fields_by_name["key"], entry.fields_by_name["value"]
    for _ in range(rng.randint(0, 3)):
        key = scalar(rng, key_field)
        if value_field.cpp_type == F.CPPTYPE_MESSAGE:
            fill_message(entries[key], rng, depth + 1)
        else:
            entries[key] = scalar(rng, value_field)


@pytest.mark.parametrize("descriptor", api_messages(), ids=lambda d: d.full_name)
def test_every_api_message_prints_like_json_format(descriptor: Descriptor) -> None:
    printer, rng = Printer(), random.Random(descriptor.full_name)
    assert printer.converter(descriptor) is not None  # compiled, not json_format's
    message_type = GetMessageClass(descriptor)
    assert outcome(printer.to_json, message_type()) == outcome(reference, message_type())
    for _ in range(200):
        message = fill(message_type(), rng)
        assert outcome(printer.to_json, message) == outcome(reference, message), message


def test_special_numbers_in_a_value_fall_back_to_json_format() -> None:
    printer = Printer()
    for number in (math.inf, math.nan):
        response = models_pb2.PredictResponse(predictions=[struct_pb2.Value(number_value=number)])
        assert outcome(printer.to_json, response) == outcome(reference, response)
        assert outcome(printer.to_json, response)[0] == "error"


def test_well_known_types_at_top_level() -> None:
    printer = Printer()
    messages: list[Message] = [
        timestamp_pb2.Timestamp(seconds=1, nanos=5000),
        wrappers_pb2.Int64Value(value=2**60),
        wrappers_pb2.FloatValue(value=0.1),
        wrappers_pb2.BytesValue(value=b"\x01"),
        random_value(random.Random(1), 0),
    ]
    for message in messages:
        assert outcome(printer.to_json, message) == outcome(reference, message)


def test_a_large_predict_response() -> None:
    response = models_pb2.PredictResponse(
        predictions=[struct_pb2.Value(string_value="a")] * 1000,
        classes=[struct_pb2.Value(string_value=c) for c in "abc"],
        probabilities=[models_pb2.Probabilities(values=[0.5, 0.25, 0.25])] * 1000,
        model_version=3,
        engine="onnx",
    )
    assert outcome(Printer().to_json, response) == outcome(reference, response)
