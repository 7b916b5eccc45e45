"""A compiled model loaded into ONNX Runtime with the server's thread settings, and run.

One thread per call, sequential execution: the server already runs calls in parallel (one
per worker thread) and a 2-core machine gains nothing from splitting one call (measured:
docs/onnx.md). The model's metadata carries what the response needs besides the outputs.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from server.models.compiled.inputs import Feeds

CLASSES_KEY = "mlservice.classes"  # JSON list of the class labels (classifiers)
PROBABILITIES_KEY = "mlservice.probabilities"  # "1" when the second output is probabilities


@dataclass(frozen=True)
class CompiledModel:
    """An ONNX Runtime session, the class labels (JSON values) and whether it has probabilities."""

    session: ort.InferenceSession
    input_names: tuple[str, ...]  # in feature-column order
    classes: tuple[Any, ...]
    probabilities: bool


def session_options() -> ort.SessionOptions:
    """One intra-op and one inter-op thread, sequential execution, every graph optimisation."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return options


def load_compiled(model: Path | bytes) -> CompiledModel:
    """A session for an ONNX file (or its bytes), with the metadata the converter stored."""
    source = str(model) if isinstance(model, Path) else model
    session = ort.InferenceSession(
        source, sess_options=session_options(), providers=["CPUExecutionProvider"]
    )
    metadata = session.get_modelmeta().custom_metadata_map
    return CompiledModel(
        session=session,
        input_names=tuple(i.name for i in session.get_inputs()),
        classes=tuple(json.loads(metadata.get(CLASSES_KEY, "[]"))),
        probabilities=metadata.get(PROBABILITIES_KEY) == "1",
    )


def run(model: CompiledModel, feeds: Feeds) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels or values (one per row) and, when the model has them, class probabilities."""
    outputs = model.session.run(None, dict(zip(model.input_names, feeds, strict=True)))
    predictions = np.asarray(outputs[0]).reshape(-1)
    probabilities = np.asarray(outputs[1]) if model.probabilities else None
    return predictions, probabilities
