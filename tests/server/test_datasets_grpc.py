"""DatasetService over real gRPC: the session's `python -m server` with real DVC underneath."""

import hashlib
from pathlib import Path

import grpc
import pytest

from server.datasets.servicer import DatasetServicer
from server.datasets.store import DvcDatasetStore
from server.gen import datasets_pb2, datasets_pb2_grpc
from server.interceptors import ErrorInterceptor
from tests.grpc_helpers import upload_requests, violations
from tests.processes import GrpcServer
from tests.server.dataset_fixtures import store_settings

CSV = b"x,y,label\n1,2.5,a\n2,,b\n3,4.5,\n"
Request = datasets_pb2.UploadDatasetRequest
Metadata = datasets_pb2.UploadMetadata
CSV_FORMAT = datasets_pb2.DATA_FORMAT_CSV


@pytest.fixture(scope="module")
def stub(grpc_channel: grpc.Channel) -> datasets_pb2_grpc.DatasetServiceStub:
    return datasets_pb2_grpc.DatasetServiceStub(grpc_channel)


def rpc_error(call, *args: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args)
    return raised.value


def staged_uploads(server: GrpcServer) -> list[Path]:
    return list((server.data_dir / "datasets" / "incoming").iterdir())


def test_upload_get_and_delete(stub, grpc_server: GrpcServer):
    first = stub.UploadDataset(upload_requests("dsgrpc-flow", CSV, chunk=5))
    second = stub.UploadDataset(upload_requests("dsgrpc-flow", CSV + b"4,5,c\n"))

    assert (first.dataset, first.version, second.version) == ("datasets/dsgrpc-flow", 1, 2)
    assert first.md5 == hashlib.md5(CSV).hexdigest() and first.size_bytes == len(CSV)
    assert (first.row_count, first.format) == (3, CSV_FORMAT)
    assert [(c.name, c.dtype, c.null_count) for c in first.columns] == [
        ("x", "int64", 0),
        ("y", "float64", 1),
        ("label", "str", 1),
    ]
    dataset = stub.GetDataset(
        datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-flow", version=1, preview_rows=2)
    )
    assert [v.version for v in dataset.versions] == [1, 2] and dataset.latest_version == 2
    assert (dataset.preview_version, list(dataset.preview_columns)) == (1, ["x", "y", "label"])
    rows = [[value.WhichOneof("kind") for value in row.values] for row in dataset.preview_rows]
    assert rows == [
        ["number_value"] * 2 + ["string_value"],
        ["number_value", "null_value", "string_value"],
    ]
    assert dataset.create_time == first.create_time and dataset.update_time == second.create_time

    stub.DeleteDataset(datasets_pb2.DeleteDatasetRequest(name="datasets/dsgrpc-flow", version=1))
    latest = stub.GetDataset(datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-flow"))
    assert [v.version for v in latest.versions] == [2] and len(latest.preview_rows) == 4
    stub.DeleteDataset(datasets_pb2.DeleteDatasetRequest(name="datasets/dsgrpc-flow"))
    gone = rpc_error(stub.GetDataset, datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-flow"))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    assert staged_uploads(grpc_server) == []


def test_list_pages_through_every_dataset(stub):
    ids = [f"dsgrpc-list-{n}" for n in range(3)]
    for dataset_id in ids:
        stub.UploadDataset(upload_requests(dataset_id, b"a\n1\n"))
    seen: list[str] = []
    token = ""
    while True:
        page = stub.ListDatasets(datasets_pb2.ListDatasetsRequest(page_size=2, page_token=token))
        assert len(page.datasets) <= 2 and all(not d.preview_rows for d in page.datasets)
        seen.extend(d.name for d in page.datasets)
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(set(seen))
    assert {f"datasets/{i}" for i in ids} <= set(seen)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (datasets_pb2.ListDatasetsRequest(page_size=-1), "page_size"),
        (datasets_pb2.ListDatasetsRequest(page_token="not a token!"), "page_token"),
        (datasets_pb2.ListDatasetsRequest(page_token="Li4veA=="), "page_token"),
    ],
)
def test_bad_list_requests(stub, request_, field):
    error = rpc_error(stub.ListDatasets, request_)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(error)


@pytest.mark.parametrize(
    "name", ["datasets/../x", "datasets/A", "", "datasets/" + "a" * 200, "models/x"]
)
def test_bad_names_are_invalid(stub, name):
    for call, message in [
        (stub.GetDataset, datasets_pb2.GetDatasetRequest(name=name)),
        (stub.DeleteDataset, datasets_pb2.DeleteDatasetRequest(name=name)),
    ]:
        error = rpc_error(call, message)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "name" in violations(error)


def test_unknown_datasets_and_versions_are_not_found(stub):
    stub.UploadDataset(upload_requests("dsgrpc-known", b"a\n1\n"))
    for call, message in [
        (stub.GetDataset, datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-unknown")),
        (stub.DeleteDataset, datasets_pb2.DeleteDatasetRequest(name="datasets/dsgrpc-unknown")),
        (stub.GetDataset, datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-known", version=9)),
        (
            stub.DeleteDataset,
            datasets_pb2.DeleteDatasetRequest(name="datasets/dsgrpc-known", version=9),
        ),
    ]:
        assert rpc_error(call, message).code() == grpc.StatusCode.NOT_FOUND
    negative = datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-known", preview_rows=-1)
    assert "preview_rows" in violations(rpc_error(stub.GetDataset, negative))


GOOD_METADATA = Request(metadata=Metadata(dataset_id="dsgrpc-bad", format=CSV_FORMAT))
BAD_STREAMS: dict[str, tuple[list[datasets_pb2.UploadDatasetRequest], set[str]]] = {
    "empty": ([], {"metadata"}),
    "chunk-first": ([Request(chunk=CSV)], {"metadata"}),
    "metadata-twice": ([GOOD_METADATA, GOOD_METADATA, Request(chunk=CSV)], {"metadata"}),
    "empty-message": ([GOOD_METADATA, Request(), Request(chunk=CSV)], {"payload"}),
    "invalid-id": (
        [Request(metadata=Metadata(dataset_id="../x", format=CSV_FORMAT))],
        {"metadata.dataset_id"},
    ),
    "unspecified-format": (
        [Request(metadata=Metadata(dataset_id="dsgrpc-bad"))],
        {"metadata.format"},
    ),
    "both-wrong": (
        [Request(metadata=Metadata(dataset_id="A"))],
        {"metadata.dataset_id", "metadata.format"},
    ),
    "bad-content": ([GOOD_METADATA, Request(chunk=b"a,a\n1,2\n")], {"chunk"}),
}


@pytest.mark.parametrize("case", BAD_STREAMS, ids=list(BAD_STREAMS))
def test_bad_upload_streams_create_nothing(stub, grpc_server: GrpcServer, case: str):
    messages, fields = BAD_STREAMS[case]
    error = rpc_error(stub.UploadDataset, iter(messages))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(error)) == fields
    missing = rpc_error(stub.GetDataset, datasets_pb2.GetDatasetRequest(name="datasets/dsgrpc-bad"))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert staged_uploads(grpc_server) == []


async def test_oversized_uploads_are_refused(tmp_path: Path):
    settings = store_settings(tmp_path, max_upload_bytes=64)
    server = grpc.aio.server(interceptors=[ErrorInterceptor()])
    servicer = DatasetServicer(DvcDatasetStore(settings), settings)
    datasets_pb2_grpc.add_DatasetServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = datasets_pb2_grpc.DatasetServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await stub.UploadDataset(upload_requests("dsgrpc-big", b"a\n" + b"1\n" * 64))
            assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            small = await stub.UploadDataset(upload_requests("dsgrpc-big", b"a\n1\n"))
            assert small.version == 1
    finally:
        await server.stop(None)
    assert list((settings.datasets_dir / "incoming").iterdir()) == []
