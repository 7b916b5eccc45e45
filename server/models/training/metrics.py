"""Held-out metrics: accuracy, f1_macro, roc_auc (where defined) or r2, mae, rmse."""

import math
import warnings
from typing import Any

import numpy as np
from loguru import logger
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline

from server.models.classes import Task
from server.models.compiled.parity import Outputs


def held_out_outputs(pipeline: Pipeline, task: Task, x_test: Any) -> Outputs:
    """scikit-learn's answers on the held-out rows: labels or values, and class probabilities.

    Computed once: the metrics use them, and so does the parity gate when compiling.
    """
    probabilities = None
    if task is Task.CLASSIFICATION and hasattr(pipeline, "predict_proba"):
        try:
            probabilities = np.asarray(pipeline.predict_proba(x_test))
        except (ValueError, AttributeError):
            logger.warning("predict_proba failed on the held-out rows; no probabilities")
    return Outputs(np.asarray(pipeline.predict(x_test)), probabilities)


def evaluate(
    pipeline: Pipeline, task: Task, outputs: Outputs, x_test: Any, y_test: Any
) -> dict[str, float]:
    """The metrics of a fitted pipeline from its held-out `outputs`; undefined ones left out."""
    predicted = outputs.predictions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task is Task.CLASSIFICATION:
            metrics = {
                "accuracy": accuracy_score(y_test, predicted),
                "f1_macro": f1_score(y_test, predicted, average="macro"),
                "roc_auc": _roc_auc(pipeline, outputs.probabilities, x_test, y_test),
            }
        else:
            metrics = {
                "r2": r2_score(y_test, predicted) if len(y_test) > 1 else math.nan,
                "mae": mean_absolute_error(y_test, predicted),
                "rmse": root_mean_squared_error(y_test, predicted),
            }
    return {name: float(value) for name, value in metrics.items() if math.isfinite(value)}


def _roc_auc(
    pipeline: Pipeline, probabilities: np.ndarray | None, x_test: Any, y_test: Any
) -> float:
    """Binary: from P(positive) or the decision function; multiclass: one-vs-rest on probas."""
    classes = pipeline.classes_
    try:
        if len(classes) == 2:
            if probabilities is not None:
                scores = probabilities[:, 1]
            else:
                scores = pipeline.decision_function(x_test)
            return float(roc_auc_score(np.asarray(y_test) == classes[1], scores))
        if probabilities is not None:
            return float(roc_auc_score(y_test, probabilities, multi_class="ovr", labels=classes))
    except (ValueError, AttributeError):
        pass  # e.g. a class missing from the held-out rows
    return math.nan
