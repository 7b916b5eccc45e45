"""The answer of a Predict call, whichever engine computed it."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Prediction:
    """One prediction per row; for classifiers the classes and, when available, probabilities.

    The arrays stay as the engine returned them: the response is written from them directly
    (`server.models.wire_answer`), numbers without a Python object per value.
    """

    predictions: np.ndarray  # [n]: numbers, or labels (str / bool / JSON scalars)
    model_version: int
    classes: list[Any] = field(default_factory=list)  # JSON values
    probabilities: np.ndarray | None = None  # [n, classes]
    engine: str = ""  # "onnx" | "sklearn"
