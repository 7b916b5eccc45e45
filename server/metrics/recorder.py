"""Records what the interceptor and the hooks report: Prometheus metrics and live figures."""

import time
from collections.abc import Iterable
from typing import Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram

from server.gen import status_pb2
from server.metrics.definitions import ServerMetrics
from server.metrics.live import LiveStats, hit_rate, percentile
from server.metrics.loop import CounterChild

Child = TypeVar("Child", Counter, Histogram, CounterChild)
Child_co = TypeVar("Child_co", covariant=True)
MAX_ENGINE_NAMES = 16
STATE_VALUES = {"OK": 1.0, "DEGRADED": 0.5, "DOWN": 0.0}
OUTCOMES = frozenset({"succeeded", "failed", "cancelled"})
ENGINES = frozenset({"sklearn", "onnx"})
OTHER = "other"


class BoundedLabel:
    """Passes label values through until `limit` distinct ones were seen; later ones: "other"."""

    def __init__(self, limit: int = 64) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        """The label value to use for `value`."""
        if value in self._seen:
            return value
        if len(self._seen) >= self._limit:
            return OTHER
        self._seen.add(value)
        return value


def outcome_label(outcome: str) -> str:
    """One of `OUTCOMES`, else "other"."""
    return outcome if outcome in OUTCOMES else OTHER


def engine_label(engine: str) -> str:
    """One of `ENGINES`, else "other"."""
    return engine if engine in ENGINES else OTHER


class Labelled(Protocol[Child_co]):
    """A metric with labels."""

    def labels(self, *values: str) -> Child_co:
        """The child of these label values."""
        ...


class ByEngine(dict[str, Child]):
    """The children of a metric labelled by engine, resolved once (`labels()` is slow).

    At most `MAX_ENGINE_NAMES` names are kept; the children of any further ones are looked up
    each time (all of them share "other").
    """

    def __init__(self, metric: Labelled[Child]) -> None:
        super().__init__()
        self._metric: Labelled[Child] = metric

    def __missing__(self, engine: str) -> Child:
        child = self._metric.labels(engine_label(engine))
        if len(self) < MAX_ENGINE_NAMES:
            self[engine] = child
        return child


class MetricsRecorder:
    """The one sink of the server's measurements; all calls come from the event loop."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.metrics = ServerMetrics.create(self.registry)
        self.live = LiveStats()
        self._model_class = BoundedLabel()
        self._component = BoundedLabel()
        models = self.metrics.models
        self._rows = ByEngine(models.predict_rows)
        self._hits = ByEngine(models.cache_hits)
        self._misses = ByEngine(models.cache_misses)
        self._evictions = ByEngine(models.cache_evictions)
        self._loads = ByEngine(models.load_seconds)

    def predicted(self, rows: int, engine: str) -> None:
        """A Predict call answered `rows` rows with `engine`."""
        self._rows[engine].value += rows  # a count of rows: never negative

    def model_cache_hit(self, engine: str) -> None:
        """A prediction found its model loaded."""
        self._hits[engine].value += 1  # the hit rate of GetStatus is read from these counters

    def model_cache_miss(self, engine: str) -> None:
        """A prediction had to load its model."""
        self._misses[engine].value += 1

    def model_loaded(self, engine: str, seconds: float) -> None:
        """A model was loaded in `seconds`."""
        self._loads[engine].observe(seconds)

    def model_cache_evicted(self, engine: str) -> None:
        """A loaded model was dropped to make room."""
        self._evictions[engine].value += 1

    def training_slots(self, queued: int, running: int) -> None:
        """The training queue and the runs in progress changed."""
        self.metrics.training.queued.set(queued)
        self.metrics.training.running.set(running)
        self.live.trainings_queued, self.live.trainings_running = queued, running

    def training_finished(self, model_class: str, outcome: str, seconds: float) -> None:
        """A training run ended: "succeeded", "failed" or "cancelled", after `seconds`."""
        labels = (self._model_class(model_class), outcome_label(outcome))
        self.metrics.training.runs.labels(*labels).inc()
        self.metrics.training.seconds.labels(*labels).observe(seconds)
        if outcome == "succeeded":
            self.live.trainings_ready += 1
        elif outcome == "failed":
            self.live.trainings_failed += 1

    def dataset_upload(self, outcome: str, size_bytes: int, seconds: float) -> None:
        """An upload ended; `size_bytes` were stored (0 unless it succeeded)."""
        label = outcome_label(outcome)
        self.metrics.datasets.uploads.labels(label).inc()
        self.metrics.datasets.seconds.labels(label).observe(seconds)
        if size_bytes:
            self.metrics.datasets.bytes.inc(size_bytes)

    def components(self, states: Iterable[tuple[str, str]]) -> None:
        """The latest checks: (component, "OK" | "DEGRADED" | "DOWN") pairs."""
        for name, state in states:
            value = STATE_VALUES.get(state, 0.0)
            self.metrics.components.labels(self._component(name)).set(value)

    def serving_stats(self) -> status_pb2.ServingStats:
        """The live figures for GetStatus."""
        now = time.perf_counter()
        latencies = self.live.predict_latency.recent(now)
        return status_pb2.ServingStats(
            requests_per_second=self.live.requests.per_second(now),
            predict_latency_p50_ms=percentile(latencies, 0.50) * 1000,
            predict_latency_p99_ms=percentile(latencies, 0.99) * 1000,
            predict_latency_samples=len(latencies),
            model_cache_hit_rate=hit_rate(
                self.metrics.models.cache_hits.total(), self.metrics.models.cache_misses.total()
            ),
            trainings_by_state=self.live.trainings_by_state(),
        )
