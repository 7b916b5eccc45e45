"""Start worker interpreters, keeping a few started ahead so a run skips the import time.

Each process still runs exactly one job (a fresh interpreter per run): a spare has only
imported the libraries and waits for its job line on stdin. Measured on a 2-CPU machine, the
imports take 5-10 s when idle and 20-30 s under load (an idle spare holds about 220 MB); a
warm spare turns that into the few milliseconds of sending the job.
"""

import asyncio
import contextlib
import os
import sys

WORKER_MODULE = "server.models.training.worker"
STREAM_LIMIT = 1024 * 1024  # longest line read from a worker
Process = asyncio.subprocess.Process


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_environment(threads: int) -> dict[str, str]:
    """The server's environment, with native thread pools capped unless set explicitly."""
    return {**{name: str(threads) for name in THREAD_VARIABLES}, **os.environ}


async def spawn_worker(threads: int = 0) -> Process:
    """A new worker interpreter with piped stdin, stdout and stderr.

    With `threads`, its OpenMP/BLAS pools are capped so parallel runs do not oversubscribe.
    """
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        WORKER_MODULE,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=STREAM_LIMIT,
        env=worker_environment(threads) if threads else None,
    )


class WorkerLauncher:
    """Hands out worker processes; after the first run, keeps up to `spares` started ahead.

    Spares start lazily (a server that never trains pays nothing): the first run of a
    process starts cold, later ones usually find a warm spare.
    """

    def __init__(self, spares: int, threads: int = 0) -> None:
        self.spares = spares
        self.threads = threads
        self._idle: list[Process] = []
        self._starting: set[asyncio.Task[None]] = set()

    async def take(self) -> Process:
        """A live spare if there is one, else a process started now."""
        process = None
        while self._idle and process is None:
            candidate = self._idle.pop(0)
            if candidate.returncode is None:
                process = candidate
        if process is None:
            process = await spawn_worker(self.threads)
        return process

    def refill(self) -> None:
        """Start spares up to `spares` (in the background).

        Called when a run ends, not when one starts: on a small machine a spare's imports
        would take CPU from the fit it waits behind.
        """
        for _ in range(self.spares - len(self._idle) - len(self._starting)):
            task = asyncio.create_task(self._add_spare())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _add_spare(self) -> None:
        self._idle.append(await spawn_worker(self.threads))

    async def stop(self) -> None:
        """Kill the idle spares (a spare also exits by itself when its stdin closes)."""
        for task in list(self._starting):
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        for process in self._idle:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        self._idle = []
