"""The few V2 inference protocol messages MLServer's gRPC `ModelInfer` needs, built in code.

The descriptors mirror `grpc_predict_v2.proto` (package `inference`) field for field, so the
load client can talk to MLServer without its stubs or any generated code.
"""

from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "inference"
MODEL_INFER = "/inference.GRPCInferenceService/ModelInfer"
PANDAS_CONTENT_TYPE = "pd"

_F = descriptor_pb2.FieldDescriptorProto
_CONTENTS = [
    ("bool_contents", _F.TYPE_BOOL),
    ("int_contents", _F.TYPE_INT32),
    ("int64_contents", _F.TYPE_INT64),
    ("uint_contents", _F.TYPE_UINT32),
    ("uint64_contents", _F.TYPE_UINT64),
    ("fp32_contents", _F.TYPE_FLOAT),
    ("fp64_contents", _F.TYPE_DOUBLE),
    ("bytes_contents", _F.TYPE_BYTES),
]


def _field(message: Any, name: str, number: int, kind: int, **extra: Any) -> None:
    label = extra.pop("label", _F.LABEL_OPTIONAL)
    message.field.add(name=name, number=number, type=kind, label=label, **extra)


def _parameters(message: Any, number: int, scope: str) -> None:
    """A `map<string, InferParameter> parameters` field on `message` (scope: its full name)."""
    entry = message.nested_type.add(name="ParametersEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, _F.TYPE_STRING)
    _field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=f".{PACKAGE}.InferParameter")
    _field(
        message,
        "parameters",
        number,
        _F.TYPE_MESSAGE,
        label=_F.LABEL_REPEATED,
        type_name=f".{scope}.ParametersEntry",
    )


def _parameter_message(file: Any) -> None:
    message = file.message_type.add(name="InferParameter")
    message.oneof_decl.add(name="parameter_choice")
    for number, (name, kind) in enumerate(
        [
            ("bool_param", _F.TYPE_BOOL),
            ("int64_param", _F.TYPE_INT64),
            ("string_param", _F.TYPE_STRING),
        ],
        start=1,
    ):
        _field(message, name, number, kind, oneof_index=0)


def _contents_message(file: Any) -> None:
    message = file.message_type.add(name="InferTensorContents")
    for number, (name, kind) in enumerate(_CONTENTS, start=1):
        _field(message, name, number, kind, label=_F.LABEL_REPEATED)


def _tensor(parent: Any, name: str, scope: str) -> None:
    """InferInputTensor / InferOutputTensor: name, datatype, shape, parameters, contents."""
    tensor = parent.nested_type.add(name=name)
    _field(tensor, "name", 1, _F.TYPE_STRING)
    _field(tensor, "datatype", 2, _F.TYPE_STRING)
    _field(tensor, "shape", 3, _F.TYPE_INT64, label=_F.LABEL_REPEATED)
    _parameters(tensor, 4, f"{scope}.{name}")
    contents = f".{PACKAGE}.InferTensorContents"
    _field(tensor, "contents", 5, _F.TYPE_MESSAGE, type_name=contents)


def _header(message: Any, scope: str) -> None:
    for number, name in enumerate(["model_name", "model_version", "id"], start=1):
        _field(message, name, number, _F.TYPE_STRING)
    _parameters(message, 4, scope)


def _request_message(file: Any) -> None:
    scope = f"{PACKAGE}.ModelInferRequest"
    message = file.message_type.add(name="ModelInferRequest")
    _header(message, scope)
    _tensor(message, "InferInputTensor", scope)
    output = message.nested_type.add(name="InferRequestedOutputTensor")
    _field(output, "name", 1, _F.TYPE_STRING)
    _parameters(output, 2, f"{scope}.InferRequestedOutputTensor")
    repeated = _F.LABEL_REPEATED
    _field(
        message,
        "inputs",
        5,
        _F.TYPE_MESSAGE,
        label=repeated,
        type_name=".inference.ModelInferRequest.InferInputTensor",
    )
    _field(
        message,
        "outputs",
        6,
        _F.TYPE_MESSAGE,
        label=repeated,
        type_name=".inference.ModelInferRequest.InferRequestedOutputTensor",
    )
    _field(message, "raw_input_contents", 7, _F.TYPE_BYTES, label=repeated)


def _response_message(file: Any) -> None:
    scope = f"{PACKAGE}.ModelInferResponse"
    message = file.message_type.add(name="ModelInferResponse")
    _header(message, scope)
    _tensor(message, "InferOutputTensor", scope)
    repeated = _F.LABEL_REPEATED
    _field(
        message,
        "outputs",
        5,
        _F.TYPE_MESSAGE,
        label=repeated,
        type_name=".inference.ModelInferResponse.InferOutputTensor",
    )
    _field(message, "raw_output_contents", 6, _F.TYPE_BYTES, label=repeated)


@cache
def messages() -> tuple[type[Any], type[Any]]:
    """The (ModelInferRequest, ModelInferResponse) classes, from a private descriptor pool."""
    file = descriptor_pb2.FileDescriptorProto(
        name="bench/grpc_predict_v2_subset.proto", package=PACKAGE, syntax="proto3"
    )
    _parameter_message(file)
    _contents_message(file)
    _request_message(file)
    _response_message(file)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return (
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.ModelInferRequest")),
        message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{PACKAGE}.ModelInferResponse")
        ),
    )


def infer_request(model: str, columns: dict[str, list[float]], outputs: list[str]) -> bytes:
    """A serialized ModelInferRequest: one FP64 input per column, decoded by the pandas codec."""
    request_class, _ = messages()
    request = request_class(model_name=model)
    request.parameters["content_type"].string_param = PANDAS_CONTENT_TYPE
    for name, values in columns.items():
        tensor = request.inputs.add(name=name, datatype="FP64", shape=[len(values), 1])
        tensor.contents.fp64_contents.extend(values)
    for name in outputs:
        request.outputs.add(name=name)
    return bytes(request.SerializeToString())


def parse_response(data: bytes) -> Any:
    """A ModelInferResponse from its bytes."""
    _, response_class = messages()
    return response_class.FromString(data)


def infer_json(columns: dict[str, list[float]], outputs: list[str]) -> dict[str, Any]:
    """The same request for the REST endpoint `POST /v2/models/<name>/infer`."""
    return {
        "parameters": {"content_type": PANDAS_CONTENT_TYPE},
        "inputs": [
            {"name": name, "datatype": "FP64", "shape": [len(values), 1], "data": values}
            for name, values in columns.items()
        ],
        "outputs": [{"name": name} for name in outputs],
    }
