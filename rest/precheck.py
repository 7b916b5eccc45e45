"""Whether Connexion's request validation would accept a request, judged without Connexion.

The fast path (`rest.fast_path`) serves a request only when these checks pass; a request they
reject, or an operation they cannot judge, goes through Connexion, which then answers with its
usual error. The checks are Connexion's own: the same URI parser and parameter validator class,
the same content-type rule, and the same body parsing and validators. Two shortcuts skip work
whose outcome is known: plain string path parameters without a query string, and bodies that
a quick check of a simple schema (`rest.quick_schema`) finds valid.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connexion.exceptions import ProblemException
from connexion.operations import OpenAPIOperation
from connexion.utils import split_content_type
from starlette.datastructures import QueryParams
from starlette.types import Scope

from rest.errors import ApiError
from rest.quick_schema import compile_schema
from rest.validation import ValidatorCache, check_body, parameter_validator, parse_json

JSON = "application/json"
_PARAMETER_PLACES = frozenset({"path", "query"})
_PATH_TYPES = frozenset({"string"})
_ANNOTATIONS = frozenset({"description", "title", "example"})


class Rejected(Exception):
    """The request is not one the fast path may serve."""


@dataclass(frozen=True)
class _Parameters:
    """What Connexion's parameter validator reads from a request."""

    query_params: Mapping[str, Any]
    path_params: Mapping[str, Any]


class RequestCheck:
    """The checks of one operation; `supported` is False when it has anything unusual."""

    def __init__(self, operation: OpenAPIOperation, cache: ValidatorCache) -> None:
        self.cache = cache
        parameters = operation.parameters
        self.uri_parser = operation.uri_parser_class(parameters, operation.body_definition())
        self.parameters = parameter_validator(cache)(
            parameters, uri_parser=self.uri_parser, strict_validation=True
        )
        self.has_body = bool(operation.request_body)
        self.body_schema = operation.body_schema(JSON) if self.has_body else {}
        self.body_required = bool(operation.request_body.get("required", False))
        self.quick_body = compile_schema(self.body_schema)
        self.supported = (
            not operation.security
            and all(p["in"] in _PARAMETER_PLACES for p in parameters)
            and set(operation.get_path_parameter_types().values()) <= _PATH_TYPES
            and (not self.has_body or operation.consumes == [JSON])
        )
        self.plain_path = all(
            _is_plain_string(p) for p in parameters if p["in"] == "path"
        ) and not any(p.get("required") for p in parameters if p["in"] == "query")

    def parameters_pass(self, path_params: Mapping[str, str], query: QueryParams) -> bool:
        """Whether the path and query parameters pass Connexion's strict validation."""
        if self.plain_path and not query:
            return True  # a path segment is a string, and no query parameter is missing
        try:
            resolved = _Parameters(
                query_params=self.uri_parser.resolve_query({k: query.getlist(k) for k in query}),
                path_params=self.uri_parser.resolve_path(dict(path_params)),
            )
            self.parameters.validate_request(resolved)
        except (ProblemException, ValueError, TypeError, KeyError):
            return False
        return True

    def content_type_passes(self, scope: Scope) -> bool:
        """Whether the request says it sends JSON and has a non-empty body."""
        content_type: str | None = None
        length: int | None = None
        for name, value in scope["headers"]:
            lowered = name.lower()
            if lowered == b"content-type" and content_type is None:
                content_type = value.decode("latin-1")
            elif lowered == b"content-length" and length is None:
                length = _length(value)
        mime_type, _encoding = split_content_type(content_type)
        return mime_type == JSON and (length or 0) > 0

    def body(self, raw: bytes) -> Any:
        """The parsed body; `Rejected` when Connexion would answer an error."""
        try:
            body = parse_json(raw)
            if body is None:
                raise Rejected("no body")
            if self.quick_body is None or not self.quick_body(body):
                check_body(self.cache, self.body_schema, body, self.body_required)
        except ApiError as error:
            raise Rejected(error.message) from None
        return body


def _is_plain_string(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", {})
    return schema.get("type") == "string" and not (schema.keys() - _ANNOTATIONS - {"type"})


def _length(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
