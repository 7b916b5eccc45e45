"""Every RPC fed generated and extreme messages: only documented status codes, server stays up.

Requests are built from the message descriptors (so new fields are fuzzed too), with values
that matter here for the fields the service interprets: resource names (including path
traversal), huge strings, NaN and infinities, empty and oversized row lists, wrong types
inside ListValue, Structs nested 100 levels deep (sent as raw bytes: the Python client itself
refuses to build them) and damaged wire bytes.
"""

import base64
import math
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message as protobuf_message
from google.protobuf import message_factory, struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from grpc_health.v1 import health_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.gen import datasets_pb2, models_pb2, models_pb2_grpc, status_pb2
from tests.grpc_helpers import struct, upload, violations
from tests.reliability.conftest import BASE_MODEL, IRIS, Service, iris_csv, train
from tests.reliability.helpers import AUTH, TOKEN, all_models, health, wait_for_state

DOCUMENTED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNAUTHENTICATED,
}
FUZZ_MODEL = "models/fz-model"
FUZZ_DATASET = "datasets/fz-data"
EXAMPLES = 40
HUGE = 5 * 1024 * 1024  # over the server's 4 MiB message limit
RPCS: dict[str, tuple[str, Any, Any]] = {
    "ListModelClasses": (
        "/mlservice.v1.ModelService/ListModelClasses",
        models_pb2.ListModelClassesRequest,
        models_pb2.ListModelClassesResponse,
    ),
    "TrainModel": (
        "/mlservice.v1.ModelService/TrainModel",
        models_pb2.TrainModelRequest,
        models_pb2.Model,
    ),
    "ListModels": (
        "/mlservice.v1.ModelService/ListModels",
        models_pb2.ListModelsRequest,
        models_pb2.ListModelsResponse,
    ),
    "GetModel": (
        "/mlservice.v1.ModelService/GetModel",
        models_pb2.GetModelRequest,
        models_pb2.Model,
    ),
    "RetrainModel": (
        "/mlservice.v1.ModelService/RetrainModel",
        models_pb2.RetrainModelRequest,
        models_pb2.Model,
    ),
    "DeleteModel": (
        "/mlservice.v1.ModelService/DeleteModel",
        models_pb2.DeleteModelRequest,
        struct_pb2.ListValue,  # Empty: any message parses it
    ),
    "Predict": (
        "/mlservice.v1.ModelService/Predict",
        models_pb2.PredictRequest,
        models_pb2.PredictResponse,
    ),
    "ListDatasets": (
        "/mlservice.v1.DatasetService/ListDatasets",
        datasets_pb2.ListDatasetsRequest,
        datasets_pb2.ListDatasetsResponse,
    ),
    "GetDataset": (
        "/mlservice.v1.DatasetService/GetDataset",
        datasets_pb2.GetDatasetRequest,
        datasets_pb2.Dataset,
    ),
    "DeleteDataset": (
        "/mlservice.v1.DatasetService/DeleteDataset",
        datasets_pb2.DeleteDatasetRequest,
        struct_pb2.ListValue,
    ),
    "GetStatus": (
        "/mlservice.v1.StatusService/GetStatus",
        status_pb2.GetStatusRequest,
        status_pb2.GetStatusResponse,
    ),
}

# --- values --------------------------------------------------------------------------------

TRAVERSALS = ["../x", "..", "a/../../b", "..%2f..%2fetc", "a\\..\\b", "/etc/passwd", "a\x00b"]
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "a" * 64, "é" * 40, "\x00", *TRAVERSALS]),
    st.sampled_from(["x" * 100_000, "y" * HUGE]),
)
INTS = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 1, 2**31 - 1, -(2**31)]))
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, 5e-324]),
)
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), FLOATS, st.integers(-(2**70), 2**70).map(float), TEXT
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
HYPERPARAMETER_NAMES = st.sampled_from(
    ["n_estimators", "max_depth", "C", "alpha", "criterion", "max_iter", "penalty", "l1_ratio"]
)
HYPERPARAMETERS = st.dictionaries(HYPERPARAMETER_NAMES | st.text(max_size=10), JSON, max_size=4)
MODEL_NAMES = [FUZZ_MODEL, BASE_MODEL, "models/fz-absent", *(f"models/{t}" for t in TRAVERSALS)]
DATASET_NAMES = [f"datasets/{IRIS}", FUZZ_DATASET, "datasets/fz-absent", "datasets/../x"]
COLUMNS = st.sampled_from(["target", "sepal length (cm)", "petal width (cm)"]) | TEXT
CELLS = st.one_of(JSON_LEAVES, JSON, st.just([]), st.just({"nested": [1, {"x": None}]}))
ROW = st.one_of(st.lists(FLOATS, min_size=4, max_size=4), st.lists(CELLS, max_size=6), st.just([]))
ROWS = st.one_of(
    st.lists(ROW, max_size=4),
    st.integers(0, 700).map(lambda n: [[5.1, 3.5, 1.4, 0.2]] * n),
)
ID_LIKE = st.from_regex(r"fz-[a-z0-9-]{0,20}", fullmatch=True) | TEXT
CSV_BYTES = st.sampled_from(
    [b"a,b\n1,2\n", b"a,a\n1,2\n", b"", b"\xff\xfe\x00", b"a\n" + b"1\n" * 200_000, b"[1, {]"]
)
BYTES = st.binary(max_size=64) | CSV_BYTES
PAGE_TOKENS = TEXT | st.binary(max_size=16).map(lambda b: base64.urlsafe_b64encode(b).decode())

# Strategies for the fields the service interprets, by message and field name.
NAMED: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("GetModelRequest", "name"): st.sampled_from(MODEL_NAMES) | TEXT,
    ("RetrainModelRequest", "name"): st.sampled_from([FUZZ_MODEL, "models/fz-absent"]) | TEXT,
    ("DeleteModelRequest", "name"): st.sampled_from(["models/fz-absent", *MODEL_NAMES[3:]]) | TEXT,
    ("PredictRequest", "name"): st.sampled_from(MODEL_NAMES) | TEXT,
    ("GetDatasetRequest", "name"): st.sampled_from(DATASET_NAMES) | TEXT,
    ("DeleteDatasetRequest", "name"): st.sampled_from(DATASET_NAMES[1:]) | TEXT,
    ("TrainModelRequest", "dataset"): st.sampled_from(DATASET_NAMES) | TEXT,
    ("TrainModelRequest", "model_class"): st.sampled_from(
        ["RandomForestClassifier", "Ridge", "LogisticRegression", "KNeighborsClassifier"]
    )
    | TEXT,
    ("TrainModelRequest", "target_column"): COLUMNS,
    ("TrainModelRequest", "feature_columns"): st.lists(COLUMNS, max_size=5),
    ("TrainModelRequest", "model_id"): ID_LIKE,
    ("UploadMetadata", "dataset_id"): ID_LIKE | st.sampled_from(TRAVERSALS),
    ("ListModelsRequest", "page_token"): PAGE_TOKENS,
    ("ListDatasetsRequest", "page_token"): PAGE_TOKENS,
    ("PredictRequest", "rows"): ROWS,
}


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    return struct(value)


def _list_value(values: list[Any]) -> struct_pb2.ListValue:
    out = struct_pb2.ListValue()
    out.extend(values)
    return out


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kinds = {
        FieldDescriptor.TYPE_STRING: TEXT,
        FieldDescriptor.TYPE_BYTES: BYTES,
        FieldDescriptor.TYPE_BOOL: st.booleans(),
        FieldDescriptor.TYPE_DOUBLE: FLOATS,
        FieldDescriptor.TYPE_FLOAT: FLOATS,
        FieldDescriptor.TYPE_ENUM: st.integers(-3, 9),
    }
    return kinds.get(field.type, INTS)


def _field(owner: Descriptor, field: FieldDescriptor) -> st.SearchStrategy[Any]:
    named = NAMED.get((owner.name, field.name))
    repeated = field.is_repeated
    if named is not None:
        return named.map(lambda v: [_list_value(r) for r in v]) if field.name == "rows" else named
    if field.message_type is not None:
        full = field.message_type.full_name
        if full == "google.protobuf.Struct":
            single = HYPERPARAMETERS.map(_struct)
        elif full == "google.protobuf.ListValue":
            single = st.lists(CELLS, max_size=5).map(_list_value)
        else:
            single = messages(field.message_type)
    else:
        single = _scalar(field)
    return st.lists(single, max_size=4) if repeated else single


def _build(descriptor: Descriptor, values: dict[str, Any]) -> protobuf_message.Message:
    message = _message_class(descriptor)()
    for name, value in values.items():
        field = descriptor.fields_by_name[name]
        target = getattr(message, name)
        if field.is_repeated:
            if field.message_type is not None:
                for item in value:
                    target.add().CopyFrom(item)
            else:
                target.extend(value)
        elif field.message_type is not None:
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def _message_class(descriptor: Descriptor) -> type[protobuf_message.Message]:
    return message_factory.GetMessageClass(descriptor)


def messages(descriptor: Descriptor) -> st.SearchStrategy[protobuf_message.Message]:
    """Messages of this type with any subset of their fields set to generated values."""
    optional = {f.name: _field(descriptor, f) for f in descriptor.fields}
    return st.fixed_dictionaries({}, optional=optional).map(lambda v: _build(descriptor, v))


# --- raw additions: deep nesting and damaged bytes -------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def deep_struct(depth: int) -> bytes:
    """A Struct holding a Struct ... `depth` levels deep, serialized by hand."""
    value = _field_bytes(3, b"leaf")  # Value.string_value
    for _ in range(depth):
        entry = _field_bytes(1, b"k") + _field_bytes(2, value)
        value = _field_bytes(5, _field_bytes(1, entry))  # Value.struct_value
    return _field_bytes(1, _field_bytes(1, b"n_estimators") + _field_bytes(2, value))


def _deep_list_value(depth: int) -> bytes:
    """A ListValue holding a ListValue ... `depth` levels deep."""
    value = _field_bytes(3, b"leaf")
    for _ in range(depth):
        value = _field_bytes(6, _field_bytes(1, value))  # Value.list_value
    return _field_bytes(1, value)


def _struct_field(descriptor: Descriptor) -> tuple[int, bool] | None:
    """The number of the first Struct or ListValue field, and whether it is a ListValue."""
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.full_name in (
            "google.protobuf.Struct",
            "google.protobuf.ListValue",
        ):
            return field.number, field.message_type.full_name.endswith("ListValue")
    return None


def extras(descriptor: Descriptor) -> st.SearchStrategy[bytes]:
    """Bytes appended to a serialized request: nothing, deep nesting, or damaged wire data."""
    options: list[st.SearchStrategy[bytes]] = [
        st.just(b""),
        st.sampled_from([b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", b"\x0a\x05ab"]),
    ]
    found = _struct_field(descriptor)
    if found is not None:
        number, is_list = found
        nest = _deep_list_value if is_list else deep_struct
        options.append(st.sampled_from([30, 100, 200]).map(lambda d: _field_bytes(number, nest(d))))
    return st.one_of(*options)


AUTHS = st.sampled_from([AUTH, AUTH, AUTH, (), (("authorization", "Bearer wrong"),)]) | st.just(
    (("authorization", TOKEN),)
)

# --- the tests ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_target(service: Service, ready_model: models_pb2.Model) -> Iterator[Service]:
    """A READY model and a dataset the fuzzing may use and destroy; its models removed after."""
    before = {m.name for m in all_models(service.channel)}
    upload(service.channel, FUZZ_DATASET.removeprefix("datasets/"), iris_csv())
    train(service.channel, FUZZ_MODEL.removeprefix("models/"), n_estimators=3)
    model = wait_for_state(service.channel, FUZZ_MODEL, 1, (models_pb2.MODEL_STATE_READY,))
    assert model.serving_version == 1
    yield service
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    for model in all_models(service.channel):
        if model.name not in before:
            stub.DeleteModel(models_pb2.DeleteModelRequest(name=model.name))


def _outcome(service: Service, rpc: str, payload: bytes, metadata: Any) -> grpc.StatusCode:
    path, _, response = RPCS[rpc]
    call = service.plain.unary_unary(
        path, request_serializer=lambda b: b, response_deserializer=response.FromString
    )
    try:
        call(payload, metadata=metadata, timeout=120)
    except grpc.RpcError as error:
        assert error.code() in DOCUMENTED, (rpc, error.code(), error.details())
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("rpc", list(RPCS))
def test_unary_rpcs_answer_only_documented_codes(fuzz_target: Service, rpc: str) -> None:
    request_type = RPCS[rpc][1]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        request=messages(request_type.DESCRIPTOR), extra=extras(request_type.DESCRIPTOR), auth=AUTHS
    )
    def check(request: protobuf_message.Message, extra: bytes, auth: Any) -> None:
        _outcome(fuzz_target, rpc, request.SerializeToString() + extra, auth)

    check()


UPLOAD_MESSAGES = st.one_of(
    messages(datasets_pb2.UploadMetadata.DESCRIPTOR).map(
        lambda m: datasets_pb2.UploadDatasetRequest(metadata=m)
    ),
    BYTES.map(lambda b: datasets_pb2.UploadDatasetRequest(chunk=b)),
    st.just(datasets_pb2.UploadDatasetRequest()),
)
UPLOAD_STREAMS = st.one_of(
    st.lists(UPLOAD_MESSAGES, max_size=5),
    st.tuples(ID_LIKE, CSV_BYTES).map(
        lambda v: [
            datasets_pb2.UploadDatasetRequest(
                metadata=datasets_pb2.UploadMetadata(dataset_id=v[0], format=1)
            ),
            datasets_pb2.UploadDatasetRequest(chunk=v[1]),
        ]
    ),
)


def test_upload_stream_answers_only_documented_codes(fuzz_target: Service) -> None:
    call = fuzz_target.plain.stream_unary(
        "/mlservice.v1.DatasetService/UploadDataset",
        request_serializer=lambda b: b,
        response_deserializer=datasets_pb2.DatasetVersion.FromString,
    )

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(stream=UPLOAD_STREAMS, damaged=st.booleans(), auth=AUTHS)
    def check(stream: list[datasets_pb2.UploadDatasetRequest], damaged: bool, auth: Any) -> None:
        payloads = [m.SerializeToString() for m in stream]
        if damaged and payloads:
            payloads[-1] += b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
        try:
            call(iter(payloads), metadata=auth, timeout=120)
        except grpc.RpcError as error:
            assert error.code() in DOCUMENTED, (error.code(), error.details())

    check()


def test_server_is_still_serving_after_the_fuzzing(fuzz_target: Service) -> None:
    assert fuzz_target.server.alive()
    assert health(fuzz_target.target) == health_pb2.HealthCheckResponse.SERVING
    stub = models_pb2_grpc.ModelServiceStub(fuzz_target.channel)
    assert stub.GetModel(models_pb2.GetModelRequest(name=FUZZ_MODEL)).serving_version >= 1


@pytest.mark.parametrize("depth", [30, 100])
def test_deeply_nested_struct_is_invalid_argument(fuzz_target: Service, depth: int) -> None:
    request = models_pb2.TrainModelRequest(
        model_class="RandomForestClassifier", dataset=f"datasets/{IRIS}", target_column="target"
    )
    payload = request.SerializeToString() + _field_bytes(3, deep_struct(depth))
    code = _outcome(fuzz_target, "TrainModel", payload, AUTH)
    assert code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_non_finite_hyperparameters_are_invalid_argument(
    fuzz_target: Service, number: float
) -> None:
    stub = models_pb2_grpc.ModelServiceStub(fuzz_target.channel)
    hyperparameters = struct({"n_estimators": number})
    for call, request in (
        (
            stub.TrainModel,
            models_pb2.TrainModelRequest(
                model_class="RandomForestClassifier",
                hyperparameters=hyperparameters,
                dataset=f"datasets/{IRIS}",
                target_column="target",
            ),
        ),
        (
            stub.RetrainModel,
            models_pb2.RetrainModelRequest(name=FUZZ_MODEL, hyperparameters=hyperparameters),
        ),
    ):
        with pytest.raises(grpc.RpcError) as error:
            call(request)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, error.value.details()
        assert "hyperparameters" in violations(error.value)
