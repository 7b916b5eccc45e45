"""A fitted pipeline converted to ONNX with skl2onnx: one typed input per column, plain outputs.

Classifiers get their probabilities as a plain [n, classes] tensor (no ZipMap), and the
class labels are stored in the model's metadata. skl2onnx cannot impute NaN in string
columns, so the copy converted imputes `MISSING_STRING` instead, which the inputs put there.
"""

import copy
import json
from typing import Any

import onnx
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

from server.models.compiled.inputs import MISSING_STRING
from server.models.compiled.session import CLASSES_KEY, PROBABILITIES_KEY
from server.models.frames import NUMBER
from server.models.training.pipeline import string_steps
from server.models.values import to_json_value


class CompileError(Exception):
    """The pipeline cannot be compiled faithfully."""


def input_types(feature_types: dict[str, str]) -> list[tuple[str, Any]]:
    """One [None, 1] input per feature column: float for numbers, string for strings."""
    return [
        (name, FloatTensorType([None, 1]) if kind == NUMBER else StringTensorType([None, 1]))
        for name, kind in feature_types.items()
    ]


def to_onnx(pipeline: Pipeline, feature_types: dict[str, str], classification: bool) -> bytes:
    """The serialized ONNX model of a fitted pipeline, with its class labels in the metadata."""
    convertible = convertible_copy(pipeline)
    estimator = convertible.steps[-1][1]
    options = {id(estimator): {"zipmap": False}} if classification else None
    model = convert_sklearn(convertible, initial_types=input_types(feature_types), options=options)
    add_metadata(model, pipeline, classification)
    return bytes(model.SerializeToString())


def convertible_copy(pipeline: Pipeline) -> Pipeline:
    """A copy whose string imputer replaces `MISSING_STRING` instead of NaN."""
    copied = copy.deepcopy(pipeline)
    strings = string_steps(copied)
    if strings is not None:
        categories = strings.named_steps["encode"].categories_
        if any(MISSING_STRING in list(known) for known in categories):
            raise CompileError("a string column holds the missing-value marker")
        strings.named_steps["impute"].missing_values = MISSING_STRING
    return copied


def add_metadata(model: onnx.ModelProto, pipeline: Pipeline, classification: bool) -> None:
    """Store the class labels and whether the second output holds probabilities."""
    classes = [to_json_value(c) for c in pipeline.classes_] if classification else []
    probabilities = classification and hasattr(pipeline, "predict_proba")
    model.metadata_props.add(key=CLASSES_KEY, value=json.dumps(classes))
    model.metadata_props.add(key=PROBABILITIES_KEY, value="1" if probabilities else "0")
