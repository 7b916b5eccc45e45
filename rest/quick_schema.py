"""A quick yes to "does this parsed JSON fit the schema?", for simple schemas.

`compile_schema(schema)` builds a predicate that answers True only when Draft 4 validation (as
`rest.validation` runs it) would find no error, and False when it is not sure; the full
validator then decides. Only schemas made of `type`, `properties`, `required`, `items`,
`additionalProperties`, annotations and formats the format checker does not know are compiled;
for any other schema it returns None.
"""

from collections.abc import Callable
from typing import Any

from jsonschema import Draft4Validator

Check = Callable[[Any], bool]
_IGNORED = frozenset(
    {"description", "title", "example", "readOnly", "writeOnly", "components", "format"}
)
_KNOWN = _IGNORED | {"type", "properties", "required", "items", "additionalProperties"}
# Draft 4 types as orjson's Python values (an integer is never a bool nor a float).
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _anything(_value: Any) -> bool:
    return True


def compile_schema(schema: Any) -> Check | None:
    """The quick check of `schema`, or None when the schema is not a simple one."""
    if not isinstance(schema, dict) or schema.keys() - _KNOWN:
        return None
    if schema.get("format") in Draft4Validator.FORMAT_CHECKER.checkers:
        return None
    kind = schema.get("type")
    if kind is not None and (not isinstance(kind, str) or kind not in _TYPES):
        return None
    parts: list[Check] = [] if kind is None else [_TypeCheck(_TYPES[kind])]
    for check in (_properties(schema), _items(schema)):
        if check is None:
            return None
        parts.append(check)
    parts = [p for p in parts if p is not _anything]
    if len(parts) <= 1:
        return parts[0] if parts else _anything
    return lambda value: all(part(value) for part in parts)


class _TypeCheck:
    """A `type` keyword alone."""

    def __init__(self, types: tuple[type, ...]) -> None:
        self.types = frozenset(types)

    def __call__(self, value: Any) -> bool:
        return type(value) in self.types


def _properties(schema: dict[str, Any]) -> Check | None:
    """`properties`, `required` and `additionalProperties`; they only concern objects."""
    keywords = ("properties", "required", "additionalProperties")
    if not any(k in schema for k in keywords):
        return _anything
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    extra_schema = schema.get("additionalProperties", {})
    if not isinstance(properties, dict) or not isinstance(required, list):
        return None
    checks = {name: compile_schema(sub) for name, sub in properties.items()}
    extra = _additional(extra_schema)
    if extra is None or any(c is None for c in checks.values()):
        return None

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return True  # the keywords do not apply
        if not all(name in value for name in required):
            return False
        for name, item in value.items():
            sub = checks.get(name)
            if not (sub(item) if sub is not None else extra(item)):
                return False
        return True

    return check


def _additional(extra_schema: Any) -> Check | None:
    if extra_schema is False:
        return lambda _value: False
    if extra_schema is True:
        return _anything
    return compile_schema(extra_schema)


def _items(schema: dict[str, Any]) -> Check | None:
    """`items` with one schema for every item; they only concern arrays."""
    if "items" not in schema:
        return _anything
    item = compile_schema(schema["items"])
    if item is None:
        return None
    if item is _anything:
        return _anything
    if isinstance(item, _TypeCheck):  # e.g. rows of a Predict: one C-level pass
        types = item.types
        return lambda value: type(value) is not list or set(map(type, value)) <= types

    def check(value: Any) -> bool:
        if type(value) is not list:
            return True  # the keyword does not apply
        return all(item(v) for v in value)

    return check
