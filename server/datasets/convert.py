"""Conversions between the dataset records and their protobuf messages."""

from datetime import datetime

from google.protobuf import struct_pb2, timestamp_pb2

from server.datasets.preview import Cell
from server.errors import FieldViolation, InvalidArgument
from server.gen import datasets_pb2
from server.names import dataset_name
from server.ports import DatasetSummary, DatasetVersionRecord

FORMAT_TO_PROTO = {"csv": datasets_pb2.DATA_FORMAT_CSV, "json": datasets_pb2.DATA_FORMAT_JSON}
FORMAT_FROM_PROTO = {value: key for key, value in FORMAT_TO_PROTO.items()}


def format_from_proto(value: int, field: str = "format") -> str:
    """The format name ("csv" or "json") of a `DataFormat`; INVALID_ARGUMENT if unspecified."""
    try:
        return FORMAT_FROM_PROTO[value]
    except KeyError:
        raise InvalidArgument(
            "the file format is required", [FieldViolation(field, "must be CSV or JSON")]
        ) from None


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp for an aware datetime."""
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(moment)
    return message


def version_to_proto(record: DatasetVersionRecord) -> datasets_pb2.DatasetVersion:
    """A stored version as a `DatasetVersion`."""
    return datasets_pb2.DatasetVersion(
        dataset=dataset_name(record.dataset_id),
        version=record.version,
        md5=record.md5,
        size_bytes=record.size_bytes,
        row_count=record.row_count,
        columns=[
            datasets_pb2.Column(name=c.name, dtype=c.dtype, null_count=c.null_count)
            for c in record.columns
        ],
        format=FORMAT_TO_PROTO[record.format],
        description=record.description,
        create_time=timestamp(record.created_at),
    )


def dataset_to_proto(summary: DatasetSummary) -> datasets_pb2.Dataset:
    """A dataset with its versions, without a preview."""
    return datasets_pb2.Dataset(
        name=dataset_name(summary.dataset_id),
        versions=[version_to_proto(record) for record in summary.versions],
        latest_version=summary.latest.version,
        create_time=timestamp(summary.versions[0].created_at),
        update_time=timestamp(summary.latest.created_at),
    )


def add_preview(
    dataset: datasets_pb2.Dataset, version: int, columns: list[str], rows: list[list[Cell]]
) -> datasets_pb2.Dataset:
    """Fill in the preview fields of `dataset` and return it."""
    dataset.preview_version = version
    dataset.preview_columns.extend(columns)
    for row in rows:
        values = struct_pb2.ListValue()
        values.extend(row)
        dataset.preview_rows.append(values)
    return dataset
