"""ProtoJSON schemas of fields, messages and enums, and the components they refer to."""

import copy

from google.api import field_behavior_pb2
from google.protobuf import descriptor_pb2

from tools.protoc_gen_openapi.index import (
    ENUM_VALUE,
    MESSAGE_FIELD,
    EnumInfo,
    MessageInfo,
    TypeIndex,
)
from tools.protoc_gen_openapi.wkt import ANY_NAME, SCALARS, WELL_KNOWN, Schema

Field = descriptor_pb2.FieldDescriptorProto
REQUIRED = field_behavior_pb2.REQUIRED
OUTPUT_ONLY = field_behavior_pb2.OUTPUT_ONLY
INPUT_ONLY = field_behavior_pb2.INPUT_ONLY


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def behaviors(field: Field) -> set[int]:
    """The `google.api.field_behavior` values of a field."""
    return set(field.options.Extensions[field_behavior_pb2.field_behavior])


def is_map(index: TypeIndex, field: Field) -> bool:
    """Whether a field is a `map<K, V>`."""
    return (
        field.label == Field.LABEL_REPEATED
        and field.type == Field.TYPE_MESSAGE
        and index.message(field.type_name).proto.options.map_entry
    )


class SchemaBuilder:
    """Builds field schemas and collects the messages and enums they reference."""

    def __init__(self, index: TypeIndex) -> None:
        self.index = index
        self._wanted: set[str] = set()

    def field(self, message: MessageInfo, position: int) -> Schema:
        """The schema of a message's field, with its description and behaviors."""
        field = message.proto.field[position]
        schema = self._shape(field)
        notes = self._annotations(message, position)
        if "$ref" in schema and notes:
            schema = {"allOf": [schema]}
        return {**schema, **notes}

    def element(self, field: Field) -> Schema:
        """The schema of one value of a field (ignoring `repeated`)."""
        if field.type in (Field.TYPE_MESSAGE, Field.TYPE_ENUM):
            return self.message_ref(field.type_name)
        if field.type not in SCALARS:
            raise ValueError(f"unsupported field type {field.type} of {field.name}")
        return copy.deepcopy(SCALARS[field.type])

    def message_ref(self, type_name: str) -> Schema:
        """A well-known type's inline schema, or a reference to a message or enum component."""
        name = type_name.lstrip(".")
        if name in WELL_KNOWN:
            return copy.deepcopy(WELL_KNOWN[name])
        if name != ANY_NAME:
            self._wanted.add(name)
        return ref(name)

    def components(self) -> dict[str, Schema]:
        """Every referenced message and enum (and what they reference), sorted by name."""
        built: dict[str, Schema] = {}
        while pending := sorted(self._wanted - built.keys()):
            for name in pending:
                built[name] = self._component(name)
        return dict(sorted(built.items()))

    def message(self, info: MessageInfo, skip: frozenset[str] = frozenset()) -> Schema:
        """The object schema of a message, without the fields named in `skip`."""
        schema: Schema = {"type": "object"}
        if description := self.index.comment(info.file, info.path):
            schema["description"] = description
        properties, required = {}, []
        for i, field in enumerate(info.proto.field):
            if field.name in skip:
                continue
            properties[field.json_name] = self.field(info, i)
            if REQUIRED in behaviors(field):
                required.append(field.json_name)
        schema["properties"] = properties
        if required:
            schema["required"] = required
        return schema

    def enum(self, info: EnumInfo) -> Schema:
        """A string enum of the value names, each value's comment in the description."""
        items = []
        for i, value in enumerate(info.proto.value):
            text = self.index.comment(info.file, (*info.path, ENUM_VALUE, i))
            items.append(f"- `{value.name}`: {text}" if text else f"- `{value.name}`")
        head = self.index.comment(info.file, info.path)
        description = "\n\n".join(filter(None, [head, "\n".join(items)]))
        names = [value.name for value in info.proto.value]
        return {"type": "string", "description": description, "enum": names}

    def _component(self, name: str) -> Schema:
        if name in self.index.enums:
            return self.enum(self.index.enums[name])
        return self.message(self.index.messages[name])

    def _shape(self, field: Field) -> Schema:
        if is_map(self.index, field):
            entry = self.index.message(field.type_name).proto
            return {"type": "object", "additionalProperties": self.element(entry.field[1])}
        if field.label == Field.LABEL_REPEATED:
            return {"type": "array", "items": self.element(field)}
        return self.element(field)

    def _annotations(self, message: MessageInfo, position: int) -> Schema:
        field = message.proto.field[position]
        notes: Schema = {}
        description = self.index.comment(message.file, (*message.path, MESSAGE_FIELD, position))
        if oneof := self._oneof_note(message, field):
            description = f"{description}\n\n{oneof}".strip()
        if description:
            notes["description"] = description
        if OUTPUT_ONLY in behaviors(field):
            notes["readOnly"] = True
        if INPUT_ONLY in behaviors(field):
            notes["writeOnly"] = True
        if field.options.deprecated:
            notes["deprecated"] = True
        return notes

    @staticmethod
    def _oneof_note(message: MessageInfo, field: Field) -> str:
        if not field.HasField("oneof_index") or field.proto3_optional:
            return ""
        members = ", ".join(
            f"`{f.json_name}`"
            for f in message.proto.field
            if f.HasField("oneof_index") and f.oneof_index == field.oneof_index
        )
        oneof = message.proto.oneof_decl[field.oneof_index].name
        return f"Only one of {members} may be set (oneof `{oneof}`)."
