"""What the model and dataset code report, in one line each; no-ops until a recorder is set.

The model cache, the training pool, the trainer and the dataset store call these functions
instead of holding a recorder, so none of their constructors change. `install` is called by
`App.start` and `uninstall` by `App.stop`; at most one recorder is active per process.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from server.metrics.recorder import MetricsRecorder


class _Slot:
    """Holds the active recorder."""

    recorder: MetricsRecorder | None = None


_ACTIVE = _Slot()


def install(recorder: MetricsRecorder) -> None:
    """Send every report to `recorder` from now on."""
    _ACTIVE.recorder = recorder


def uninstall(recorder: MetricsRecorder) -> None:
    """Stop sending reports to `recorder` (when it is the active one)."""
    if _ACTIVE.recorder is recorder:
        _ACTIVE.recorder = None


def predicted(rows: int, engine: str) -> None:
    """A Predict call answered `rows` rows with `engine` ("sklearn" or "onnx")."""
    if (recorder := _ACTIVE.recorder) is not None:
        recorder.predicted(rows, engine)


def model_cache_hit(engine: str) -> None:
    """A prediction found its model loaded in the `engine`'s cache."""
    if (recorder := _ACTIVE.recorder) is not None:
        recorder.model_cache_hit(engine)


@contextmanager
def model_load(engine: str) -> Iterator[None]:
    """Count a cache miss, and time the load in the `with` block when it succeeds."""
    recorder = _ACTIVE.recorder
    if recorder is not None:
        recorder.model_cache_miss(engine)
    started = time.perf_counter()
    yield
    if recorder is not None:
        recorder.model_loaded(engine, time.perf_counter() - started)


def model_cache_evicted(engine: str) -> None:
    """A loaded model was dropped from the `engine`'s cache to make room."""
    if (recorder := _ACTIVE.recorder) is not None:
        recorder.model_cache_evicted(engine)


def training_slots(queued: int, running: int) -> None:
    """The training queue length and the number of runs in progress changed."""
    if (recorder := _ACTIVE.recorder) is not None:
        recorder.training_slots(queued, running)


def training_finished(model_class: str, outcome: str, started: float) -> None:
    """A run started at `started` (`time.monotonic()`) ended: succeeded, failed or cancelled."""
    if (recorder := _ACTIVE.recorder) is not None:
        recorder.training_finished(model_class, outcome, time.monotonic() - started)


def dataset_upload(outcome: str, size_bytes: int, started: float) -> None:
    """An upload started at `started` (`time.monotonic()`) ended, storing `size_bytes`."""
    if (recorder := _ACTIVE.recorder) is not None:
        recorder.dataset_upload(outcome, size_bytes, time.monotonic() - started)
