"""OpenAPI operations of unary RPCs, one per `google.api.http` binding."""

from dataclasses import dataclass

from google.protobuf import descriptor_pb2

from rest.http_rule import Binding
from tools.protoc_gen_openapi.index import MessageInfo, TypeIndex
from tools.protoc_gen_openapi.parameters import ParameterBuilder, resolve
from tools.protoc_gen_openapi.schemas import REQUIRED, SchemaBuilder, behaviors, ref
from tools.protoc_gen_openapi.wkt import STATUS_NAME, Schema


@dataclass(frozen=True)
class MethodInfo:
    """An RPC, with its service's short name and its comment."""

    service: str
    proto: descriptor_pb2.MethodDescriptorProto
    comment: str


def texts(comment: str) -> Schema:
    """`summary` from the first paragraph of a comment, `description` from the rest."""
    paragraphs = [p.strip() for p in comment.split("\n\n") if p.strip()]
    if not paragraphs:
        return {}
    result: Schema = {"summary": " ".join(paragraphs[0].split())}
    if len(paragraphs) > 1:
        result["description"] = "\n\n".join(paragraphs[1:])
    return result


def responses(schema: Schema) -> Schema:
    """A 200 response with `schema` and a default `google.rpc.Status` error response."""
    return {
        "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
        "default": {
            "description": "An error, as a `google.rpc.Status`.",
            "content": {"application/json": {"schema": ref(STATUS_NAME)}},
        },
    }


class OperationBuilder:
    """Turns (method, binding) pairs into OpenAPI operation objects."""

    def __init__(self, index: TypeIndex, schemas: SchemaBuilder) -> None:
        self.index = index
        self.schemas = schemas
        self.parameters = ParameterBuilder(index, schemas)

    def operation(self, method: MethodInfo, binding: Binding) -> Schema:
        """The operation object of one binding of a unary RPC."""
        request = self.index.message(method.proto.input_type)
        operation: Schema = {"tags": [method.service], **texts(method.comment)}
        operation["operationId"] = binding.operation_id
        parameters = self.parameters.path(request, binding)
        parameters += self.parameters.query(request, binding)
        if parameters:
            operation["parameters"] = parameters
        if body := self._request_body(request, binding):
            operation["requestBody"] = body
        operation["responses"] = responses(self._response_schema(method, binding))
        return operation

    def _request_body(self, request: MessageInfo, binding: Binding) -> Schema:
        if not binding.body:
            return {}
        if binding.body == "*":
            fields = [f for f in request.proto.field if f.name not in binding.bound_fields]
            if binding.bound_fields:
                schema = self.schemas.message(request, binding.bound_fields)
            else:
                schema = self.schemas.message_ref(request.full_name)
        else:
            _, position = resolve(self.index, request, (binding.body,))
            fields = [request.proto.field[position]]
            schema = self.schemas.field(request, position)
        required = any(REQUIRED in behaviors(f) for f in fields)
        return {"required": required, "content": {"application/json": {"schema": schema}}}

    def _response_schema(self, method: MethodInfo, binding: Binding) -> Schema:
        response = self.index.message(method.proto.output_type)
        if not binding.response_body:
            return self.schemas.message_ref(response.full_name)
        _, position = resolve(self.index, response, (binding.response_body,))
        return self.schemas.field(response, position)
