"""The protoc plugin: parameters in, one OpenAPI JSON file out.

Parameters (`--openapi_opt=key=value,key=value`): `filename` (default `openapi.json`),
`title`, `version` and `upload_option` (the full name of the multipart upload method option).
"""

import dataclasses

from google.api import annotations_pb2, field_behavior_pb2  # noqa: F401  (register extensions)
from google.protobuf.compiler import plugin_pb2

from rest.http_rule import TemplateError
from tools.protoc_gen_openapi.document import DocumentBuilder, Options


def parse_parameter(parameter: str) -> Options:
    """Parse `key=value,key=value` into `Options`; unknown keys are an error."""
    known = {f.name for f in dataclasses.fields(Options)}
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in parameter.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            raise ValueError(f"unknown plugin parameter {item!r}; known: {sorted(known)}")
        values[key] = value
    return Options(**values)


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    """Build the response: the spec file, or an error message protoc prints."""
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    try:
        options = parse_parameter(request.parameter)
        content = DocumentBuilder(request, options).render()
    except (ValueError, KeyError, TemplateError) as error:
        response.error = f"protoc-gen-openapi: {error}"
        return response
    response.file.add(name=options.filename, content=content)
    return response
