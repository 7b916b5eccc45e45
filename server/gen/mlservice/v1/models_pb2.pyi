import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Task(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_UNSPECIFIED: _ClassVar[Task]
    TASK_CLASSIFICATION: _ClassVar[Task]
    TASK_REGRESSION: _ClassVar[Task]

class ValueType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALUE_TYPE_UNSPECIFIED: _ClassVar[ValueType]
    VALUE_TYPE_INT: _ClassVar[ValueType]
    VALUE_TYPE_FLOAT: _ClassVar[ValueType]
    VALUE_TYPE_BOOL: _ClassVar[ValueType]
    VALUE_TYPE_STRING: _ClassVar[ValueType]
    VALUE_TYPE_NULL: _ClassVar[ValueType]

class ModelState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_STATE_UNSPECIFIED: _ClassVar[ModelState]
    MODEL_STATE_QUEUED: _ClassVar[ModelState]
    MODEL_STATE_TRAINING: _ClassVar[ModelState]
    MODEL_STATE_READY: _ClassVar[ModelState]
    MODEL_STATE_FAILED: _ClassVar[ModelState]
TASK_UNSPECIFIED: Task
TASK_CLASSIFICATION: Task
TASK_REGRESSION: Task
VALUE_TYPE_UNSPECIFIED: ValueType
VALUE_TYPE_INT: ValueType
VALUE_TYPE_FLOAT: ValueType
VALUE_TYPE_BOOL: ValueType
VALUE_TYPE_STRING: ValueType
VALUE_TYPE_NULL: ValueType
MODEL_STATE_UNSPECIFIED: ModelState
MODEL_STATE_QUEUED: ModelState
MODEL_STATE_TRAINING: ModelState
MODEL_STATE_READY: ModelState
MODEL_STATE_FAILED: ModelState

class ValueConstraint(_message.Message):
    __slots__ = ("type", "minimum", "maximum", "minimum_inclusive", "maximum_inclusive", "allowed_values", "description")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_VALUES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    type: ValueType
    minimum: float
    maximum: float
    minimum_inclusive: bool
    maximum_inclusive: bool
    allowed_values: _containers.RepeatedScalarFieldContainer[str]
    description: str
    def __init__(self, type: _Optional[_Union[ValueType, str]] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., minimum_inclusive: _Optional[bool] = ..., maximum_inclusive: _Optional[bool] = ..., allowed_values: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class HyperparameterSpec(_message.Message):
    __slots__ = ("name", "type", "default_value", "constraints", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    default_value: _struct_pb2.Value
    constraints: _containers.RepeatedCompositeFieldContainer[ValueConstraint]
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., default_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., constraints: _Optional[_Iterable[_Union[ValueConstraint, _Mapping]]] = ..., description: _Optional[str] = ...) -> None: ...

class ModelClass(_message.Message):
    __slots__ = ("name", "task", "description", "hyperparameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    task: Task
    description: str
    hyperparameters: _containers.RepeatedCompositeFieldContainer[HyperparameterSpec]
    def __init__(self, name: _Optional[str] = ..., task: _Optional[_Union[Task, str]] = ..., description: _Optional[str] = ..., hyperparameters: _Optional[_Iterable[_Union[HyperparameterSpec, _Mapping]]] = ...) -> None: ...

class ListModelClassesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelClassesResponse(_message.Message):
    __slots__ = ("model_classes",)
    MODEL_CLASSES_FIELD_NUMBER: _ClassVar[int]
    model_classes: _containers.RepeatedCompositeFieldContainer[ModelClass]
    def __init__(self, model_classes: _Optional[_Iterable[_Union[ModelClass, _Mapping]]] = ...) -> None: ...

class ModelVersion(_message.Message):
    __slots__ = ("version", "state", "model_class", "hyperparameters", "dataset_version", "metrics", "error", "progress", "clearml_task_id", "clearml_model_id", "create_time", "update_time", "test_size", "random_state", "engine", "engine_note", "onnx_max_abs_diff")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_CLASS_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    DATASET_VERSION_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CLEARML_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CLEARML_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TEST_SIZE_FIELD_NUMBER: _ClassVar[int]
    RANDOM_STATE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_NOTE_FIELD_NUMBER: _ClassVar[int]
    ONNX_MAX_ABS_DIFF_FIELD_NUMBER: _ClassVar[int]
    version: int
    state: ModelState
    model_class: str
    hyperparameters: _struct_pb2.Struct
    dataset_version: int
    metrics: _containers.ScalarMap[str, float]
    error: str
    progress: float
    clearml_task_id: str
    clearml_model_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    test_size: float
    random_state: int
    engine: str
    engine_note: str
    onnx_max_abs_diff: float
    def __init__(self, version: _Optional[int] = ..., state: _Optional[_Union[ModelState, str]] = ..., model_class: _Optional[str] = ..., hyperparameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., dataset_version: _Optional[int] = ..., metrics: _Optional[_Mapping[str, float]] = ..., error: _Optional[str] = ..., progress: _Optional[float] = ..., clearml_task_id: _Optional[str] = ..., clearml_model_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., test_size: _Optional[float] = ..., random_state: _Optional[int] = ..., engine: _Optional[str] = ..., engine_note: _Optional[str] = ..., onnx_max_abs_diff: _Optional[float] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ("name", "model_class", "task", "hyperparameters", "dataset", "dataset_version", "target_column", "feature_columns", "state", "version", "metrics", "error", "clearml_task_id", "clearml_model_id", "create_time", "update_time", "serving_version", "progress", "versions", "engine", "engine_note", "onnx_max_abs_diff")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_CLASS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DATASET_VERSION_FIELD_NUMBER: _ClassVar[int]
    TARGET_COLUMN_FIELD_NUMBER: _ClassVar[int]
    FEATURE_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CLEARML_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CLEARML_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SERVING_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_NOTE_FIELD_NUMBER: _ClassVar[int]
    ONNX_MAX_ABS_DIFF_FIELD_NUMBER: _ClassVar[int]
    name: str
    model_class: str
    task: Task
    hyperparameters: _struct_pb2.Struct
    dataset: str
    dataset_version: int
    target_column: str
    feature_columns: _containers.RepeatedScalarFieldContainer[str]
    state: ModelState
    version: int
    metrics: _containers.ScalarMap[str, float]
    error: str
    clearml_task_id: str
    clearml_model_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    serving_version: int
    progress: float
    versions: _containers.RepeatedCompositeFieldContainer[ModelVersion]
    engine: str
    engine_note: str
    onnx_max_abs_diff: float
    def __init__(self, name: _Optional[str] = ..., model_class: _Optional[str] = ..., task: _Optional[_Union[Task, str]] = ..., hyperparameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., dataset: _Optional[str] = ..., dataset_version: _Optional[int] = ..., target_column: _Optional[str] = ..., feature_columns: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[ModelState, str]] = ..., version: _Optional[int] = ..., metrics: _Optional[_Mapping[str, float]] = ..., error: _Optional[str] = ..., clearml_task_id: _Optional[str] = ..., clearml_model_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., serving_version: _Optional[int] = ..., progress: _Optional[float] = ..., versions: _Optional[_Iterable[_Union[ModelVersion, _Mapping]]] = ..., engine: _Optional[str] = ..., engine_note: _Optional[str] = ..., onnx_max_abs_diff: _Optional[float] = ...) -> None: ...

class TrainModelRequest(_message.Message):
    __slots__ = ("model_id", "model_class", "hyperparameters", "dataset", "dataset_version", "target_column", "feature_columns", "test_size", "random_state")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_CLASS_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DATASET_VERSION_FIELD_NUMBER: _ClassVar[int]
    TARGET_COLUMN_FIELD_NUMBER: _ClassVar[int]
    FEATURE_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    TEST_SIZE_FIELD_NUMBER: _ClassVar[int]
    RANDOM_STATE_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    model_class: str
    hyperparameters: _struct_pb2.Struct
    dataset: str
    dataset_version: int
    target_column: str
    feature_columns: _containers.RepeatedScalarFieldContainer[str]
    test_size: float
    random_state: int
    def __init__(self, model_id: _Optional[str] = ..., model_class: _Optional[str] = ..., hyperparameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., dataset: _Optional[str] = ..., dataset_version: _Optional[int] = ..., target_column: _Optional[str] = ..., feature_columns: _Optional[_Iterable[str]] = ..., test_size: _Optional[float] = ..., random_state: _Optional[int] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "model_class")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_CLASS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: ModelState
    model_class: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[ModelState, str]] = ..., model_class: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "next_page_token")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    next_page_token: str
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RetrainModelRequest(_message.Message):
    __slots__ = ("name", "hyperparameters", "dataset_version", "test_size", "random_state")
    NAME_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    DATASET_VERSION_FIELD_NUMBER: _ClassVar[int]
    TEST_SIZE_FIELD_NUMBER: _ClassVar[int]
    RANDOM_STATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    hyperparameters: _struct_pb2.Struct
    dataset_version: int
    test_size: float
    random_state: int
    def __init__(self, name: _Optional[str] = ..., hyperparameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., dataset_version: _Optional[int] = ..., test_size: _Optional[float] = ..., random_state: _Optional[int] = ...) -> None: ...

class DeleteModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class PredictRequest(_message.Message):
    __slots__ = ("name", "version", "rows", "engine")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.ListValue]
    engine: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., rows: _Optional[_Iterable[_Union[_struct_pb2.ListValue, _Mapping]]] = ..., engine: _Optional[str] = ...) -> None: ...

class Probabilities(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class PredictResponse(_message.Message):
    __slots__ = ("predictions", "classes", "probabilities", "model_version", "engine")
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    predictions: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    classes: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    probabilities: _containers.RepeatedCompositeFieldContainer[Probabilities]
    model_version: int
    engine: str
    def __init__(self, predictions: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., classes: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., probabilities: _Optional[_Iterable[_Union[Probabilities, _Mapping]]] = ..., model_version: _Optional[int] = ..., engine: _Optional[str] = ...) -> None: ...
