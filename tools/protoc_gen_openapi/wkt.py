"""ProtoJSON schemas of the well-known types, inlined wherever a field uses one."""

from typing import Any

Schema = dict[str, Any]

_INT64: Schema = {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"}
_UINT64: Schema = {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"}


def _wrapper(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


WELL_KNOWN: dict[str, Schema] = {
    "google.protobuf.Struct": {"type": "object", "additionalProperties": {}},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.NullValue": {"nullable": True, "enum": [None]},
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
        "example": "3.5s",
    },
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.FieldMask": {"type": "string", "example": "displayName,createTime"},
    "google.protobuf.DoubleValue": _wrapper({"type": "number", "format": "double"}),
    "google.protobuf.FloatValue": _wrapper({"type": "number", "format": "float"}),
    "google.protobuf.Int64Value": _wrapper(_INT64),
    "google.protobuf.UInt64Value": _wrapper(_UINT64),
    "google.protobuf.Int32Value": _wrapper({"type": "integer", "format": "int32"}),
    "google.protobuf.UInt32Value": _wrapper({"type": "integer", "format": "int64", "minimum": 0}),
    "google.protobuf.BoolValue": _wrapper({"type": "boolean"}),
    "google.protobuf.StringValue": _wrapper({"type": "string"}),
    "google.protobuf.BytesValue": _wrapper({"type": "string", "format": "byte"}),
}

# Components every spec gets: the error body and the `Any` its details hold.
ANY_NAME = "google.protobuf.Any"
STATUS_NAME = "google.rpc.Status"
ERROR_COMPONENTS: dict[str, Schema] = {
    ANY_NAME: {
        "type": "object",
        "description": "A message of any type, with its type URL in `@type`.",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": {},
    },
    STATUS_NAME: {
        "type": "object",
        "description": "The error body: a gRPC status code, a message and typed details.",
        "properties": {
            "code": {"type": "integer", "format": "int32", "description": "The gRPC code."},
            "message": {"type": "string", "description": "A developer-facing message."},
            "details": {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{ANY_NAME}"},
                "description": "Typed details, e.g. `google.rpc.BadRequest`.",
            },
        },
        "required": ["code", "message"],
    },
}

# Scalar field types (FieldDescriptorProto.Type) and their ProtoJSON schemas.
SCALARS: dict[int, Schema] = {
    1: {"type": "number", "format": "double"},
    2: {"type": "number", "format": "float"},
    3: _INT64,
    4: _UINT64,
    5: {"type": "integer", "format": "int32"},
    6: _UINT64,
    7: {"type": "integer", "format": "int64", "minimum": 0, "maximum": 4294967295},
    8: {"type": "boolean"},
    9: {"type": "string"},
    12: {"type": "string", "format": "byte"},
    13: {"type": "integer", "format": "int64", "minimum": 0, "maximum": 4294967295},
    15: {"type": "integer", "format": "int32"},
    16: _INT64,
    17: {"type": "integer", "format": "int32"},
    18: _INT64,
}
