"""Small helpers for tests that call the real server: upload, wait for training, read errors."""

import io
import time
from collections.abc import Iterator

import grpc
import pandas as pd
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from server.models.compiled.outcome import COMPILING

FORMATS = {"csv": datasets_pb2.DATA_FORMAT_CSV, "json": datasets_pb2.DATA_FORMAT_JSON}
READY = models_pb2.MODEL_STATE_READY
FAILED = models_pb2.MODEL_STATE_FAILED


def upload_requests(
    dataset_id: str, data: bytes, fmt: str = "csv", chunk: int = 64 * 1024
) -> Iterator[datasets_pb2.UploadDatasetRequest]:
    """The client stream of an upload: metadata, then chunks."""
    metadata = datasets_pb2.UploadMetadata(dataset_id=dataset_id, format=FORMATS[fmt])
    yield datasets_pb2.UploadDatasetRequest(metadata=metadata)
    for start in range(0, len(data), chunk):
        yield datasets_pb2.UploadDatasetRequest(chunk=data[start : start + chunk])


def upload(
    channel: grpc.Channel, dataset_id: str, data: bytes, fmt: str = "csv"
) -> datasets_pb2.DatasetVersion:
    """Upload `data` as a new version of `dataset_id`."""
    stub = datasets_pb2_grpc.DatasetServiceStub(channel)
    return stub.UploadDataset(upload_requests(dataset_id, data, fmt))


def frame_csv(frame: pd.DataFrame) -> bytes:
    """A DataFrame as CSV bytes without the index."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def struct(values: dict[str, object]) -> struct_pb2.Struct:
    """A protobuf Struct from a dict."""
    message = struct_pb2.Struct()
    message.update(values)
    return message


def rows(values: list[list[object]]) -> list[struct_pb2.ListValue]:
    """Predict rows from nested lists."""
    out = []
    for row in values:
        item = struct_pb2.ListValue()
        item.extend(row)
        out.append(item)
    return out


def wait_for_model(
    channel: grpc.Channel, name: str, version: int = 0, timeout: float = 120
) -> models_pb2.Model:
    """Poll GetModel until `version` (default: the latest) is READY or FAILED."""
    stub = models_pb2_grpc.ModelServiceStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = stub.GetModel(models_pb2.GetModelRequest(name=name))
        wanted = model.versions[version - 1] if version else model.versions[-1]
        if wanted.state in (READY, FAILED):
            return model
        time.sleep(0.2)
    raise TimeoutError(f"{name} v{version or 'latest'} not trained after {timeout} s")


def compiling(version: models_pb2.ModelVersion) -> bool:
    """READY and served by scikit-learn while its compiling to ONNX still runs."""
    return version.state == READY and version.engine_note == COMPILING.note


def wait_for_compiled(
    channel: grpc.Channel, name: str, version: int = 0, timeout: float = 240
) -> models_pb2.Model:
    """Poll GetModel until `version` (default: the latest) is FAILED, or READY with its compile
    outcome known (the engine that serves it: "onnx", or "sklearn" with the reason)."""
    stub = models_pb2_grpc.ModelServiceStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = stub.GetModel(models_pb2.GetModelRequest(name=name))
        wanted = model.versions[version - 1] if version else model.versions[-1]
        if wanted.state in (READY, FAILED) and not compiling(wanted):
            return model
        time.sleep(0.2)
    raise TimeoutError(f"{name} v{version or 'latest'} not compiled after {timeout} s")


def violations(error: grpc.RpcError) -> dict[str, str]:
    """The google.rpc.BadRequest field violations of an error, by field."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found: dict[str, str] = {}
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.update({v.field: v.description for v in bad_request.field_violations})
    return found
