"""The quick schema check never accepts a value the full validator rejects."""

import random
from typing import Any

import pytest

from rest.app import SPEC
from rest.precheck import JSON
from rest.quick_schema import compile_schema
from rest.routes import load_operations
from rest.validation import ValidatorCache

BODIES = {
    op.operation_id: op.body_schema(JSON)
    for op in load_operations(SPEC)
    if op.request_body and op.consumes == [JSON]
}


def random_json(rng: random.Random, depth: int = 0, keys: list[str] | None = None) -> Any:
    kinds = ["int", "float", "bool", "str", "null"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "list":
        return [random_json(rng, depth + 1, keys) for _ in range(rng.randint(0, 3))]
    if kind == "dict":
        names = rng.sample(keys or ["a"], k=min(len(keys or ["a"]), rng.randint(0, 4)))
        return {name: random_json(rng, depth + 1, keys) for name in names}
    return {
        "int": lambda: rng.choice([0, 1, -5, 2**40]),
        "float": lambda: rng.choice([0.5, 1.0, -2.25]),
        "bool": lambda: rng.random() < 0.5,
        "str": lambda: rng.choice(["", "x", "models/a"]),
        "null": lambda: None,
    }[kind]()


def fitting(rng: random.Random, schema: dict[str, Any], keys: list[str]) -> Any:
    """Mostly a value of the schema's type, sometimes any value."""
    if rng.random() < 0.1:
        return random_json(rng, 1, keys)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        names = [n for n in properties if n in schema.get("required", []) or rng.random() < 0.5]
        return {n: fitting(rng, properties[n], keys) for n in names} | (
            {"bogus": 1} if rng.random() < 0.1 else {}
        )
    if kind == "array":
        return [fitting(rng, schema.get("items", {}), keys) for _ in range(rng.randint(0, 3))]
    samples = {"integer": [0, 7, True, 1.0], "number": [0.5, 3], "string": ["", "x", 1]}
    return rng.choice(samples.get(str(kind), [None, "x", 1, [], {}]))


@pytest.mark.parametrize("operation_id", sorted(BODIES))
def test_quick_yes_means_the_validator_finds_no_error(operation_id: str) -> None:
    schema = BODIES[operation_id]
    quick = compile_schema(schema)
    assert quick is not None  # the generated bodies are simple schemas
    cache, rng = ValidatorCache(), random.Random(operation_id)
    keys = [*schema.get("properties", {}), "bogus"]
    accepted = 0
    for _ in range(3000):
        value = fitting(rng, schema, keys) if rng.random() < 0.8 else random_json(rng, keys=keys)
        if quick(value):
            accepted += 1
            assert cache.first_error(schema, value) is None, value
    assert accepted > 0


@pytest.mark.parametrize(
    ("schema", "value", "quick_yes"),
    [
        ({"type": "integer"}, True, False),
        ({"type": "integer"}, 1.0, False),
        ({"type": "number"}, 1, True),
        ({"type": "array", "items": {"type": "array", "items": {}}}, [[1], "x"], False),
        ({"type": "object", "required": ["a"]}, {}, False),
        ({"type": "object", "additionalProperties": False}, {"a": 1}, False),
        ({"type": "string", "format": "int64"}, "12", True),
    ],
)
def test_quick_check_cases(schema: dict[str, Any], value: Any, quick_yes: bool) -> None:
    quick = compile_schema(schema)
    assert quick is not None and quick(value) is quick_yes
    if quick_yes:
        assert ValidatorCache().first_error(schema, value) is None


@pytest.mark.parametrize(
    "schema",
    [{"type": "string", "format": "email"}, {"enum": ["a"]}, {"items": [{}]}, {"type": ["a"]}],
)
def test_other_schemas_are_not_compiled(schema: dict[str, Any]) -> None:
    assert compile_schema(schema) is None
