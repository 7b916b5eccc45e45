"""`python -m server.models.training.worker`: run one training job in a fresh interpreter.

Protocol: after its imports the worker waits for the job, one JSON line on stdin, and
answers with JSON lines on stdout: `{"progress": p, "stage": s}` while it trains, then
`{"metrics": {...}}` as soon as the weights are saved (or `{"error": "..."}`, and it exits),
then compiles and sends `{"compiled": {...}}` (the compile outcome) and exits.
Anything else writing to stdout goes to stderr instead, so the protocol stays clean; logs go
to stderr. The worker exits when stdin closes (the server stopped or died).
In ClearML mode (the job's `clearml_project` is set) it first sends `{"clearml_task_id": id}`
and its metrics message carries `clearml_task_id` and `clearml_model_id` (see `tracked`);
the task is closed before that message, so compiling is not part of it. A compiled model
that passed is then uploaded to that ClearML model before the outcome is sent.
"""

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from loguru import logger

if TYPE_CHECKING:
    from server.models.training.fit import Trained
    from server.models.training.job import TrainJob


def _protocol_stream() -> IO[str]:
    """Keep the real stdout for the protocol and point fd 1 (and `sys.stdout`) at stderr."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def _exit_when_parent_goes() -> None:
    """Exit as soon as stdin reaches EOF: the server closed it or died."""

    def watch() -> None:
        sys.stdin.read()
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def main() -> int:
    """Read the job, train and report, then compile and report; exit 0 unless training failed."""
    out = _protocol_stream()
    logger.remove()
    # No variable values in tracebacks: they could show the user's data in the server log.
    logger.add(sys.stderr, level="INFO", format="{level} {message}", diagnose=False)

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")

    # Import first: a spare worker does this before it is given a job.
    from server.models.training import fit  # noqa: F401  (with scikit-learn, skl2onnx, ORT)
    from server.models.training.tracked import preload

    if os.environ.get("CLEARML_CONFIG_FILE"):  # ClearML mode: the SDK as well
        preload()

    job_line = sys.stdin.readline()
    if not job_line.strip():
        return 0  # the server stopped or no longer needs this spare
    _exit_when_parent_goes()
    run = _Run(send)
    status = run.train(job_line)
    if status == 0:
        run.compile()
    return status


class _Run:
    """One job in this process: train (the metrics are reported at once), then compile."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self.send = send
        self.job: TrainJob | None = None
        self.trained: Trained | None = None  # once the weights are saved
        self.clearml_model_id = ""  # once a tracked run published the weights

    def train(self, job_line: str) -> int:
        """Train the job and send the metrics (or the error); the exit status so far."""
        from server.models.training.fit import TrainingError
        from server.models.training.job import TrainJob
        from server.models.training.tracked import run_tracked

        try:
            self.job = TrainJob.from_json(job_line)
            if self.job.clearml_project:  # ClearML mode: the run is a ClearML Task
                return run_tracked(self.job, self._send_tracked, self._fit)
            message = self._fit(self.job, lambda p, s: self.send({"progress": p, "stage": s}))
        except TrainingError as error:
            self.send({"error": str(error)})
            return 1
        except Exception as error:
            logger.exception("training failed unexpectedly")
            self.send({"error": f"internal error during training ({type(error).__name__})"})
            return 1
        self.send(message)
        return 0

    def _send_tracked(self, message: dict[str, Any]) -> None:
        """Send a tracked run's message, keeping the ClearML model id it reports."""
        if message.get("clearml_model_id"):
            self.clearml_model_id = str(message["clearml_model_id"])
        self.send(message)

    def _fit(self, job: "TrainJob", report: Callable[[float, str], None]) -> dict[str, Any]:
        """Train and save (keeping what compiling needs); the protocol's metrics message."""
        from server.models.training.fit import train_and_save

        self.trained = train_and_save(job, report)
        return {"metrics": self.trained.metrics}

    def compile(self) -> None:
        """Compile, attach a passing ONNX file to the ClearML model, send the outcome.

        The outcome is scikit-learn, with the reason, when anything fails. Without a ClearML
        model (embedded mode, ClearML's offline mode) nothing is attached.
        """
        from server.models.compiled.outcome import SKLEARN, CompileOutcome
        from server.models.training.fit import compile_trained
        from server.models.training.tracked import attach_compiled

        assert self.job is not None and self.trained is not None
        logger.info("compiling models/{} v{}", self.job.model_id, self.job.version)
        try:
            outcome = compile_trained(self.job, self.trained)
        except Exception as error:
            logger.exception("compiling failed unexpectedly")
            outcome = CompileOutcome(SKLEARN, f"compiling failed ({type(error).__name__})")
        outcome = attach_compiled(self.job, self.clearml_model_id, outcome)
        self.send({"compiled": outcome.to_dict()})


if __name__ == "__main__":
    sys.exit(main())
