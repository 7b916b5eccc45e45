"""protoc-gen-openapi: a protoc plugin that writes an OpenAPI 3.0 spec from `google.api.http`.

It reads a `CodeGeneratorRequest` on stdin and writes a `CodeGeneratorResponse` with one JSON
file on stdout. See `plugin.py` for the plugin parameters.
"""
