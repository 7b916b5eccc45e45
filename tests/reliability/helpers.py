"""Helpers of the reliability tests: authenticated channels, stored-data checks, call outcomes."""

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from tests.grpc_helpers import FORMATS

# A fixed test value, not a credential.
TOKEN = "reliability-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
ACTIVE = (models_pb2.MODEL_STATE_QUEUED, models_pb2.MODEL_STATE_TRAINING)
POINTER = re.compile(r"v(\d+)\.(csv|json)\.dvc")
POINTER_MD5 = re.compile(r"md5: ([0-9a-f]{32})")


class _AddMetadata(
    grpc.UnaryUnaryClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
):
    """Adds fixed metadata (the bearer token) to every call of a blocking channel."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata

    def _details(self, details: Any) -> Any:
        # grpc passes its call details as a namedtuple.
        metadata = tuple(details.metadata or ()) + self._metadata
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)


def authorized(channel: grpc.Channel) -> grpc.Channel:
    """`channel` with the bearer token on every call."""
    return grpc.intercept_channel(channel, _AddMetadata(AUTH))


def error_of(call: Callable[..., Any], *args: Any, **kwargs: Any) -> grpc.RpcError:
    """The error a call fails with; AssertionError when it succeeds."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        return error
    raise AssertionError(f"{call} succeeded")


def health(target: str) -> int:
    """The overall health status of a server (SERVING, NOT_SERVING), or -1 when unreachable."""
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        except grpc.RpcError:
            return -1
    return int(reply.status)


def wait_for(ready: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `ready` until it returns something truthy (returned), or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached after {timeout} s")


def wait_for_state(
    channel: grpc.Channel, name: str, version: int, states: tuple[int, ...], timeout: float = 240
) -> models_pb2.Model:
    """Poll GetModel until `version` is in one of `states`."""
    stub = models_pb2_grpc.ModelServiceStub(channel)

    def reached() -> models_pb2.Model | None:
        model = stub.GetModel(models_pb2.GetModelRequest(name=name))
        if len(model.versions) >= version and model.versions[version - 1].state in states:
            return model
        return None

    return wait_for(reached, timeout, f"{name} v{version} in states {states}")


def all_models(channel: grpc.Channel) -> list[models_pb2.Model]:
    """Every model, all pages."""
    stub = models_pb2_grpc.ModelServiceStub(channel)
    found: list[models_pb2.Model] = []
    token = ""
    for _ in range(100):
        page = stub.ListModels(models_pb2.ListModelsRequest(page_size=1000, page_token=token))
        found.extend(page.models)
        token = page.next_page_token
        if not token:
            break
    return found


def all_datasets(channel: grpc.Channel) -> list[datasets_pb2.Dataset]:
    """Every dataset with its versions, all pages."""
    stub = datasets_pb2_grpc.DatasetServiceStub(channel)
    found: list[datasets_pb2.Dataset] = []
    token = ""
    for _ in range(100):
        page = stub.ListDatasets(datasets_pb2.ListDatasetsRequest(page_size=1000, page_token=token))
        found.extend(page.datasets)
        token = page.next_page_token
        if not token:
            break
    return found


def md5_of(data: bytes) -> str:
    """The hex md5 of bytes."""
    return hashlib.md5(data).hexdigest()


def cache_object(data_dir: Path, md5: str) -> Path:
    """Where DVC's local cache under the data dir keeps the object with this md5."""
    return data_dir / "datasets" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def stored_pointers(data_dir: Path) -> dict[tuple[str, int], str]:
    """Every DVC pointer of the store: (dataset id, version) -> md5."""
    found: dict[tuple[str, int], str] = {}
    for pointer in (data_dir / "datasets" / "repo").glob("*/v*.dvc"):
        match = POINTER.fullmatch(pointer.name)
        assert match, f"unexpected file {pointer.name} in the DVC repository"
        md5 = POINTER_MD5.search(pointer.read_text())
        assert md5, f"pointer {pointer.name} has no md5"
        found[(pointer.parent.name, int(match[1]))] = md5[1]
    return found


def indexed_versions(channel: grpc.Channel) -> dict[tuple[str, int], datasets_pb2.DatasetVersion]:
    """Every stored dataset version as the service lists it: (dataset id, version) -> version."""
    return {
        (dataset.name.removeprefix("datasets/"), version.version): version
        for dataset in all_datasets(channel)
        for version in dataset.versions
    }


def check_store_consistent(
    channel: grpc.Channel, data_dir: Path, remote_object: Callable[[str], bytes]
) -> dict[tuple[str, int], datasets_pb2.DatasetVersion]:
    """Index == DVC pointers, and every version's bytes hash to its md5 in cache and remote."""
    versions = indexed_versions(channel)
    pointers = stored_pointers(data_dir)
    assert pointers == {key: v.md5 for key, v in versions.items()}
    for key, version in versions.items():
        cached = cache_object(data_dir, version.md5).read_bytes()
        assert (md5_of(cached), len(cached)) == (version.md5, version.size_bytes), key
        assert md5_of(remote_object(version.md5)) == version.md5, key
    return versions


def local_remote(data_dir: Path) -> Callable[[str], bytes]:
    """Reads objects from the default DVC remote: a directory under the data dir."""

    def read(md5: str) -> bytes:
        return (data_dir / "dvc-remote" / "files" / "md5" / md5[:2] / md5[2:]).read_bytes()

    return read


def staged_uploads(data_dir: Path) -> set[Path]:
    """Uploads being received (or left by a crash) in the store's staging area."""
    return set((data_dir / "datasets" / "incoming").glob("upload-*.part"))


@dataclass
class HeldUpload:
    """An upload whose stream stays open until `finish()` (or `abort()`), in a thread."""

    channel: grpc.Channel
    dataset_id: str
    data: bytes
    release: threading.Event = field(default_factory=threading.Event)
    aborted: bool = False
    result: Any = None
    thread: threading.Thread | None = None

    def _requests(self) -> Iterator[datasets_pb2.UploadDatasetRequest]:
        metadata = datasets_pb2.UploadMetadata(dataset_id=self.dataset_id, format=FORMATS["csv"])
        yield datasets_pb2.UploadDatasetRequest(metadata=metadata)
        half = len(self.data) // 2
        yield datasets_pb2.UploadDatasetRequest(chunk=self.data[:half])
        self.release.wait(120)
        if not self.aborted:
            yield datasets_pb2.UploadDatasetRequest(chunk=self.data[half:])

    def _run(self) -> None:
        stub = datasets_pb2_grpc.DatasetServiceStub(self.channel)
        try:
            self.result = stub.UploadDataset(self._requests(), timeout=180)
        except grpc.RpcError as error:
            self.result = error

    def start(self) -> "HeldUpload":
        """Send the metadata and the first half of the file, then wait for `finish()`."""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def finish(self, timeout: float = 180) -> Any:
        """Send the rest; return the DatasetVersion or the RpcError."""
        self.release.set()
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the upload did not end"
        return self.result

    def abort(self) -> None:
        """Let the stream end without the rest of the file (the caller already broke it)."""
        self.aborted = True
        self.release.set()
        if self.thread is not None:
            self.thread.join(60)
