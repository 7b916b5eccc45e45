"""A Predict answer printed from its wire bytes equals the parsed message printed by `Printer`."""

import math
import struct
from dataclasses import replace
from typing import Any

import numpy as np
import orjson
import pytest
from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError
from hypothesis import given, settings
from hypothesis import strategies as st

from rest.endpoints import discover
from rest.predict_answer import answer_json, fast_json
from rest.proto_json import Printer
from rest.transcode import Transcoder
from server.gen import models_pb2
from server.models.prediction import Prediction
from server.models.wire_answer import response_bytes
from server.models.wire_rows import varint

PRINTER = Printer()
SPECIAL = [0.0, -0.0, 5e-324, 1e308, -1e308, 2.0**53, 1.0, 3.0, 0.1, 1 / 3]


def outcome(print_json: Any, raw: bytes) -> tuple[str, Any, bytes]:
    """The printed JSON and its orjson bytes (key order included), or the error's type."""
    try:
        printed = print_json(raw)
    except Exception as error:
        return "error", type(error).__name__, b""
    return "ok", printed, orjson.dumps(printed)


def today(raw: bytes) -> Any:
    """What the proxy printed before: the parsed message through `Printer`."""
    return PRINTER.to_json(models_pb2.PredictResponse.FromString(raw))


def assert_same(raw: bytes, fast: bool | None = None) -> Any:
    """The wire reader prints what `today` prints; `fast`: whether it reads runs by numpy."""
    new = outcome(lambda r: answer_json(r, Printer()), raw)
    assert new == outcome(today, raw)
    if fast is not None:
        assert (fast_json(raw, Printer()) is not None) is fast
    return new[1]


def classifier(rows: int, classes: int, labels: str = "int", seed: int = 0) -> Prediction:
    """A classifier's answer with probabilities (`labels`: int, float, str or bool)."""
    rng = np.random.default_rng(seed)
    probabilities = rng.random((rows, classes))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    picked = probabilities.argmax(axis=1) if rows else np.zeros(0, np.int64)
    names: list[Any] = {
        "int": list(range(classes)),
        "float": [i + 0.5 for i in range(classes)],
        "str": [f"class {i}" for i in range(classes)],
        "bool": [False, True][:classes],
    }[labels]
    predictions = np.array([names[i] for i in picked] if rows else [], dtype=type(names[0]))
    return Prediction(predictions, 3, names, probabilities, "onnx")


@pytest.mark.parametrize("rows", [0, 1, 2, 1000])
@pytest.mark.parametrize("classes", [1, 2, 3, 15, 16, 40])  # 16 classes: a 2-byte row length
def test_number_labels_are_read_by_numpy(rows, classes):
    printed = assert_same(response_bytes(classifier(rows, classes)), fast=rows > 0)
    assert len(printed["predictions"]) == len(printed["probabilities"]) == rows


@pytest.mark.parametrize("labels", ["float", "str", "bool"])
@pytest.mark.parametrize("rows", [0, 1, 300])
def test_other_labels_print_the_same(labels, rows):
    # A label that is no number stays in the message; the probabilities are still a run.
    assert_same(response_bytes(classifier(rows, 2, labels)), fast=rows > 0)


@pytest.mark.parametrize("rows", [0, 1, 500])
def test_regressors_without_probabilities(rows):
    numbers = np.random.default_rng(rows).normal(size=rows) * 1e3
    special = numbers.copy()
    special[: min(rows, len(SPECIAL))] = SPECIAL[: min(rows, len(SPECIAL))]
    for predictions in (special, numbers.astype(np.float32), numbers.astype(np.int64)):
        prediction = Prediction(predictions, 1, engine="sklearn")
        printed = assert_same(response_bytes(prediction), fast=rows > 0)
        assert printed["probabilities"] == [] and printed["classes"] == []


def test_special_and_non_finite_probabilities_print_as_protojson():
    rows = np.array([SPECIAL[:3], [math.nan, math.inf, -math.inf], SPECIAL[3:6], SPECIAL[6:9]])
    prediction = Prediction(np.array([0, 1, 2, 1]), 1, [0, 1, 2], rows, "onnx")
    printed = assert_same(response_bytes(prediction), fast=True)
    assert printed["probabilities"][1] == {"values": ["NaN", "Infinity", "-Infinity"]}
    assert math.copysign(1, printed["probabilities"][0]["values"][1]) == -1  # -0.0 kept


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    """One field's wire bytes (length-prefixed for wire type 2)."""
    prefix = varint(len(payload)) if wire_type == 2 else b""
    return varint(number << 3 | wire_type) + prefix + payload


def cells(*numbers: float) -> bytes:
    return b"".join(
        field(1, 2, struct_pb2.Value(number_value=n).SerializeToString()) for n in numbers
    )


def label(text: str) -> bytes:
    return field(1, 2, struct_pb2.Value(string_value=text).SerializeToString())


def rows(*values: list[float]) -> bytes:
    return b"".join(
        field(3, 2, models_pb2.Probabilities(values=v).SerializeToString()) for v in values
    )


CLASSES = field(2, 2, struct_pb2.Value(number_value=0).SerializeToString()) + field(
    2, 2, struct_pb2.Value(string_value="one").SerializeToString()
)
VERSION, ENGINE = field(4, 0, varint(7)), field(5, 2, b"sklearn")
UNKNOWN = field(99, 5, b"abcd") + field(98, 1, b"12345678") + field(97, 2, b"xyz")
PREDICTED, PROBABLE = cells(1, 0, 1), rows([0.25, 0.75], [0.5, 0.5], [0.0, 1.0])


@pytest.mark.parametrize(
    "raw",
    [
        PREDICTED + PROBABLE + CLASSES + VERSION + ENGINE,  # small fields after the runs
        CLASSES + PROBABLE + VERSION + PREDICTED + ENGINE,  # probabilities first
        VERSION + PREDICTED + CLASSES + PROBABLE + field(4, 0, varint(9)),  # the last version wins
        UNKNOWN + PREDICTED + UNKNOWN + PROBABLE + UNKNOWN,  # unknown fields anywhere
        field(3, 0, varint(1)) + PREDICTED + PROBABLE,  # a field 3 varint: an unknown field
        PREDICTED,
        PROBABLE + ENGINE,
        label("x") + PROBABLE,  # a label: the predictions are printed from the message
    ],
)
def test_runs_are_read_wherever_the_fields_are(raw):
    assert_same(raw, fast=True)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        CLASSES + VERSION + ENGINE,
        cells(1, 0) + ENGINE + cells(1),  # predictions split by another field
        PROBABLE + VERSION + rows([0.1, 0.9]),  # probabilities split
        cells(1, 0) + label("x") + PROBABLE,  # a label after the numbers
        rows([0.5, 0.5], [0.2, 0.3, 0.5]),  # rows of different widths
        rows([0.5, 0.5], []) + PREDICTED,  # an empty row
        cells(1, math.nan) + PROBABLE,  # ProtoJSON has no NaN Value: json_format raises
        cells(math.inf),
        CLASSES + field(2, 2, struct_pb2.Value(number_value=math.nan).SerializeToString()),
        field(3, 2, b"\x09" + struct.pack("<d", 0.5)) + PREDICTED,  # an unpacked double
        field(3, 2, field(1, 2, struct.pack("<2d", 0.5, 0.5)) * 2) + PREDICTED,  # two chunks
    ],
)
def test_other_layouts_are_parsed_as_usual(raw):
    assert_same(raw)


def test_malformed_bytes_fail_as_protobuf_fails():
    good = CLASSES + VERSION + PREDICTED + PROBABLE + ENGINE
    for end in range(len(good)):  # every truncation
        assert_same(good[:end])
    for raw in (b"\x1a\xff\xff\xff\xff\x0f", PREDICTED + b"\x1a\x12\x0a\x10", PREDICTED + b"\xff"):
        with pytest.raises(DecodeError):
            answer_json(raw, Printer())
        assert_same(raw)


PARTS = st.one_of(
    st.lists(st.floats(allow_nan=True), min_size=1, max_size=4).map(lambda v: cells(*v)),
    st.text(max_size=3).map(label),
    st.integers(1, 4).flatmap(
        lambda width: st.lists(
            st.lists(st.floats(), min_size=width, max_size=width), min_size=1, max_size=3
        ).map(lambda values: rows(*values))
    ),
    st.sampled_from([CLASSES, VERSION, ENGINE, UNKNOWN, field(4, 0, varint(2**40))]),
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(PARTS, max_size=6), cut=st.integers(0, 8), flip=st.integers(0, 255))
def test_any_composition_prints_the_same(parts, cut, flip):
    raw = b"".join(parts)
    assert_same(raw)
    if raw:  # damaged: truncated, or one byte changed
        assert_same(raw[: len(raw) - cut])
        position = flip % len(raw)
        assert_same(raw[:position] + bytes([raw[position] ^ flip]) + raw[position + 1 :])


def predict_transcoder(response_body: str = "") -> Transcoder:
    """The transcoder of the Predict binding, with `response_body` set when given."""
    (endpoint,) = [e for e in discover()[0] if e.method.name == "Predict"]
    return Transcoder(endpoint.method, replace(endpoint.binding, response_body=response_body))


@pytest.mark.parametrize("response_body", ["", "predictions", "probabilities", "model_version"])
def test_the_transcoder_prints_predict_bytes_and_selects_the_response_body(response_body):
    transcoder = predict_transcoder(response_body)
    assert transcoder.deserialized_type is None  # the gateway hands over the bytes
    raw = response_bytes(classifier(20, 3))
    message = models_pb2.PredictResponse.FromString(raw)
    assert orjson.dumps(transcoder.response(raw)) == orjson.dumps(transcoder.response(message))
    assert (transcoder.response(raw) == today(raw)) is not response_body


def test_other_methods_still_get_messages():
    for endpoint in discover()[0]:
        transcoder = Transcoder(endpoint.method, endpoint.binding)
        if endpoint.method.name != "Predict":
            assert transcoder.deserialized_type is transcoder.response_type
