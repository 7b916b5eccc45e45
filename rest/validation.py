"""Cheap request validation: validators built once per schema, and orjson parsing.

Arrays and objects whose items may be any JSON value get no per-item work, so large `rows`
of a Predict request cost one type check per row.

The parsed body is kept in the ASGI scope so the handler does not parse it a second time.
"""

from collections.abc import AsyncGenerator, Iterator
from typing import Any

import orjson
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.utils import is_null, is_nullable
from connexion.validators import AbstractRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError, validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from starlette.types import Scope

from rest.errors import ApiError, Code, bad_request

PARSED_BODY = "mlservice.parsed_body"
_ANNOTATIONS = frozenset({"description", "title", "example", "readOnly", "writeOnly"})
_DRAFT4 = Draft4RequestValidator.VALIDATORS


_SHALLOW = _ANNOTATIONS | {"type", "items", "additionalProperties"}


def _is_any(schema: object) -> bool:
    return isinstance(schema, dict) and not (schema.keys() - _ANNOTATIONS)


def _is_shallow(schema: dict[str, Any]) -> bool:
    """A schema that only checks the type, e.g. `google.protobuf.ListValue`."""
    nested = (schema.get(key, {}) for key in ("items", "additionalProperties"))
    return (
        isinstance(schema.get("type"), str)
        and not (schema.keys() - _SHALLOW)
        and all(_is_any(n) for n in nested)
    )


def _items(validator: Validator, items: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if _is_any(items) or not validator.is_type(instance, "array"):
        return
    if isinstance(items, dict) and _is_shallow(items):
        kind = items["type"]
        if all(validator.is_type(item, kind) for item in instance):
            return  # one type check per item instead of a full descent
    yield from _DRAFT4["items"](validator, items, instance, schema)


def _additional(validator: Validator, extra: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not _is_any(extra):
        yield from _DRAFT4["additionalProperties"](validator, extra, instance, schema)


CheapValidator = validators.extend(
    Draft4RequestValidator, {"items": _items, "additionalProperties": _additional}
)


class ValidatorCache:
    """JSON Schema validators, built on first use of each schema object of the spec."""

    def __init__(self) -> None:
        self._validators: dict[int, tuple[object, Validator]] = {}

    def get(self, schema: dict[str, Any]) -> Validator:
        """The validator of `schema` (the spec's schema objects live as long as the app)."""
        entry = self._validators.get(id(schema))
        if entry is None or entry[0] is not schema:
            checker = Draft4Validator.FORMAT_CHECKER
            entry = (schema, CheapValidator(schema, format_checker=checker))
            self._validators[id(schema)] = entry
        return entry[1]

    def first_error(self, schema: dict[str, Any], instance: Any) -> ValidationError | None:
        """The most relevant validation error, or None."""
        error: ValidationError | None = best_match(self.get(schema).iter_errors(instance))
        return error


async def parsed_body(request: ConnexionRequest) -> Any:
    """The JSON body the validator parsed, else parsed now; None when there is none."""
    extensions = request.scope.get("extensions", {})
    if PARSED_BODY in extensions:
        return extensions[PARSED_BODY]
    return parse_json(await request.body())


def parse_json(body: bytes) -> Any:
    """Parse a JSON body with orjson; malformed JSON is INVALID_ARGUMENT."""
    if not body.strip():
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ApiError(Code.INVALID_ARGUMENT, f"malformed JSON body: {error}") from None


def check_body(cache: ValidatorCache, schema: dict[str, Any], body: Any, required: bool) -> None:
    """Raise the `ApiError` of a parsed JSON body that does not fit `schema`."""
    if body is None:
        if required:
            raise ApiError(Code.INVALID_ARGUMENT, "a JSON request body is required")
        return
    error = cache.first_error(schema, body)
    if error is not None:
        field = ".".join(str(part) for part in error.absolute_path) or "body"
        raise bad_request(f"invalid request body: {error.message}", field, error.message)


def body_validator(cache: ValidatorCache) -> type[AbstractRequestBodyValidator]:
    """A Connexion JSON body validator class that uses `cache`."""

    class JSONBodyValidator(AbstractRequestBodyValidator):
        """Parses with orjson, validates with a cached validator, keeps the parsed body."""

        async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
            body = parse_json(b"".join([chunk async for chunk in stream]))
            scope.setdefault("extensions", {})[PARSED_BODY] = body
            return body

        def _validate(self, body: Any) -> dict[str, Any] | None:
            check_body(cache, self._schema, body, self._required)
            return None

    return JSONBodyValidator


def parameter_validator(cache: ValidatorCache) -> type[ParameterValidator]:
    """A Connexion parameter validator class that uses `cache` and short messages."""

    class CachedParameterValidator(ParameterValidator):
        """Validates path and query parameters with cached validators."""

        def validate_parameter(
            self, parameter_type: str, value: Any, param: dict[str, Any], param_name: Any = None
        ) -> str | None:
            """Return a message when the value does not fit the parameter's schema."""
            if is_nullable(param) and is_null(value):
                return None
            if value is None:
                required = param.get("required")
                return f"missing {parameter_type} parameter {param['name']!r}" if required else None
            error = cache.first_error(param.get("schema", param), value)
            return f"{param['name']}: {error.message}" if error else None

    return CachedParameterValidator
