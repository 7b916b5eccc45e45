"""The UploadDataset request stream: metadata first and once, then the file's chunks."""

from collections.abc import AsyncIterable, AsyncIterator

from server.datasets.convert import format_from_proto
from server.errors import FieldViolation, InvalidArgument, invalid_if_any
from server.gen import datasets_pb2
from server.names import check_id

MAX_DESCRIPTION_CHARS = 4096
Requests = AsyncIterable[datasets_pb2.UploadDatasetRequest]


def _stream_error(description: str, field: str = "metadata") -> InvalidArgument:
    return InvalidArgument("invalid upload stream", [FieldViolation(field, description)])


def check_metadata(metadata: datasets_pb2.UploadMetadata) -> str:
    """Validate the metadata (every problem at once); return the format ("csv" or "json")."""
    violations: list[FieldViolation] = []
    fmt = ""
    try:
        check_id(metadata.dataset_id, "metadata.dataset_id")
    except InvalidArgument as error:
        violations.extend(error.violations)
    try:
        fmt = format_from_proto(metadata.format, "metadata.format")
    except InvalidArgument as error:
        violations.extend(error.violations)
    if len(metadata.description) > MAX_DESCRIPTION_CHARS:
        violations.append(
            FieldViolation("metadata.description", f"at most {MAX_DESCRIPTION_CHARS} characters")
        )
    invalid_if_any("invalid upload metadata", violations)
    return fmt


async def open_upload(
    requests: Requests,
) -> tuple[datasets_pb2.UploadMetadata, AsyncIterator[bytes]]:
    """Read the first message, which must be the metadata; return it and the chunk stream."""
    iterator = aiter(requests)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        raise _stream_error("the stream is empty; send the metadata first") from None
    if first.WhichOneof("payload") != "metadata":
        raise _stream_error("the first message must carry the metadata")
    return first.metadata, _chunks(iterator)


async def _chunks(
    iterator: AsyncIterator[datasets_pb2.UploadDatasetRequest],
) -> AsyncIterator[bytes]:
    async for message in iterator:
        kind = message.WhichOneof("payload")
        if kind == "chunk":
            yield message.chunk
        elif kind == "metadata":
            raise _stream_error("the metadata must be sent once, in the first message")
        else:
            raise _stream_error("every message must carry metadata or a chunk", "payload")
