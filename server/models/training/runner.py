"""Run one `TrainJob` in a fresh worker interpreter and follow it to the end."""

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loguru import logger

from server.models.compiled.outcome import CompileOutcome
from server.models.training.job import TrainJob
from server.models.training.launcher import WorkerLauncher, spawn_worker

OUTPUT_LINES = 200
ProgressCallback = Callable[[float], None]
TrackingCallback = Callable[[dict[str, str]], None]
TRACKING_KEYS = ("clearml_task_id", "clearml_model_id")


class TrainingFailed(Exception):
    """The run ended without weights; the message is fit for users."""


@dataclass(frozen=True)
class RunResult:
    """A finished run: its held-out metrics and its compile outcome."""

    metrics: dict[str, float]
    compiled: CompileOutcome


async def run_job(
    job: TrainJob,
    timeout_s: float,
    on_progress: ProgressCallback,
    launcher: WorkerLauncher | None = None,
    on_tracking: TrackingCallback | None = None,
) -> dict[str, float]:
    """Train in a fresh interpreter; return the metrics, raise `TrainingFailed` otherwise."""
    return (await run_training(job, timeout_s, on_progress, launcher, on_tracking)).metrics


async def run_training(
    job: TrainJob,
    timeout_s: float,
    on_progress: ProgressCallback,
    launcher: WorkerLauncher | None = None,
    on_tracking: TrackingCallback | None = None,
) -> RunResult:
    """Train in a fresh interpreter; the metrics and compile outcome, or `TrainingFailed`.

    Cancelling the awaiting task kills the process (used by delete and shutdown).
    `on_tracking` gets the ClearML ids as the worker reports them: the task id as soon as the
    task exists, both ids with the final message. When the process is stopped before it
    closed its task (time limit, cancel, crash), the task is marked failed from here.
    """
    tracked: dict[str, str] = {}

    def track(ids: dict[str, str]) -> None:
        tracked.update(ids)
        if on_tracking is not None:
            on_tracking(ids)

    process = await (launcher.take() if launcher else spawn_worker())
    assert process.stdin is not None
    with contextlib.suppress(ConnectionError):  # a dead spare: reported as an early exit
        process.stdin.write(job.to_json().encode() + b"\n")
        await process.stdin.drain()
    output = asyncio.create_task(_collect_output(process))
    outcome: dict[str, Any] = {}
    worker_done = False
    try:
        async with asyncio.timeout(timeout_s):
            outcome = await _read_protocol(process, on_progress, track)
            worker_done = bool(outcome)
            await process.wait()
    except TimeoutError:
        outcome = {"error": f"training exceeded {timeout_s:g} s"}
    finally:
        await _stop(process)
        lines = await _output_of(output)
        if not worker_done:
            _fail_task(tracked, outcome.get("error", "the training process was stopped"))
    succeeded = "metrics" in outcome and process.returncode == 0
    _log_output(job, lines, succeeded)
    return _result(outcome, process.returncode)


async def _read_protocol(
    process: asyncio.subprocess.Process,
    on_progress: ProgressCallback,
    on_tracking: TrackingCallback,
) -> dict[str, Any]:
    """Follow the worker's JSON lines; return the final one (metrics or error)."""
    assert process.stdout is not None
    async for line in process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if ids := {key: str(message[key]) for key in TRACKING_KEYS if message.get(key)}:
            on_tracking(ids)
        if "progress" in message:
            on_progress(float(message["progress"]))
        elif "metrics" in message or "error" in message:
            return dict(message)
    return {}


def _result(outcome: dict[str, Any], returncode: int | None) -> RunResult:
    if "metrics" in outcome and returncode == 0:
        metrics = {str(k): float(v) for k, v in outcome["metrics"].items()}
        return RunResult(metrics, CompileOutcome.from_dict(outcome.get("compiled")))
    if "error" in outcome:
        raise TrainingFailed(str(outcome["error"]))
    raise TrainingFailed(f"the training process exited unexpectedly (status {returncode})")


def _fail_task(tracked: dict[str, str], reason: str) -> None:
    """Mark the run's ClearML task failed, if it has one, in the background (best effort)."""
    task_id = tracked.get("clearml_task_id")
    if not task_id:
        return

    def fail() -> None:
        from server.clearml.tracking import fail_task

        try:
            fail_task(task_id, reason)
        except Exception as error:
            logger.warning("could not mark ClearML task {} failed: {}", task_id, error)

    threading.Thread(target=fail, daemon=True, name=f"clearml-fail-{task_id}").start()


async def _collect_output(process: asyncio.subprocess.Process) -> list[str]:
    """The worker's stderr (its logs and warnings), last `OUTPUT_LINES` lines."""
    assert process.stderr is not None
    tail: deque[str] = deque(maxlen=OUTPUT_LINES)
    with contextlib.suppress(ValueError):  # a line over the stream limit ends the reading
        async for raw in process.stderr:
            tail.append(raw.decode(errors="replace").rstrip())
    return list(tail)


async def _output_of(collecting: asyncio.Task[list[str]]) -> list[str]:
    """The collected output; nothing if the pipe stays open 5 s after the worker ended."""
    try:
        return await asyncio.wait_for(collecting, 5)
    except TimeoutError:
        return []


def _log_output(job: TrainJob, lines: list[str], succeeded: bool) -> None:
    """One log record with the worker's output: a warning when the run failed."""
    text = "\n".join(line for line in lines if line)
    if text:
        level = "DEBUG" if succeeded else "WARNING"
        logger.log(level, "worker output of models/{} v{}:\n{}", job.model_id, job.version, text)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Kill the process if it still runs and reap it (safe when already finished)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    if process.stdin is not None:
        process.stdin.close()
    await asyncio.shield(process.wait())
