"""Scalar fields set directly make the same message as json_format, or are left to it."""

import random
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from google.protobuf.message_factory import GetMessageClass

from rest.endpoints import discover
from rest.scalar_fields import ScalarFields

REQUESTS = {e.method.input_type.full_name: e.method.input_type for e in discover()[0]}
VALUES: list[Any] = [
    "",
    "models/a",
    "é",
    True,
    False,
    0,
    7,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    2**32,
    2**63,
    1.5,
    1.0,
    None,
    [],
    {},
    "12",
]


def parsed(descriptor: Descriptor, data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", json_format.ParseDict(data, GetMessageClass(descriptor)())
    except (json_format.ParseError, ValueError, TypeError) as error:
        return "error", str(error)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_direct_messages_equal_json_format_ones(name: str) -> None:
    descriptor, rng = REQUESTS[name], random.Random(name)
    fields = ScalarFields(descriptor, GetMessageClass(descriptor))
    keys = [k for f in descriptor.fields for k in (f.json_name, f.name)] + ["bogus"]
    built = 0
    for _ in range(2000):
        data = {k: rng.choice(VALUES) for k in rng.sample(keys, rng.randint(0, min(3, len(keys))))}
        message = fields.build(data)
        if message is not None:
            built += 1
            assert parsed(descriptor, data) == ("ok", message), data
    assert built > 0 or not fields.fields
