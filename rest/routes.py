"""The spec's operations matched to requests the way Connexion's router matches them.

Connexion routes with Starlette: one route per operation in the spec's order, paths converted
by `starlettify_path`, and the first route matching both path and method wins.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connexion.frameworks.starlette import FloatConverter, IntegerConverter, starlettify_path
from connexion.http_facts import METHODS
from connexion.operations import OpenAPIOperation
from connexion.resolver import Resolver
from connexion.spec import Specification
from starlette.convertors import register_url_convertor
from starlette.routing import compile_path


@dataclass(frozen=True)
class Route:
    """One operation's method and compiled path."""

    method: str
    regex: re.Pattern[str]
    operation: OpenAPIOperation

    @property
    def operation_id(self) -> str:
        """The OpenAPI operation id."""
        return str(self.operation.operation_id)


class RouteTable:
    """Finds the operation a request is routed to, with its path parameters."""

    def __init__(self, operations: list[OpenAPIOperation]) -> None:
        self.routes = [_route(op) for op in operations]

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route matching the method and the path, with its string parameters."""
        for route in self.routes:
            if route.method == method:
                match = route.regex.match(path)
                if match is not None:
                    return route, match.groupdict()
        return None


def load_operations(spec_path: Path) -> list[OpenAPIOperation]:
    """Every operation of the spec, refs resolved, in the spec's order."""
    spec = Specification.load(spec_path)
    resolver = Resolver(function_resolver=_no_function)
    return [
        OpenAPIOperation.from_spec(spec, path=path, method=method, resolver=resolver)
        for path, method in _path_methods(spec)
    ]


def _path_methods(spec: Specification) -> Iterator[tuple[str, str]]:
    for path, item in spec["paths"].items():
        for method in item:
            if method in METHODS:
                yield path, method


def _no_function(_operation_id: str) -> Any:
    return None


def _route(operation: OpenAPIOperation) -> Route:
    # Connexion's own convertors for `{x:int}` and `{x:float}`, as its router registers them.
    register_url_convertor("int", IntegerConverter())
    register_url_convertor("float", FloatConverter())
    types = operation.get_path_parameter_types()
    regex, _format, _convertors = compile_path(starlettify_path(operation.path, types))
    return Route(operation.method.upper(), regex, operation)
