import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ComponentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPONENT_STATE_UNSPECIFIED: _ClassVar[ComponentState]
    COMPONENT_STATE_OK: _ClassVar[ComponentState]
    COMPONENT_STATE_DEGRADED: _ClassVar[ComponentState]
    COMPONENT_STATE_DOWN: _ClassVar[ComponentState]
COMPONENT_STATE_UNSPECIFIED: ComponentState
COMPONENT_STATE_OK: ComponentState
COMPONENT_STATE_DEGRADED: ComponentState
COMPONENT_STATE_DOWN: ComponentState

class ComponentStatus(_message.Message):
    __slots__ = ("name", "state", "message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: ComponentState
    message: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[ComponentState, str]] = ..., message: _Optional[str] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Counts(_message.Message):
    __slots__ = ("datasets", "dataset_versions", "models", "models_by_state")
    class ModelsByStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    DATASET_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    MODELS_BY_STATE_FIELD_NUMBER: _ClassVar[int]
    datasets: int
    dataset_versions: int
    models: int
    models_by_state: _containers.ScalarMap[str, int]
    def __init__(self, datasets: _Optional[int] = ..., dataset_versions: _Optional[int] = ..., models: _Optional[int] = ..., models_by_state: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("version", "start_time", "uptime", "state", "components", "counts", "serving_stats")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    SERVING_STATS_FIELD_NUMBER: _ClassVar[int]
    version: str
    start_time: _timestamp_pb2.Timestamp
    uptime: _duration_pb2.Duration
    state: ComponentState
    components: _containers.RepeatedCompositeFieldContainer[ComponentStatus]
    counts: Counts
    serving_stats: ServingStats
    def __init__(self, version: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., state: _Optional[_Union[ComponentState, str]] = ..., components: _Optional[_Iterable[_Union[ComponentStatus, _Mapping]]] = ..., counts: _Optional[_Union[Counts, _Mapping]] = ..., serving_stats: _Optional[_Union[ServingStats, _Mapping]] = ...) -> None: ...

class ServingStats(_message.Message):
    __slots__ = ("requests_per_second", "predict_latency_p50_ms", "predict_latency_p99_ms", "predict_latency_samples", "model_cache_hit_rate", "trainings_by_state")
    class TrainingsByStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    REQUESTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    PREDICT_LATENCY_P50_MS_FIELD_NUMBER: _ClassVar[int]
    PREDICT_LATENCY_P99_MS_FIELD_NUMBER: _ClassVar[int]
    PREDICT_LATENCY_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    MODEL_CACHE_HIT_RATE_FIELD_NUMBER: _ClassVar[int]
    TRAININGS_BY_STATE_FIELD_NUMBER: _ClassVar[int]
    requests_per_second: float
    predict_latency_p50_ms: float
    predict_latency_p99_ms: float
    predict_latency_samples: int
    model_cache_hit_rate: float
    trainings_by_state: _containers.ScalarMap[str, int]
    def __init__(self, requests_per_second: _Optional[float] = ..., predict_latency_p50_ms: _Optional[float] = ..., predict_latency_p99_ms: _Optional[float] = ..., predict_latency_samples: _Optional[int] = ..., model_cache_hit_rate: _Optional[float] = ..., trainings_by_state: _Optional[_Mapping[str, int]] = ...) -> None: ...
