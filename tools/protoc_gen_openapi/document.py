"""Assembles the OpenAPI document from the services of the files to generate."""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

from rest.http_rule import HTTP_METHODS, bindings
from tools.protoc_gen_openapi.index import FILE_SERVICE, SERVICE_METHOD, TypeIndex
from tools.protoc_gen_openapi.operations import MethodInfo, OperationBuilder
from tools.protoc_gen_openapi.schemas import SchemaBuilder
from tools.protoc_gen_openapi.upload import UploadOption, rule_text, upload_operation
from tools.protoc_gen_openapi.wkt import ERROR_COMPONENTS, Schema

FileProto = descriptor_pb2.FileDescriptorProto
ServiceProto = descriptor_pb2.ServiceDescriptorProto


@dataclass(frozen=True)
class Options:
    """The plugin parameters."""

    filename: str = "openapi.json"
    title: str = "API"
    version: str = "v1"
    upload_option: str = "mlservice.v1.multipart_upload"


class DocumentBuilder:
    """Collects the operations of every service and renders the document."""

    def __init__(self, request: plugin_pb2.CodeGeneratorRequest, options: Options) -> None:
        self.request = request
        self.options = options
        self.index = TypeIndex(list(request.proto_file))
        self.schemas = SchemaBuilder(self.index)
        self.operations = OperationBuilder(self.index, self.schemas)
        self.uploads = UploadOption(list(request.proto_file), options.upload_option)

    def build(self) -> Schema:
        """The OpenAPI 3.0 document as a dict, in a stable order."""
        paths: dict[str, dict[str, Schema]] = {}
        tags: list[Schema] = []
        for file, service, path in self._services():
            tags.append(_tag(service.name, self.index.comment(file.name, path)))
            for position, method in enumerate(service.method):
                comment = self.index.comment(file.name, (*path, SERVICE_METHOD, position))
                info = MethodInfo(service.name, method, comment)
                for url, verb, operation in self._operations(info):
                    _add(paths, url, verb, operation)
        components = {**ERROR_COMPONENTS, **self.schemas.components()}
        return {
            "openapi": "3.0.3",
            "info": {"title": self.options.title, "version": self.options.version},
            "tags": tags,
            "paths": {url: _ordered(paths[url]) for url in sorted(paths)},
            "components": {"schemas": dict(sorted(components.items()))},
        }

    def render(self) -> str:
        """The document as indented JSON with a final newline."""
        return json.dumps(self.build(), indent=2, ensure_ascii=False) + "\n"

    def _services(
        self,
    ) -> Iterator[tuple[FileProto, ServiceProto, tuple[int, ...]]]:
        wanted = set(self.request.file_to_generate)
        for file in self.request.proto_file:
            if file.name in wanted:
                for position, service in enumerate(file.service):
                    yield file, service, (FILE_SERVICE, position)

    def _operations(self, method: MethodInfo) -> Iterator[tuple[str, str, Schema]]:
        proto = method.proto
        if proto.options.HasExtension(annotations_pb2.http):
            if proto.client_streaming or proto.server_streaming:
                raise ValueError(f"{proto.name}: streaming RPCs cannot have google.api.http")
            rule = proto.options.Extensions[annotations_pb2.http]
            for binding in bindings(rule, method.service, proto.name):
                yield binding.path, binding.http_method, self.operations.operation(method, binding)
        elif (upload := self.uploads.read(proto)) is not None:
            operation = upload_operation(self.index, self.operations, method, upload)
            yield rule_text(upload, "post"), "post", operation


def _tag(name: str, description: str) -> Schema:
    return {"name": name, "description": description} if description else {"name": name}


def _add(paths: dict[str, dict[str, Schema]], url: str, verb: str, operation: Schema) -> None:
    item = paths.setdefault(url, {})
    if verb in item:
        raise ValueError(f"two operations for {verb.upper()} {url}")
    item[verb] = operation


def _ordered(item: dict[str, Schema]) -> dict[str, Schema]:
    order = [*HTTP_METHODS, "head", "options", "trace"]
    return {verb: item[verb] for verb in sorted(item, key=order.index)}
