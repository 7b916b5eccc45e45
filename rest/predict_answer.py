"""A Predict answer printed from its wire bytes, its numbers by numpy.

This is `server.models.wire_answer` in reverse. The server writes the small fields, then a
run of number predictions (0x0A 0x09 0x11 and a little-endian double each), then a run of
`Probabilities` of one width (the same header, then packed doubles). Parsing those into
messages and printing them back one by one was a third of the proxy's time for a 1,000-row
batch.
Here each run is read as a structured numpy view and listed, and only the rest of the
message goes through protobuf and the compiled `Printer`. The JSON is what
`Printer.to_json` prints for the parsed message.

Any other layout is parsed and printed as usual: labels that are not numbers, NaN or
infinite predictions, rows of different widths, a run broken by other fields, malformed
bytes (protobuf's `DecodeError`).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from rest.proto_json import Fallback, Printer, doubles_json
from server.gen import models_pb2
from server.models.wire_rows import (
    CELL_BYTES,
    CELL_TAGS,
    NUMBER_CELL_TYPE,
    NUMBER_TAG,
    PROBABILITIES_TAG,
    VALUES_TAG,
    first_field,
    leading_run,
    read_varint,
)

_FIELDS = models_pb2.PredictResponse.DESCRIPTOR.fields_by_name
PREDICTIONS = _FIELDS["predictions"]
PROBABILITIES = _FIELDS["probabilities"]
_VALUES_KEY = models_pb2.Probabilities.DESCRIPTOR.fields_by_name["values"].json_name


@dataclass(frozen=True)
class Run:
    """A run of one repeated field's entries: its byte span and the entries as JSON."""

    start: int
    end: int
    entries: list[Any]


def answer_json(raw: bytes, printer: Printer) -> Any:
    """The ProtoJSON of a serialized `PredictResponse`, as `printer.to_json` prints it."""
    fast = fast_json(raw, printer)
    if fast is not None:
        return fast
    return printer.to_json(models_pb2.PredictResponse.FromString(raw))


def fast_json(raw: bytes, printer: Printer) -> dict[str, Any] | None:
    """The answer printed with its runs read by numpy; None when its layout is another."""
    runs = find_runs(raw)
    if not runs:
        return None
    kept, position = [], 0
    for run in sorted(runs.values(), key=lambda r: r.start):
        kept.append(raw[position : run.start])
        position = run.end
    kept.append(raw[position:])
    try:
        rest = models_pb2.PredictResponse.FromString(b"".join(kept))
    except DecodeError:
        return None
    for name in runs:
        field = getattr(rest, name)
        if len(field):  # more entries outside the run
            return None
        field.add()  # a placeholder: the field is printed in its place among the set fields
    try:
        printed: dict[str, Any] = printer.compiled_json(rest)
    except Fallback:
        return None
    for name, run in runs.items():
        printed[_FIELDS[name].json_name] = run.entries
    return printed


def find_runs(raw: bytes) -> dict[str, Run]:
    """The runs of predictions and probabilities (by field name) that open those fields."""
    readers = {PREDICTIONS.number: number_cells, PROBABILITIES.number: probability_rows}
    names = {PREDICTIONS.number: PREDICTIONS.name, PROBABILITIES.number: PROBABILITIES.name}
    runs: dict[str, Run] = {}
    position = 0
    while readers:
        start = first_field(raw, *readers, start=position)
        if start is None:
            break
        number = raw[start] >> 3  # fields 1 and 3: a one-byte tag
        run = readers.pop(number)(raw, start)
        if run is not None:
            runs[names[number]] = run
            position = run.end
        else:
            position = start  # that field is left to protobuf; look for the other one
    return runs


def number_cells(raw: bytes, start: int) -> Run | None:
    """The finite number predictions from `start` on, or None when the first is not one."""
    count = (len(raw) - start) // CELL_BYTES
    cells = np.frombuffer(raw, NUMBER_CELL_TYPE, count=count, offset=start)
    good = (cells["tags"] == CELL_TAGS) & (cells["kind"] == NUMBER_TAG)
    count = count if good.all() else int(good.argmin())
    numbers = cells["number"][:count]
    if count == 0 or not np.isfinite(numbers).all():
        return None  # ProtoJSON has no non-finite number Value: printed as usual
    return Run(start, start + count * CELL_BYTES, numbers.tolist())


def probability_rows(raw: bytes, start: int) -> Run | None:
    """The `Probabilities` of the first's width from `start` on, or None when it is not one.

    A row is one field: tag, length, then its values as one non-empty packed field.
    """
    if raw[start : start + 1] != PROBABILITIES_TAG:
        return None
    length, inner = read_varint(raw, start + 1)
    if length is None or raw[inner : inner + 1] != VALUES_TAG:
        return None
    payload, values_at = read_varint(raw, inner + 1)
    if payload is None or payload == 0 or payload % 8 or values_at + payload != inner + length:
        return None
    header, stride = values_at - start, values_at - start + payload
    count = leading_run(raw, start, header, stride)
    if count == 0:  # the first row runs past the end: the message does not parse
        return None
    layout = np.dtype([("header", f"V{header}"), ("values", "<f8", (payload // 8,))])
    rows = np.frombuffer(raw, layout, count=count, offset=start)["values"]
    listed = rows.tolist()
    for row in np.flatnonzero(~np.isfinite(rows).all(axis=1)).tolist():
        listed[row] = doubles_json(listed[row])
    return Run(start, start + count * stride, [{_VALUES_KEY: row} for row in listed])
