"""Run one `TrainJob` in a fresh worker interpreter and follow it to the end.

Two phases, each with the time limit: training, until the worker reports the metrics (the
weights are saved: `on_trained` runs then), and compiling, until it reports the compile
outcome. Whatever stops the compiling (time limit, crash) only makes it a scikit-learn
outcome saying so: the training stands.
"""

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loguru import logger

from server.models.compiled.outcome import SKLEARN, CompileOutcome
from server.models.training.job import TrainJob
from server.models.training.launcher import WorkerLauncher, spawn_worker

OUTPUT_LINES = 200
EXIT_GRACE_S = 5.0  # how long a worker that sent its last message may take to exit
ProgressCallback = Callable[[float], None]
TrackingCallback = Callable[[dict[str, str]], None]
TrainedCallback = Callable[[dict[str, float]], None]
TRACKING_KEYS = ("clearml_task_id", "clearml_model_id")
TRAINED_KEYS = ("metrics", "error")
COMPILED_KEYS = ("compiled",)


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
    """Train (and compile) in a fresh interpreter; the metrics, or `TrainingFailed`."""
    return (await run_training(job, timeout_s, on_progress, launcher, on_tracking)).metrics


async def run_training(
    job: TrainJob,
    timeout_s: float,
    on_progress: ProgressCallback,
    launcher: WorkerLauncher | None = None,
    on_tracking: TrackingCallback | None = None,
    on_trained: TrainedCallback | None = None,
) -> RunResult:
    """Train, then compile, in a fresh interpreter; the metrics and compile outcome.

    `TrainingFailed` when the training fails; `on_trained(metrics)` runs as soon as the
    weights are saved, before the compiling. Cancelling the awaiting task kills the process
    (used by delete and shutdown). `on_tracking` gets the ClearML ids as the worker reports
    them: the task id as soon as the task exists, both ids with the metrics. When the process
    is stopped before it closed its task (time limit, cancel, crash), the task is marked
    failed from here.
    """
    tracked: dict[str, str] = {}

    def track(ids: dict[str, str]) -> None:
        tracked.update(ids)
        if on_tracking is not None:
            on_tracking(ids)

    process = await (launcher.take() if launcher else spawn_worker())
    await _send_job(process, job)
    output = asyncio.create_task(_collect_output(process))
    message: dict[str, Any] = {}
    stopped = "the training process was stopped"
    try:
        try:
            message = await _training(process, timeout_s, on_progress, track)
        except TimeoutError:
            stopped = f"training exceeded {timeout_s:g} s"
            raise TrainingFailed(stopped) from None
        metrics = _metrics(message, process.returncode)
        if on_trained is not None:
            on_trained(metrics)
        compiled = await _compiling(process, timeout_s, track)
    finally:
        await _stop(process)
        if launcher is not None:
            launcher.refill()
        lines = await _output_of(output)
        if not message:  # the worker did not close its ClearML task itself
            _fail_task(tracked, stopped)
        _log_output(job, lines, "metrics" in message)
    return RunResult(metrics, compiled)


async def _send_job(process: asyncio.subprocess.Process, job: TrainJob) -> None:
    """Write the job line; a dead spare shows up as an early exit instead."""
    assert process.stdin is not None
    with contextlib.suppress(ConnectionError):
        process.stdin.write(job.to_json().encode() + b"\n")
        await process.stdin.drain()


async def _training(
    process: asyncio.subprocess.Process,
    timeout_s: float,
    on_progress: ProgressCallback,
    on_tracking: TrackingCallback,
) -> dict[str, Any]:
    """The worker's metrics or error message; {} when it ended without one (then it exited)."""
    async with asyncio.timeout(timeout_s):
        message = await _read_protocol(process, on_progress, on_tracking, TRAINED_KEYS)
        if not message:
            await process.wait()  # the exit status says how it ended
    if "error" in message:
        await _let_exit(process)
    return message


async def _compiling(
    process: asyncio.subprocess.Process, timeout_s: float, on_tracking: TrackingCallback
) -> CompileOutcome:
    """The worker's compile outcome; a scikit-learn one saying why when it sent none."""
    try:
        async with asyncio.timeout(timeout_s):
            message = await _read_protocol(process, _ignore, on_tracking, COMPILED_KEYS)
            if not message:
                await process.wait()
    except TimeoutError:
        logger.warning("compiling exceeded {:g} s: the worker is stopped", timeout_s)
        return CompileOutcome(SKLEARN, f"not compiled: compiling exceeded {timeout_s:g} s")
    if not message:
        logger.warning("the worker exited while compiling (status {})", process.returncode)
        why = f"the worker exited with status {process.returncode}"
        return CompileOutcome(SKLEARN, f"not compiled: {why} while compiling")
    await _let_exit(process)
    return CompileOutcome.from_dict(message["compiled"])


async def _let_exit(process: asyncio.subprocess.Process) -> None:
    """Give a worker that sent its last message `EXIT_GRACE_S` to exit (then it is killed)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), EXIT_GRACE_S)


def _ignore(progress: float) -> None:
    """Progress reported while compiling is not shown (the version is READY)."""


async def _read_protocol(
    process: asyncio.subprocess.Process,
    on_progress: ProgressCallback,
    on_tracking: TrackingCallback,
    final_keys: tuple[str, ...],
) -> dict[str, Any]:
    """Follow the worker's JSON lines; return the first with one of `final_keys` ({} at EOF)."""
    assert process.stdout is not None
    async for line in process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if ids := {key: str(message[key]) for key in TRACKING_KEYS if message.get(key)}:
            on_tracking(ids)
        if "progress" in message:
            on_progress(float(message["progress"]))
        elif any(key in message for key in final_keys):
            return dict(message)
    return {}


def _metrics(message: dict[str, Any], returncode: int | None) -> dict[str, float]:
    """The metrics of the worker's message, else `TrainingFailed` with its error."""
    if "metrics" in message:
        return {str(k): float(v) for k, v in message["metrics"].items()}
    if "error" in message:
        raise TrainingFailed(str(message["error"]))
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
