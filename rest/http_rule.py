"""HTTP bindings of RPCs: `google.api.http` rules turned into OpenAPI paths and parameters.

The OpenAPI generator and the proxy both use this module, so they agree on every path,
path parameter name and operation id. A variable such as `{name=models/*}` becomes one path
parameter per wildcard, named after the collection before it: `/v1/models/{model}`, and the
proxy rebuilds `name = "models/" + model` from it. Path parameter names are unique within a
path; a query parameter may share one (OpenAPI tells them apart by location).
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from google.api import http_pb2

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_PLURALS = (("ies", "y"), ("sses", "ss"), ("uses", "us"), ("xes", "x"), ("ches", "ch"))


class TemplateError(ValueError):
    """A path template that is malformed or uses an unsupported feature."""


@dataclass(frozen=True)
class Segment:
    """One segment of a variable: a literal, or a wildcard bound to a path parameter."""

    literal: str | None
    param: str = ""
    multi: bool = False


@dataclass(frozen=True)
class Variable:
    """A `{field=...}` variable: the request field it fills and the segments it spans."""

    field_path: tuple[str, ...]
    segments: tuple[Segment, ...]

    @property
    def params(self) -> tuple[Segment, ...]:
        """The wildcard segments, each one an OpenAPI path parameter."""
        return tuple(s for s in self.segments if s.literal is None)

    def value(self, params: Mapping[str, object]) -> str:
        """Rebuild the field's value from the matched path parameters."""
        return "/".join(
            s.literal if s.literal is not None else str(params[s.param]) for s in self.segments
        )


@dataclass(frozen=True)
class Binding:
    """One HTTP binding of an RPC, ready for OpenAPI and for transcoding."""

    http_method: str
    template: str
    path: str
    variables: tuple[Variable, ...]
    body: str
    response_body: str
    operation_id: str

    @property
    def bound_fields(self) -> frozenset[str]:
        """Top-level request fields (proto names) filled from the path."""
        return frozenset(v.field_path[0] for v in self.variables)


def operation_id(service: str, method: str, index: int = 0) -> str:
    """The operation id of a binding: `Service_Method`, then `Service_Method_2`, ..."""
    base = f"{service}_{method}"
    return base if index == 0 else f"{base}_{index + 1}"


def bindings(rule: http_pb2.HttpRule, service: str, method: str) -> list[Binding]:
    """Every binding of an `HttpRule`: itself, then its `additional_bindings`."""
    rules = [rule, *rule.additional_bindings]
    return [_binding(r, operation_id(service, method, i)) for i, r in enumerate(rules)]


def _binding(rule: http_pb2.HttpRule, op_id: str) -> Binding:
    http_method, template = _pattern(rule)
    parts, verb = parse_template(template)
    variables, path = _name_params(parts, set())
    return Binding(
        http_method=http_method,
        template=template,
        path=path + (f":{verb}" if verb else ""),
        variables=tuple(variables),
        body=rule.body,
        response_body=rule.response_body,
        operation_id=op_id,
    )


def _pattern(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise TemplateError("HttpRule without a pattern")
    if kind == "custom":
        return rule.custom.kind.lower(), rule.custom.path
    return kind, str(getattr(rule, kind))


RawVariable = tuple[tuple[str, ...], tuple[str, ...]]


def parse_template(template: str) -> tuple[list[str | RawVariable], str]:
    """Split a path template into literal segments and raw variables, plus its verb."""
    if not template.startswith("/"):
        raise TemplateError(f"path template {template!r} must start with '/'")
    body, verb = _split_verb(template[1:])
    parts: list[str | RawVariable] = []
    for token in _split_segments(body):
        if token.startswith("{"):
            parts.append(_parse_variable(token, template))
        elif token in ("*", "**") or not token or "{" in token or "}" in token:
            raise TemplateError(f"unsupported segment {token!r} in {template!r}")
        else:
            parts.append(token)
    return parts, verb


def _split_verb(body: str) -> tuple[str, str]:
    tail = max(body.rfind("/"), body.rfind("}"))
    colon = body.find(":", tail + 1)
    if colon == -1:
        return body, ""
    return body[:colon], body[colon + 1 :]


def _split_segments(body: str) -> list[str]:
    tokens, current, depth = [], "", 0
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "/" and depth == 0:
            tokens.append(current)
            current = ""
        else:
            current += char
    tokens.append(current)
    return tokens


def _parse_variable(token: str, template: str) -> RawVariable:
    if not token.endswith("}"):
        raise TemplateError(f"unclosed variable {token!r} in {template!r}")
    field, _, pattern = token[1:-1].partition("=")
    segments = tuple(pattern.split("/")) if pattern else ("*",)
    if not _IDENT.fullmatch(field) or "" in segments:
        raise TemplateError(f"malformed variable {token!r} in {template!r}")
    if "**" in segments[:-1]:
        raise TemplateError(f"'**' must be the last segment in {template!r}")
    return tuple(field.split(".")), segments


def _name_params(parts: list[str | RawVariable], taken: set[str]) -> tuple[list[Variable], str]:
    variables: list[Variable] = []
    path = ""
    for part in parts:
        if isinstance(part, str):
            path += "/" + part
            continue
        variable = _variable(part, taken)
        variables.append(variable)
        for seg in variable.segments:
            path += "/" + (seg.literal if seg.literal is not None else "{" + seg.param + "}")
    return variables, path


def _variable(raw: RawVariable, taken: set[str]) -> Variable:
    field_path, patterns = raw
    segments: list[Segment] = []
    for i, pattern in enumerate(patterns):
        if pattern not in ("*", "**"):
            segments.append(Segment(pattern))
            continue
        before = patterns[i - 1] if i > 0 and patterns[i - 1] not in ("*", "**") else ""
        base = _identifier(singular(before)) if before else _camel(field_path)
        param = _unique(base, taken)
        taken.add(param)
        segments.append(Segment(None, param, pattern == "**"))
    return Variable(field_path, tuple(segments))


def singular(word: str) -> str:
    """A naive English singular of a collection name: `models` -> `model`."""
    for suffix, replacement in _PLURALS:
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _camel(field_path: tuple[str, ...]) -> str:
    return _identifier("_".join(field_path))


def _identifier(word: str) -> str:
    pieces = [p for p in re.split(r"[^A-Za-z0-9]+", word) if p]
    name = pieces[0] + "".join(p[:1].upper() + p[1:] for p in pieces[1:]) if pieces else "param"
    return name if not name[0].isdigit() else f"p{name}"


def _unique(base: str, taken: Collection[str]) -> str:
    if base not in taken:
        return base
    candidate, n = f"{base}Id", 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    return candidate
