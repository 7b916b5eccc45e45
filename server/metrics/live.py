"""Live serving figures kept in memory for GetStatus: request rate, predict latency, ratios."""

import math
import time
from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 60
MAX_LATENCY_SAMPLES = 4096


class RateWindow:
    """Counts events in one-second slots over the last `WINDOW_SECONDS` seconds."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._seconds = [-1] * WINDOW_SECONDS
        self._counts = [0] * WINDOW_SECONDS

    def add(self, now: float) -> None:
        """Count one event at time `now` (`time.perf_counter()`)."""
        second = int(now)
        slot = second % WINDOW_SECONDS
        if self._seconds[slot] != second:
            self._seconds[slot] = second
            self._counts[slot] = 0
        self._counts[slot] += 1

    def per_second(self, now: float) -> float:
        """Events per second over the window (or since start, when that is shorter)."""
        oldest = int(now) - WINDOW_SECONDS
        total = sum(c for s, c in zip(self._seconds, self._counts, strict=True) if s > oldest)
        span = min(float(WINDOW_SECONDS), max(1.0, now - self._started))
        return total / span


class LatencyWindow:
    """The most recent latencies (bounded), for percentiles over the last minute."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=MAX_LATENCY_SAMPLES)

    def add(self, now: float, seconds: float) -> None:
        """Keep one latency measured at time `now` (`time.perf_counter()`)."""
        self._samples.append((now, seconds))

    def recent(self, now: float) -> list[float]:
        """The latencies of the window, sorted."""
        oldest = now - WINDOW_SECONDS
        return sorted(seconds for stamp, seconds in self._samples if stamp > oldest)


def hit_rate(hits: float, misses: float) -> float:
    """Hits over all lookups (0 when there was none)."""
    lookups = hits + misses
    return hits / lookups if lookups else 0.0


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LiveStats:
    """The figures behind `ServingStats`, updated on the event loop only.

    The model cache hit rate is not kept here: it comes from the cache counters (`hit_rate`).
    """

    requests: RateWindow = field(default_factory=RateWindow)
    predict_latency: LatencyWindow = field(default_factory=LatencyWindow)
    trainings_queued: int = 0
    trainings_running: int = 0
    trainings_ready: int = 0
    trainings_failed: int = 0

    def trainings_by_state(self) -> dict[str, int]:
        """Runs queued and training now, and finished READY or FAILED since start."""
        return {
            "MODEL_STATE_QUEUED": self.trainings_queued,
            "MODEL_STATE_TRAINING": self.trainings_running,
            "MODEL_STATE_READY": self.trainings_ready,
            "MODEL_STATE_FAILED": self.trainings_failed,
        }
