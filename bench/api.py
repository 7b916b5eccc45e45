"""Blocking gRPC calls the scenarios need to prepare and to measure: upload, train, wait."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from server.models.compiled.outcome import COMPILING

CHUNK_BYTES = 1024 * 1024
READY = models_pb2.MODEL_STATE_READY
FAILED = models_pb2.MODEL_STATE_FAILED


def _upload_messages(dataset_id: str, path: Path) -> Iterator[datasets_pb2.UploadDatasetRequest]:
    metadata = datasets_pb2.UploadMetadata(
        dataset_id=dataset_id, format=datasets_pb2.DATA_FORMAT_CSV
    )
    yield datasets_pb2.UploadDatasetRequest(metadata=metadata)
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            yield datasets_pb2.UploadDatasetRequest(chunk=chunk)


def upload(channel: grpc.Channel, dataset_id: str, path: Path) -> datasets_pb2.DatasetVersion:
    """Stream a CSV file as a new version of `dataset_id`."""
    stub = datasets_pb2_grpc.DatasetServiceStub(channel)
    return stub.UploadDataset(_upload_messages(dataset_id, path), timeout=3600)


def train_request(
    model_id: str, model_class: str, dataset_id: str, hyperparameters: dict[str, Any], seed: int
) -> models_pb2.TrainModelRequest:
    """A TrainModelRequest predicting the `label` column from every other column."""
    params = struct_pb2.Struct()
    params.update(hyperparameters)
    return models_pb2.TrainModelRequest(
        model_id=model_id,
        model_class=model_class,
        hyperparameters=params,
        dataset=f"datasets/{dataset_id}",
        target_column="label",
        random_state=seed,
    )


def train(channel: grpc.Channel, request: models_pb2.TrainModelRequest) -> models_pb2.Model:
    """Start a training; returns the new model (QUEUED or TRAINING)."""
    return models_pb2_grpc.ModelServiceStub(channel).TrainModel(request, timeout=60)


def wait_ready(
    channel: grpc.Channel,
    name: str,
    timeout: float,
    poll_s: float = 0.05,
    seen: Callable[[models_pb2.Model], None] | None = None,
) -> models_pb2.Model:
    """Poll GetModel until the latest version is READY; raise when FAILED or too slow.

    `seen` gets every polled model (to follow the training's progress)."""
    stub = models_pb2_grpc.ModelServiceStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = stub.GetModel(models_pb2.GetModelRequest(name=name), timeout=30)
        if seen is not None:
            seen(model)
        if model.state == READY:
            return model
        if model.state == FAILED:
            raise RuntimeError(f"training of {name} failed: {model.error}")
        time.sleep(poll_s)
    raise TimeoutError(f"{name} not READY after {timeout} s")


def wait_compiled(
    channel: grpc.Channel, name: str, timeout: float, poll_s: float = 0.05
) -> models_pb2.Model:
    """Poll GetModel until the READY latest version's compile outcome is known.

    A version is READY (served by scikit-learn) before its compiling to ONNX ends; its
    `engine_note` says "compiling" until then.
    """
    stub = models_pb2_grpc.ModelServiceStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = stub.GetModel(models_pb2.GetModelRequest(name=name), timeout=30)
        if model.state == READY and model.engine_note != COMPILING.note:
            return model
        time.sleep(poll_s)
    raise TimeoutError(f"{name} not compiled after {timeout} s")


def train_and_wait(
    channel: grpc.Channel,
    request: models_pb2.TrainModelRequest,
    timeout: float,
    seen: Callable[[models_pb2.Model], None] | None = None,
) -> models_pb2.Model:
    """Train and wait until READY (its compiling may still run: see `wait_compiled`)."""
    model = train(channel, request)
    return wait_ready(channel, model.name, timeout, seen=seen)


def predict_request(name: str, rows: list[list[Any]]) -> models_pb2.PredictRequest:
    """A PredictRequest for the serving version."""
    request = models_pb2.PredictRequest(name=name)
    for row in rows:
        request.rows.add().extend(row)
    return request


def predict(
    channel: grpc.Channel, request: models_pb2.PredictRequest
) -> models_pb2.PredictResponse:
    """One Predict call."""
    return models_pb2_grpc.ModelServiceStub(channel).Predict(request, timeout=120)
