"""The engines, and the outcome of compiling a trained pipeline: which engine serves it, why."""

from dataclasses import dataclass
from typing import Any

ONNX = "onnx"
SKLEARN = "sklearn"
ENGINES = (ONNX, SKLEARN)


@dataclass(frozen=True)
class CompileOutcome:
    """The engine a version serves with, why not ONNX (`note`), and the parity figure."""

    engine: str
    note: str = ""
    max_abs_diff: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The outcome as a JSON object (the worker protocol)."""
        return {"engine": self.engine, "note": self.note, "max_abs_diff": self.max_abs_diff}

    @classmethod
    def from_dict(cls, data: Any) -> "CompileOutcome":
        """An outcome from `to_dict` output; scikit-learn when it is missing or malformed."""
        if not isinstance(data, dict) or data.get("engine") not in ENGINES:
            return NOT_COMPILED
        diff = data.get("max_abs_diff")
        return cls(
            engine=str(data["engine"]),
            note=str(data.get("note") or ""),
            max_abs_diff=float(diff) if isinstance(diff, int | float) else None,
        )


NOT_COMPILED = CompileOutcome(SKLEARN, "not compiled")
# A READY version whose compiling is still running: scikit-learn serves it meanwhile. Clients
# wait for the compile outcome by polling until `engine_note` is no longer this note.
COMPILING = CompileOutcome(SKLEARN, "compiling")
# A compiling stopped by a shutdown (or a crash) of the server before the worker reported.
INTERRUPTED = CompileOutcome(SKLEARN, "not compiled: the server stopped while compiling")
