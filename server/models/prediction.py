"""The answer of a Predict call, whichever engine computed it."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """One prediction per row; for classifiers the classes and, when available, probabilities."""

    predictions: list[Any]
    model_version: int
    classes: list[Any] = field(default_factory=list)
    probabilities: list[list[float]] = field(default_factory=list)
    engine: str = ""  # "onnx" | "sklearn"
