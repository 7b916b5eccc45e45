"""Which engine answers a Predict call: the request's pin, else ONNX when it is compiled.

ONNX answers when the version has a compiled model and the batch is small enough for it to
be the faster one.
"""

from server.errors import FailedPrecondition, FieldViolation, InvalidArgument
from server.models.compiled.outcome import ENGINES, ONNX, SKLEARN
from server.models.records import VersionRecord

# Batches above this many rows go to scikit-learn. Measured on 2 cores (docs/onnx.md): the
# ONNX path (one thread) was faster at every batch size up to the 10,000-row request limit
# for a 100-tree forest and a logistic regression (at 10,000 rows the forests themselves
# take about as long; scikit-learn loses by walking them twice, for labels and
# probabilities), so the cutoff sits at that limit. Lower it if a class turns out faster
# in scikit-learn on big batches.
ONNX_MAX_ROWS = 10_000


def checked_engine(pinned: str) -> str:
    """The pinned engine ("" for none); INVALID_ARGUMENT when it is not one we know."""
    if pinned and pinned not in ENGINES:
        allowed = ", ".join(repr(e) for e in ("", *ENGINES))
        raise InvalidArgument(
            "invalid engine",
            [FieldViolation("engine", f"must be one of {allowed}, got {pinned!r}")],
        )
    return pinned


def choose_engine(pinned: str, model_id: str, version: VersionRecord, rows: int) -> str:
    """The engine for `rows` rows; FAILED_PRECONDITION when ONNX is pinned but not compiled."""
    compiled = version.engine == ONNX
    if pinned == ONNX and not compiled:
        why = f": {version.engine_note}" if version.engine_note else ""
        raise FailedPrecondition(
            f"models/{model_id} v{version.version} has no compiled (ONNX) model{why}"
        )
    if pinned:
        return pinned
    return ONNX if compiled and rows <= ONNX_MAX_ROWS else SKLEARN
