"""DatasetService over gRPC: unpack requests, call the store, convert the results back."""

import asyncio
from collections.abc import AsyncIterable

import grpc
from google.protobuf import empty_pb2

from server.datasets import paging
from server.datasets.convert import add_preview, dataset_to_proto, version_to_proto
from server.datasets.store import DvcDatasetStore, pick_version
from server.datasets.upload_stream import check_metadata, open_upload
from server.gen import datasets_pb2, datasets_pb2_grpc
from server.names import parse_name
from server.settings import Settings


class DatasetServicer(datasets_pb2_grpc.DatasetServiceServicer):
    """The gRPC face of the dataset store."""

    def __init__(self, store: DvcDatasetStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    async def UploadDataset(
        self,
        request_iterator: AsyncIterable[datasets_pb2.UploadDatasetRequest],
        context: grpc.aio.ServicerContext,
    ) -> datasets_pb2.DatasetVersion:
        """Store the streamed file as a new version of the dataset."""
        metadata, chunks = await open_upload(request_iterator)
        fmt = check_metadata(metadata)
        record = await self._store.upload(metadata.dataset_id, fmt, metadata.description, chunks)
        return version_to_proto(record)

    async def ListDatasets(
        self, request: datasets_pb2.ListDatasetsRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.ListDatasetsResponse:
        """One page of datasets, ordered by id, with their versions."""
        size = paging.bounded(
            request.page_size, "page_size", paging.DEFAULT_PAGE_SIZE, paging.MAX_PAGE_SIZE
        )
        after = paging.decode_token(request.page_token)
        found = await asyncio.to_thread(self._store.list_datasets, after, size + 1)
        page = found[:size]
        token = paging.encode_token(page[-1].dataset_id) if len(found) > size else ""
        return datasets_pb2.ListDatasetsResponse(
            datasets=[dataset_to_proto(summary) for summary in page], next_page_token=token
        )

    async def GetDataset(
        self, request: datasets_pb2.GetDatasetRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.Dataset:
        """A dataset with all its versions and a preview of one of them."""
        dataset_id = parse_name(request.name, "datasets")
        version = paging.non_negative(request.version, "version")
        rows = paging.bounded(
            request.preview_rows,
            "preview_rows",
            paging.DEFAULT_PREVIEW_ROWS,
            paging.MAX_PREVIEW_ROWS,
        )
        summary = await asyncio.to_thread(self._store.get_dataset, dataset_id)
        record = pick_version(summary, version)
        columns, values = await asyncio.to_thread(self._store.preview, record, rows)
        return add_preview(dataset_to_proto(summary), record.version, columns, values)

    async def DeleteDataset(
        self, request: datasets_pb2.DeleteDatasetRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        """Delete a whole dataset, or one version of it."""
        dataset_id = parse_name(request.name, "datasets")
        version = paging.non_negative(request.version, "version")
        await asyncio.to_thread(self._store.delete, dataset_id, version)
        return empty_pb2.Empty()
