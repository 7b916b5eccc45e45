"""`python -m server.models.training.worker`: run one training job in a fresh interpreter.

Protocol: after its imports the worker waits for the job, one JSON line on stdin, and
answers with JSON lines on stdout: `{"progress": p, "stage": s}` while it works, then
`{"metrics": {...}, "compiled": {...}}` (the compile outcome) or `{"error": "..."}`.
Anything else writing to stdout goes to stderr instead, so the protocol stays clean; logs go
to stderr. The worker exits when stdin closes (the server stopped or died).
In ClearML mode (the job's `clearml_project` is set) it first sends `{"clearml_task_id": id}`
and its last message carries `clearml_task_id` and `clearml_model_id` (see `tracked`).
"""

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from loguru import logger


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
    """Read the job, train, report; exit status 0 on success, 1 on failure."""
    out = _protocol_stream()
    logger.remove()
    # No variable values in tracebacks: they could show the user's data in the server log.
    logger.add(sys.stderr, level="INFO", format="{level} {message}", diagnose=False)

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")

    # Import first: a spare worker does this before it is given a job.
    from server.models.training.fit import TrainingError
    from server.models.training.job import TrainJob
    from server.models.training.tracked import preload, run_tracked

    if os.environ.get("CLEARML_CONFIG_FILE"):  # ClearML mode: the SDK as well
        preload()

    job_line = sys.stdin.readline()
    if not job_line.strip():
        return 0  # the server stopped or no longer needs this spare
    _exit_when_parent_goes()
    try:
        job = TrainJob.from_json(job_line)
        if job.clearml_project:  # ClearML mode: the run is a ClearML Task
            return run_tracked(job, send, _fit)
        message = _fit(job, lambda p, s: send({"progress": p, "stage": s}))
    except TrainingError as error:
        send({"error": str(error)})
        return 1
    except Exception as error:
        logger.exception("training failed unexpectedly")
        send({"error": f"internal error during training ({type(error).__name__})"})
        return 1
    send(message)
    return 0


def _fit(job: Any, report: Callable[[float, str], None]) -> dict[str, Any]:
    """Train the job (a `TrainJob`); return the protocol's success message."""
    from server.models.training.fit import train_and_compile

    result = train_and_compile(job, report)
    return {"metrics": result.metrics, "compiled": result.compiled.to_dict()}


if __name__ == "__main__":
    sys.exit(main())
