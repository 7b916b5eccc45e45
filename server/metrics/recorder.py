"""Records what the interceptor and the hooks report: Prometheus metrics and live figures."""

import time
from collections.abc import Iterable
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram

from server.gen import status_pb2
from server.metrics.definitions import ServerMetrics
from server.metrics.live import LiveStats, percentile

Metric = TypeVar("Metric", Counter, Histogram)
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


class ByEngine(dict[str, Metric]):
    """The children of a metric labelled by engine, resolved once (`labels()` is slow)."""

    def __init__(self, metric: Metric) -> None:
        super().__init__()
        self._metric: Metric = metric

    def __missing__(self, engine: str) -> Metric:
        child = self[engine] = self._metric.labels(engine_label(engine))
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
        self._rows, self._hits = ByEngine(models.predict_rows), ByEngine(models.cache_hits)
        self._misses, self._evictions = (
            ByEngine(models.cache_misses),
            ByEngine(models.cache_evictions),
        )
        self._loads = ByEngine(models.load_seconds)

    def predicted(self, rows: int, engine: str) -> None:
        """A Predict call answered `rows` rows with `engine`."""
        self._rows[engine].inc(rows)

    def model_cache_hit(self, engine: str) -> None:
        """A prediction found its model loaded."""
        self._hits[engine].inc()
        self.live.cache_hits += 1

    def model_cache_miss(self, engine: str) -> None:
        """A prediction had to load its model."""
        self._misses[engine].inc()
        self.live.cache_misses += 1

    def model_loaded(self, engine: str, seconds: float) -> None:
        """A model was loaded in `seconds`."""
        self._loads[engine].observe(seconds)

    def model_cache_evicted(self, engine: str) -> None:
        """A loaded model was dropped to make room."""
        self._evictions[engine].inc()

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
            model_cache_hit_rate=self.live.cache_hit_rate(),
            trainings_by_state=self.live.trainings_by_state(),
        )
