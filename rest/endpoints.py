"""The RPCs the proxy serves, found in the descriptor pool of the generated stubs."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from google.api import annotations_pb2
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor

from rest.http_rule import Binding, bindings, operation_id
from server.gen import datasets_pb2, models_pb2, options_pb2, status_pb2

STUB_FILES: tuple[FileDescriptor, ...] = (
    models_pb2.DESCRIPTOR,
    datasets_pb2.DESCRIPTOR,
    status_pb2.DESCRIPTOR,
)


def grpc_path(method: MethodDescriptor) -> str:
    """The gRPC method path, e.g. `/mlservice.v1.ModelService/GetModel`."""
    return f"/{method.containing_service.full_name}/{method.name}"


@dataclass(frozen=True)
class UnaryEndpoint:
    """One HTTP binding of a unary RPC."""

    method: MethodDescriptor
    binding: Binding

    @property
    def operation_id(self) -> str:
        """The OpenAPI operation id."""
        return self.binding.operation_id


@dataclass(frozen=True)
class UploadEndpoint:
    """A client-streaming RPC exposed as a multipart upload."""

    method: MethodDescriptor
    rule: options_pb2.MultipartUploadRule

    @property
    def operation_id(self) -> str:
        """The OpenAPI operation id."""
        return operation_id(self.method.containing_service.name, self.method.name)


def discover(
    files: Iterable[FileDescriptor] = STUB_FILES,
) -> tuple[list[UnaryEndpoint], list[UploadEndpoint]]:
    """Every HTTP binding and every multipart upload declared in the files' services."""
    unary: list[UnaryEndpoint] = []
    uploads: list[UploadEndpoint] = []
    for method in _methods(files):
        options = method.GetOptions()
        if options.HasExtension(annotations_pb2.http):
            rule = options.Extensions[annotations_pb2.http]
            service = method.containing_service.name
            unary += [UnaryEndpoint(method, b) for b in bindings(rule, service, method.name)]
        elif options.HasExtension(options_pb2.multipart_upload):
            upload = options.Extensions[options_pb2.multipart_upload]
            uploads.append(UploadEndpoint(method, upload))
    return unary, uploads


def _methods(files: Iterable[FileDescriptor]) -> Iterator[MethodDescriptor]:
    for file in files:
        for service in file.services_by_name.values():
            yield from service.methods
