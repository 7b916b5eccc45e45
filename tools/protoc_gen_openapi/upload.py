"""The multipart/form-data operation of a client-streaming upload RPC.

`google.api.http` cannot express client streaming, so such an RPC carries a method option
(by default `mlservice.v1.multipart_upload`) naming its POST path, the stream message's
metadata and chunk fields, and the form's file part. The option's message type is read from
the request's own files, so the plugin needs no generated code.
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory
from google.protobuf.unknown_fields import UnknownFieldSet

from rest.http_rule import operation_id
from tools.protoc_gen_openapi.index import MessageInfo, TypeIndex
from tools.protoc_gen_openapi.operations import MethodInfo, OperationBuilder, responses, texts
from tools.protoc_gen_openapi.schemas import Field
from tools.protoc_gen_openapi.wkt import Schema

ORDER_NOTE = (
    "Send the form fields before the `{file}` part: the fields become the first message of "
    "the stream and the file is streamed after it in chunks. A field after the file part is "
    "rejected with 400."
)
FILE_NOTE = "The file, streamed to the server as `{chunk}` messages."


class UploadOption:
    """Decodes the upload method option of methods, using the option type from the request."""

    def __init__(self, files: list[descriptor_pb2.FileDescriptorProto], name: str) -> None:
        self._number = 0
        self._type: type[message.Message] | None = None
        pool = descriptor_pool.DescriptorPool()
        for file in files:
            pool.Add(file)
        try:
            extension = pool.FindExtensionByName(name)
        except KeyError:
            return
        if extension.message_type is None:
            raise ValueError(f"the upload option {name} must be a message")
        self._number = extension.number
        self._type = message_factory.GetMessageClass(extension.message_type)

    def read(self, method: descriptor_pb2.MethodDescriptorProto) -> message.Message | None:
        """The method's upload rule, or None when it has none."""
        if self._type is None:
            return None
        fields = UnknownFieldSet(method.options)
        for position in range(len(fields)):
            if fields[position].field_number == self._number:
                return self._type.FromString(fields[position].data)
        return None


def rule_text(rule: message.Message, key: str) -> str:
    """A string field of an upload rule (its type is built at run time)."""
    return str(getattr(rule, key))


def upload_operation(
    index: TypeIndex, operations: OperationBuilder, method: MethodInfo, rule: message.Message
) -> Schema:
    """The multipart/form-data POST operation of a client-streaming upload RPC."""
    stream = index.message(method.proto.input_type)
    fields = {f.name: (i, f) for i, f in enumerate(stream.proto.field)}
    metadata_name, chunk_name, file_part = (
        rule_text(rule, key) for key in ("metadata_field", "chunk_field", "file_part")
    )
    if metadata_name not in fields or chunk_name not in fields:
        raise ValueError(f"{method.proto.name}: upload fields not found in {stream.full_name}")
    _, chunk = fields[chunk_name]
    if chunk.type != Field.TYPE_BYTES or not method.proto.client_streaming:
        raise ValueError(f"{method.proto.name}: uploads need client streaming and a bytes chunk")
    metadata = index.message(fields[metadata_name][1].type_name)
    schema = _form_schema(operations, metadata, file_part)
    schema["properties"][file_part]["description"] = FILE_NOTE.format(chunk=chunk.json_name)
    operation: Schema = {"tags": [method.service], **texts(method.comment)}
    note = ORDER_NOTE.format(file=file_part)
    operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
    operation["operationId"] = operation_id(method.service, method.proto.name)
    content = {"multipart/form-data": {"schema": schema}}
    operation["requestBody"] = {"required": True, "content": content}
    output = index.message(method.proto.output_type).full_name
    operation["responses"] = responses(operations.schemas.message_ref(output))
    return operation


def _form_schema(operations: OperationBuilder, metadata: MessageInfo, file_part: str) -> Schema:
    properties: Schema = {}
    required: list[str] = []
    for param in operations.parameters.fields(metadata):
        schema = param["schema"]
        if "$ref" in schema and "description" in param:
            schema = {"allOf": [schema]}
        if "description" in param:
            schema = {**schema, "description": param["description"]}
        properties[param["name"]] = schema
        if param.get("required"):
            required.append(param["name"])
    properties[file_part] = {"type": "string", "format": "binary"}
    return {"type": "object", "properties": properties, "required": [*required, file_part]}
