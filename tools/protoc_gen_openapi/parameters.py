"""Path and query parameters of an operation, from the request message's fields."""

from collections.abc import Set

from rest.http_rule import Binding, Variable
from tools.protoc_gen_openapi.index import MESSAGE_FIELD, MessageInfo, TypeIndex
from tools.protoc_gen_openapi.schemas import REQUIRED, Field, SchemaBuilder, behaviors, is_map
from tools.protoc_gen_openapi.wkt import WELL_KNOWN, Schema


def resolve(
    index: TypeIndex, message: MessageInfo, path: tuple[str, ...]
) -> tuple[MessageInfo, int]:
    """The message declaring the field at a dotted path, and the field's position in it."""
    for depth, name in enumerate(path):
        position = next((i for i, f in enumerate(message.proto.field) if f.name == name), None)
        if position is None:
            raise ValueError(f"no field {'.'.join(path)} in {message.full_name}")
        if depth == len(path) - 1:
            return message, position
        message = index.message(message.proto.field[position].type_name)
    raise ValueError("empty field path")


class ParameterBuilder:
    """Builds parameter objects: one per path wildcard, one per query-able field."""

    def __init__(self, index: TypeIndex, schemas: SchemaBuilder) -> None:
        self.index = index
        self.schemas = schemas

    def path(self, request: MessageInfo, binding: Binding) -> list[Schema]:
        """A required string (or scalar) path parameter for every wildcard of the path."""
        return [
            self._path_param(request, variable, segment.param)
            for variable in binding.variables
            for segment in variable.params
        ]

    def query(self, request: MessageInfo, binding: Binding) -> list[Schema]:
        """Every field neither in the path nor in the body, nested ones as `a.b`."""
        if binding.body == "*":
            return []
        skip = binding.bound_fields | {binding.body}
        return self._flatten(request, skip, "", (request.full_name,))

    def fields(self, message: MessageInfo) -> list[Schema]:
        """Query parameters for every scalar field of a message (used for form fields too)."""
        return self._flatten(message, set(), "", (message.full_name,))

    def _path_param(self, request: MessageInfo, variable: Variable, param: str) -> Schema:
        owner, position = resolve(self.index, request, variable.field_path)
        comment = self.index.comment(owner.file, (*owner.path, MESSAGE_FIELD, position))
        segment = next(s for s in variable.segments if s.param == param)
        if len(variable.segments) == 1 and not segment.multi:
            schema = self.schemas.element(owner.proto.field[position])
        else:
            schema = {"type": "string", "format": "path"} if segment.multi else {"type": "string"}
            template = variable.value({s.param: "{" + s.param + "}" for s in variable.params})
            field = ".".join(variable.field_path)
            comment = f"The `{param}` part of `{field}` (`{template}`). {comment}".strip()
        parameter: Schema = {"name": param, "in": "path", "required": True}
        if comment:
            parameter["description"] = comment
        return {**parameter, "schema": schema}

    def _flatten(
        self, message: MessageInfo, skip: Set[str], prefix: str, seen: tuple[str, ...]
    ) -> list[Schema]:
        params: list[Schema] = []
        for position, field in enumerate(message.proto.field):
            if field.name in skip or is_map(self.index, field):
                continue
            name = prefix + field.json_name
            nested = field.type_name.lstrip(".") if field.type == Field.TYPE_MESSAGE else ""
            if nested and nested not in WELL_KNOWN:
                if field.label != Field.LABEL_REPEATED and nested not in seen:
                    inner = self.index.message(nested)
                    params += self._flatten(inner, set(), name + ".", (*seen, nested))
            elif _queryable(field):
                params.append(self._query_param(message, position, name))
        return params

    def _query_param(self, message: MessageInfo, position: int, name: str) -> Schema:
        field = message.proto.field[position]
        schema = self.schemas.element(field)
        if field.label == Field.LABEL_REPEATED:
            schema = {"type": "array", "items": schema}
        param: Schema = {"name": name, "in": "query"}
        comment = self.index.comment(message.file, (*message.path, MESSAGE_FIELD, position))
        if comment:
            param["description"] = comment
        if REQUIRED in behaviors(field):
            param["required"] = True
        if field.options.deprecated:
            param["deprecated"] = True
        return {**param, "schema": schema}


def _queryable(field: Field) -> bool:
    """Scalars, enums and the string-like well-known types (not Struct, Value, lists)."""
    if field.type == Field.TYPE_MESSAGE:
        schema = WELL_KNOWN[field.type_name.lstrip(".")]
        return schema.get("type") not in (None, "object", "array")
    if field.type == Field.TYPE_ENUM:
        return field.type_name != ".google.protobuf.NullValue"
    return True
