"""The parity gate: a compiled model serves only when it answers like scikit-learn.

On the held-out rows, fed as float32 exactly as at serving time: class labels must be equal
(same values, same kind: int or str); regression values and class probabilities must satisfy
`|onnx - sklearn| <= ATOL + RTOL * |sklearn|` everywhere (float32 arithmetic against
scikit-learn's float64 differs by about 1e-7 relative; 1e-4 leaves room for summed trees).
"""

from dataclasses import dataclass

import numpy as np

RTOL = 1e-4
ATOL = 1e-5


@dataclass(frozen=True)
class Outputs:
    """What one engine answered: labels or values, and class probabilities when it has them."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None


@dataclass(frozen=True)
class ParityResult:
    """Whether the compiled model passed, the largest difference seen, and why it failed."""

    passed: bool
    max_abs_diff: float | None
    reason: str = ""


def check_parity(expected: Outputs, actual: Outputs, classification: bool) -> ParityResult:
    """Compare scikit-learn's outputs (`expected`) with the compiled model's (`actual`)."""
    if classification:
        reason = label_mismatch(expected.predictions, actual.predictions)
        if reason:
            return ParityResult(False, None, reason)
        if expected.probabilities is None:
            return ParityResult(True, None)
        if actual.probabilities is None:
            return ParityResult(False, None, "the compiled model has no probabilities")
        return compare_numbers(expected.probabilities, actual.probabilities, "probabilities")
    return compare_numbers(expected.predictions, actual.predictions, "predictions")


def label_mismatch(expected: np.ndarray, actual: np.ndarray) -> str:
    """Why two label arrays differ (shape, kind or values); empty when they are equal."""
    expected, actual = np.asarray(expected).reshape(-1), np.asarray(actual).reshape(-1)
    if expected.shape != actual.shape:
        return f"{actual.size} labels for {expected.size} rows"
    if _label_kind(expected) != _label_kind(actual):
        return f"labels are {_label_kind(actual)}, expected {_label_kind(expected)}"
    differing = int(np.count_nonzero(expected != actual))
    return f"{differing} of {expected.size} labels differ" if differing else ""


def _label_kind(labels: np.ndarray) -> str:
    if labels.dtype.kind in "OUS":
        return "str" if all(isinstance(v, str) for v in labels.tolist()) else "mixed"
    return {"b": "bool", "i": "int", "u": "int", "f": "float"}.get(labels.dtype.kind, "other")


def compare_numbers(expected: np.ndarray, actual: np.ndarray, what: str) -> ParityResult:
    """Pass when every value is within tolerance; the largest absolute difference either way."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if actual.size != expected.size:
        return ParityResult(False, None, f"{what}: {actual.size} values, expected {expected.size}")
    actual = actual.reshape(expected.shape)
    if not np.isfinite(actual).all():
        return ParityResult(False, None, f"{what}: the compiled model returned NaN or inf")
    diff = np.abs(actual - expected)
    largest = float(diff.max()) if diff.size else 0.0
    outside = int(np.count_nonzero(diff > ATOL + RTOL * np.abs(expected)))
    if outside:
        reason = (
            f"{what}: {outside} of {diff.size} values differ beyond tolerance "
            f"(max abs diff {largest:.3g}; rtol {RTOL:g}, atol {ATOL:g})"
        )
        return ParityResult(False, largest, reason)
    return ParityResult(True, largest)
