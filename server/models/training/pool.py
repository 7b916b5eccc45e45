"""A fixed number of training slots fed in order from a queue; runs can be cancelled."""

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass

from loguru import logger

from server.metrics import hooks as metrics_hooks


@dataclass(frozen=True)
class QueuedRun:
    """A run waiting for a slot: which model version, and the request that asked for it."""

    model_id: str
    version: int
    run_id: str
    request_id: str


RunFunction = Callable[[QueuedRun], Coroutine[None, None, None]]


class TrainingPool:
    """`size` workers take runs first-in first-out; each run is its own cancellable task.

    A run holds its slot until its worker process ends, compiling included: a model's
    version can be READY (and retrained) while its run still compiles, so one model can
    have several runs in the slots at once.
    """

    def __init__(self, size: int, run: RunFunction) -> None:
        self.size = size
        self._run = run
        self._queue: asyncio.Queue[QueuedRun] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._running: dict[str, tuple[QueuedRun, asyncio.Task[None]]] = {}  # by run id

    def start(self) -> None:
        """Start the worker tasks."""
        self._workers = [
            asyncio.create_task(self._work(), name=f"training-slot-{i}") for i in range(self.size)
        ]

    def submit(self, run: QueuedRun) -> None:
        """Queue a run; it starts when a slot is free, after every run queued before it."""
        self._queue.put_nowait(run)
        metrics_hooks.training_slots(self.queued, self.busy)  # metrics

    async def cancel(self, model_id: str) -> None:
        """Stop the model's runs (killing their processes) and wait until they have ended."""
        await _cancel([task for run, task in self._running.values() if run.model_id == model_id])

    async def stop(self) -> None:
        """Cancel every run and worker."""
        await _cancel([task for _, task in self._running.values()])
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    @property
    def alive(self) -> int:
        """How many worker tasks are running."""
        return sum(not w.done() for w in self._workers)

    @property
    def busy(self) -> int:
        """How many runs hold a slot now (training, or compiling once READY)."""
        return len(self._running)

    @property
    def queued(self) -> int:
        """How many runs wait for a slot."""
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            run = await self._queue.get()
            task = asyncio.create_task(self._run(run), name=f"train-{run.model_id}-v{run.version}")
            self._running[run.run_id] = (run, task)
            metrics_hooks.training_slots(self.queued, self.busy)  # metrics
            try:
                await asyncio.wait([task])
                if not task.cancelled() and task.exception() is not None:
                    logger.opt(exception=task.exception()).error(
                        "training run of models/{} v{} crashed", run.model_id, run.version
                    )
            finally:
                self._running.pop(run.run_id, None)
                self._queue.task_done()
                metrics_hooks.training_slots(self.queued, self.busy)  # metrics


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait until every one has ended."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
