"""The server's Prometheus metrics, created in a registry of their own (one per server)."""

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)

from server.metrics.loop import LoopCounter, LoopGauge, LoopHistogram

# From 0.1 ms (a cached single-row predict) to 10 s (a slow dependency).
LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
LOAD_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LONG_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class Factory:
    """Creates metrics registered in one registry."""

    registry: CollectorRegistry

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        """A counter (exposed with a `_total` suffix)."""
        return Counter(name, doc, labels, registry=self.registry)

    def gauge(self, name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge."""
        return Gauge(name, doc, labels, registry=self.registry)

    def histogram(
        self, name: str, doc: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> Histogram:
        """A histogram with the given buckets."""
        return Histogram(name, doc, labels, buckets=buckets, registry=self.registry)

    # Metrics of the per-call path, updated on the event loop only (see `server.metrics.loop`).

    def loop_counter(self, name: str, doc: str, labels: Sequence[str]) -> LoopCounter:
        """A labelled counter updated by the event loop only."""
        return LoopCounter(name, doc, labels, self.registry)

    def loop_gauge(self, name: str, doc: str, labels: Sequence[str]) -> LoopGauge:
        """A labelled gauge updated by the event loop only."""
        return LoopGauge(name, doc, labels, self.registry)

    def loop_histogram(
        self, name: str, doc: str, buckets: Sequence[float], labels: Sequence[str]
    ) -> LoopHistogram:
        """A labelled histogram updated by the event loop only."""
        return LoopHistogram(name, doc, buckets, labels, self.registry)


@dataclass(frozen=True)
class GrpcMetrics:
    """Calls by method and status code, their latency, calls in flight (event loop only)."""

    requests: LoopCounter
    latency: LoopHistogram
    in_flight: LoopGauge

    @classmethod
    def create(cls, make: Factory) -> "GrpcMetrics":
        """Create the per-call metrics."""
        return cls(
            make.loop_counter("mlservice_grpc_requests", "gRPC calls by method and status code.",
                              ["method", "code"]),
            make.loop_histogram("mlservice_grpc_request_duration_seconds",
                                "gRPC call latency by method.", LATENCY_BUCKETS, ["method"]),
            make.loop_gauge("mlservice_grpc_requests_in_flight", "gRPC calls being handled now.",
                            ["method"]),
        )  # fmt: skip


@dataclass(frozen=True)
class ModelMetrics:
    """Predicted rows, the in-memory model caches and the loading of models, by engine.

    The counters are the event loop's (predictions and model caches live there).
    """

    predict_rows: LoopCounter
    cache_hits: LoopCounter
    cache_misses: LoopCounter
    cache_evictions: LoopCounter
    load_seconds: Histogram

    @classmethod
    def create(cls, make: Factory) -> "ModelMetrics":
        """Create the model metrics, each labelled by engine ("sklearn" or "onnx")."""
        engine = ["engine"]
        return cls(
            make.loop_counter("mlservice_predict_rows", "Rows predicted.", engine),
            make.loop_counter("mlservice_model_cache_hits", "Model lookups served from a cache.",
                              engine),
            make.loop_counter("mlservice_model_cache_misses",
                              "Model lookups that loaded the model.", engine),
            make.loop_counter("mlservice_model_cache_evictions",
                              "Loaded models dropped for room.", engine),
            make.histogram("mlservice_model_load_duration_seconds", "Time to load a model.",
                           LOAD_BUCKETS, engine),
        )  # fmt: skip


@dataclass(frozen=True)
class TrainingMetrics:
    """Training runs by model class and outcome, their duration, the queue."""

    runs: Counter
    seconds: Histogram
    queued: Gauge
    running: Gauge

    @classmethod
    def create(cls, make: Factory) -> "TrainingMetrics":
        """Create the training metrics."""
        labels = ["model_class", "outcome"]
        return cls(
            make.counter("mlservice_training_runs", "Finished training runs.", labels),
            make.histogram("mlservice_training_duration_seconds",
                           "Training run duration, from start of training to outcome.",
                           LONG_BUCKETS, labels),
            make.gauge("mlservice_training_queue_length", "Training runs waiting for a slot."),
            make.gauge("mlservice_trainings_running", "Training runs in progress."),
        )  # fmt: skip


@dataclass(frozen=True)
class DatasetMetrics:
    """Dataset uploads by outcome, stored bytes, duration."""

    uploads: Counter
    bytes: Counter
    seconds: Histogram

    @classmethod
    def create(cls, make: Factory) -> "DatasetMetrics":
        """Create the dataset upload metrics."""
        return cls(
            make.counter("mlservice_dataset_uploads", "Dataset uploads by outcome.", ["outcome"]),
            make.counter("mlservice_dataset_upload_bytes", "Bytes of stored uploads."),
            make.histogram("mlservice_dataset_upload_duration_seconds",
                           "Upload duration by outcome.", LONG_BUCKETS, ["outcome"]),
        )  # fmt: skip


@dataclass(frozen=True)
class ServerMetrics:
    """Every metric of the server process."""

    grpc: GrpcMetrics
    models: ModelMetrics
    training: TrainingMetrics
    datasets: DatasetMetrics
    components: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "ServerMetrics":
        """Create and register every metric (plus the process metrics) in `registry`."""
        disable_created_metrics()  # no `*_created` series: they double the series count
        ProcessCollector(registry=registry)
        make = Factory(registry)
        components = make.gauge(
            "mlservice_component_state",
            "State of each checked component: 1 OK, 0.5 DEGRADED, 0 DOWN.",
            ["component"],
        )
        return cls(
            GrpcMetrics.create(make),
            ModelMetrics.create(make),
            TrainingMetrics.create(make),
            DatasetMetrics.create(make),
            components,
        )
