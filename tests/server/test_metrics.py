"""Prometheus metrics and live serving figures of the gRPC server, scraped from real processes."""

import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.parser import text_string_to_metric_families

from server.gen import models_pb2, models_pb2_grpc, status_pb2, status_pb2_grpc
from server.metrics.exporter import MetricsExporter
from server.metrics.interceptor import MetricsInterceptor, measured_handler
from server.metrics.live import LatencyWindow, RateWindow, hit_rate, percentile
from server.metrics.loop import LoopCounter, LoopGauge, LoopHistogram
from server.metrics.recorder import MAX_ENGINE_NAMES, BoundedLabel, ByEngine, MetricsRecorder
from tests.grpc_helpers import FAILED, READY, frame_csv, rows, struct, upload, wait_for_model
from tests.processes import GrpcServer, free_port, grpc_server_process, wait_until
from tests.server.model_fixtures import iris

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PREDICT = "/mlservice.v1.ModelService/Predict"
UPLOAD = "/mlservice.v1.DatasetService/UploadDataset"
TRAIN = "/mlservice.v1.ModelService/TrainModel"
STARTUP_SECONDS = 180  # a busy 2-core machine can take a minute just to import
SAMPLE = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def scrape(url: str) -> Samples:
    """Every sample of a /metrics page by (name, labels)."""
    text = httpx.get(url, timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    """Every value one label takes in a metric."""
    return {dict(found)[label] for (n, found), _ in samples.items() if n == name}


def series(samples: Samples) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    """The label sets of every metric, histogram buckets folded into one."""
    return {(n, frozenset(kv for kv in found if kv[0] != "le")) for n, found in samples}


class Delta:
    """Compare two scrapes."""

    def __init__(self, before: Samples, after: Samples) -> None:
        self.before, self.after = before, after

    def __call__(self, name: str, **labels: str) -> float:
        """How much the summed samples of `name` with `labels` moved."""
        return total(self.after, name, **labels) - total(self.before, name, **labels)


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GrpcServer, str]]:
    """A server with metrics on a free port and a one-model cache; yields it and its /metrics."""
    root = tmp_path_factory.mktemp("metrics-server")
    port = free_port()
    server = grpc_server_process(
        root / "data", root, MLSERVICE_METRICS_PORT=str(port), MLSERVICE_MODEL_CACHE_SIZE="1"
    )
    server.start_and_wait(timeout=STARTUP_SECONDS)
    yield server, f"http://127.0.0.1:{port}/metrics"
    server.stop()


@pytest.fixture(scope="module")
def channel(metered: tuple[GrpcServer, str]) -> Iterator[grpc.Channel]:
    """A channel to the metered server."""
    with grpc.insecure_channel(metered[0].target) as opened:
        yield opened


def train(
    channel: grpc.Channel, model_id: str, model_class: str, dataset: str, **hyper: object
) -> str:
    """Queue a training run; return the model's name."""
    stub = models_pb2_grpc.ModelServiceStub(channel)
    model = stub.TrainModel(
        models_pb2.TrainModelRequest(
            model_id=model_id, model_class=model_class, hyperparameters=struct(hyper),
            dataset=f"datasets/{dataset}", target_column="target",
        )
    )  # fmt: skip
    return str(model.name)


def simulate_caches(engines: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Hits, misses and evictions of one-entry LRU caches per engine for (model, engine) calls."""
    caches: dict[str, OrderedDict[str, None]] = {}
    counts: dict[str, dict[str, int]] = {}
    for model, engine in engines:
        cache = caches.setdefault(engine, OrderedDict())
        count = counts.setdefault(engine, {"hits": 0, "misses": 0, "evictions": 0})
        if model in cache:
            count["hits"] += 1
            continue
        count["misses"] += 1
        cache[model] = None
        if len(cache) > 1:
            cache.popitem(last=False)
            count["evictions"] += 1
    return counts


def run_flow(channel: grpc.Channel, tag: str) -> dict[str, object]:
    """Upload, train two models and a failing one, predict 7 times, fail once."""
    sizes = [upload(channel, f"{tag}-iris", frame_csv(iris())).size_bytes]
    names = [
        train(channel, f"{tag}-lr", "LogisticRegression", f"{tag}-iris"),
        train(channel, f"{tag}-knn", "KNeighborsClassifier", f"{tag}-iris"),
        # More neighbours than training rows: fit passes validation, scoring fails.
        train(channel, f"{tag}-bad", "KNeighborsClassifier", f"{tag}-iris", n_neighbors=500),
    ]
    states = [wait_for_model(channel, name, timeout=240).state for name in names]
    assert states == [READY, READY, FAILED]
    stub = models_pb2_grpc.ModelServiceStub(channel)
    calls = []
    for name in [names[0]] * 5 + [names[1], names[0]]:
        reply = stub.Predict(models_pb2.PredictRequest(name=name, rows=rows(SAMPLE)))
        calls.append((name, reply.engine or "sklearn"))
    with pytest.raises(grpc.RpcError) as error:
        stub.Predict(models_pb2.PredictRequest(name=f"models/{tag}-none", rows=rows(SAMPLE)))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    return {"sizes": sizes, "calls": calls}


def test_a_real_flow_moves_every_counter_by_exactly_its_amount(
    metered: tuple[GrpcServer, str], channel: grpc.Channel
) -> None:
    url = metered[1]
    before = scrape(url)
    flow = run_flow(channel, f"m{uuid.uuid4().hex[:6]}")
    wait_until(lambda: value(scrape(url), "mlservice_trainings_running") == 0, 30, "runs ended")
    delta = Delta(before, scrape(url))
    calls: list[tuple[str, str]] = flow["calls"]  # type: ignore[assignment]
    assert delta("mlservice_grpc_requests_total", method=PREDICT, code="OK") == 7
    assert delta("mlservice_grpc_requests_total", method=PREDICT, code="NOT_FOUND") == 1
    assert delta("mlservice_grpc_request_duration_seconds_count", method=PREDICT) == 8
    assert delta("mlservice_grpc_requests_total", method=UPLOAD, code="OK") == 1
    assert delta("mlservice_grpc_requests_total", method=TRAIN, code="OK") == 3
    for engine in {e for _, e in calls}:
        used = sum(1 for _, e in calls if e == engine)
        assert delta("mlservice_predict_rows_total", engine=engine) == 3 * used
    for engine, counts in simulate_caches(calls).items():
        for kind, expected in counts.items():
            assert delta(f"mlservice_model_cache_{kind}_total", engine=engine) == expected, kind
        loads = delta("mlservice_model_load_duration_seconds_count", engine=engine)
        assert loads == counts["misses"]
    runs = "mlservice_training_runs_total"
    assert delta(runs, model_class="LogisticRegression", outcome="succeeded") == 1
    assert delta(runs, model_class="KNeighborsClassifier", outcome="succeeded") == 1
    assert delta(runs, model_class="KNeighborsClassifier", outcome="failed") == 1
    assert delta("mlservice_training_duration_seconds_count") == 3
    assert delta("mlservice_dataset_uploads_total", outcome="succeeded") == 1
    assert delta("mlservice_dataset_upload_bytes_total") == sum(flow["sizes"])  # type: ignore[arg-type]
    after = delta.after
    assert value(after, "mlservice_grpc_requests_in_flight", method=PREDICT) == 0
    assert value(after, "mlservice_training_queue_length") == 0
    assert value(after, "mlservice_component_state", component="dataset_store") == 1
    assert value(after, "mlservice_component_state", component="model_registry") == 1


def test_get_status_reports_the_live_figures(channel: grpc.Channel) -> None:
    stats = status_pb2_grpc.StatusServiceStub(channel).GetStatus(status_pb2.GetStatusRequest())
    assert stats.HasField("serving_stats")
    live = stats.serving_stats
    assert live.requests_per_second > 0
    assert live.predict_latency_samples == 7
    assert 0 < live.predict_latency_p50_ms <= live.predict_latency_p99_ms
    assert 0 < live.model_cache_hit_rate < 1
    assert dict(live.trainings_by_state) == {
        "MODEL_STATE_QUEUED": 0,
        "MODEL_STATE_TRAINING": 0,
        "MODEL_STATE_READY": 2,
        "MODEL_STATE_FAILED": 1,
    }


def send_bogus_calls(channel: grpc.Channel, count: int) -> list[str]:
    """Call `count` unknown methods and predict with `count` unknown models; return the ids."""
    sent = [uuid.uuid4().hex for _ in range(count)]
    for bogus in sent:
        with pytest.raises(grpc.RpcError) as error:
            channel.unary_unary(f"/bogus.{bogus}.Service/{bogus}")(b"", timeout=10)
        assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED
        with pytest.raises(grpc.RpcError):
            models_pb2_grpc.ModelServiceStub(channel).Predict(
                models_pb2.PredictRequest(name=f"models/x{bogus}", rows=rows(SAMPLE))
            )
    return sent


def test_label_values_stay_bounded(metered: tuple[GrpcServer, str], channel: grpc.Channel) -> None:
    url = metered[1]
    before = scrape(url)
    sent = send_bogus_calls(channel, 50)
    after = scrape(url)
    unimplemented = Delta(before, after)(
        "mlservice_grpc_requests_total", method="unknown", code="UNIMPLEMENTED"
    )
    assert unimplemented == 50
    methods = label_values(after, "mlservice_grpc_requests_total", "method")
    assert methods - label_values(before, "mlservice_grpc_requests_total", "method") <= {"unknown"}
    assert all(m == "unknown" or m.startswith(("/mlservice.v1.", "/grpc.")) for m in methods)
    grown = series(after) - series(before)
    assert len(grown) <= 8, sorted(grown)  # "unknown" and new status codes, not 100 ids
    values = {v for _, found in after for _, v in found}
    assert not any(b in v for b in sent for v in values)


def test_disabled_metrics_serve_nothing_and_report_no_live_figures(tmp_path: Path) -> None:
    port = free_port()
    server = grpc_server_process(
        tmp_path / "data", tmp_path, MLSERVICE_METRICS_ENABLED="false",
        MLSERVICE_METRICS_PORT=str(port),
    )  # fmt: skip
    try:
        server.start_and_wait(timeout=STARTUP_SECONDS)
        with grpc.insecure_channel(server.target) as opened:
            stub = status_pb2_grpc.StatusServiceStub(opened)
            status = stub.GetStatus(status_pb2.GetStatusRequest())
        with pytest.raises(httpx.TransportError):  # nothing listens on the metrics port
            httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    finally:
        server.stop()
    assert not status.HasField("serving_stats")


def test_the_exporter_binds_any_free_port_and_releases_it() -> None:
    registry = CollectorRegistry()
    Counter("probe_things", "Things.", registry=registry).inc(3)
    exporter = MetricsExporter(registry, "127.0.0.1", 0)
    exporter.start()
    try:
        assert exporter.port != 0
        samples = scrape(f"http://127.0.0.1:{exporter.port}/metrics")
        assert value(samples, "probe_things_total") == 3
    finally:
        exporter.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=2)


def test_a_port_in_use_leaves_the_exporter_off() -> None:
    first = MetricsExporter(CollectorRegistry(), "127.0.0.1", 0)
    first.start()
    try:
        second = MetricsExporter(CollectorRegistry(), "127.0.0.1", first.port)
        second.start()  # logged, not raised
        second.stop()
    finally:
        first.stop()


def test_live_windows_and_percentiles() -> None:
    rate, latency = RateWindow(), LatencyWindow()
    now = 1_000_000.0
    for i in range(120):
        rate.add(now + i * 0.5)  # 2 per second for 60 s
        latency.add(now + i * 0.5, i / 1000)
    end = now + 60
    assert rate.per_second(end) == pytest.approx(2, rel=0.05)
    assert rate.per_second(end + 120) == 0
    recent = latency.recent(end)
    assert recent == sorted(recent) and len(recent) == 119
    assert percentile([], 0.5) == 0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.99) == 4.0


def test_bounded_label_maps_values_past_the_limit_to_other() -> None:
    bounded = BoundedLabel(limit=2)
    assert [bounded(v) for v in ("a", "b", "c", "a")] == ["a", "b", "other", "a"]


def test_loop_metrics_expose_what_prometheus_client_does() -> None:
    disable_created_metrics()  # as the server does: loop metrics have no `*_created` series
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    counter = LoopCounter("probe_calls", "Calls.", ["method", "code"], ours)
    histogram = LoopHistogram("probe_seconds", "Time.", (0.1, 1.0), ["method"], ours)
    gauge = LoopGauge("probe_busy", "Busy.", ["method"], ours)
    their_counter = Counter("probe_calls", "Calls.", ["method", "code"], registry=theirs)
    their_histogram = Histogram(
        "probe_seconds", "Time.", ["method"], buckets=(0.1, 1.0), registry=theirs
    )
    their_gauge = Gauge("probe_busy", "Busy.", ["method"], registry=theirs)
    for method, code, seconds in [("a", "OK", 0.1), ("b", "OK", 0.5), ("a", "X", 7.0)]:
        counter.labels(method, code).inc()
        their_counter.labels(method, code).inc()
        histogram.labels(method).observe(seconds)  # 0.1 counts in its own bucket (le="0.1")
        their_histogram.labels(method).observe(seconds)
    counter.labels("b", "OK").inc(2)
    their_counter.labels("b", "OK").inc(2)
    gauge.labels("a").value += 3
    their_gauge.labels("a").set(3)
    gauge.labels("b")
    their_gauge.labels("b")
    assert generate_latest(ours) == generate_latest(theirs)
    assert counter.total() == 5


def test_loop_metric_children_are_created_once_and_checked() -> None:
    counter = LoopCounter("probe_calls", "Calls.", ["method"], CollectorRegistry())
    child = counter.labels("a")
    assert counter.labels("a") is child
    with pytest.raises(ValueError):
        counter.labels("a", "b")
    with pytest.raises(ValueError):
        child.inc(-1)
    with pytest.raises(ValueError):  # the registry refuses a second metric of the same name
        registry = CollectorRegistry()
        LoopGauge("probe", "Probe.", ["method"], registry)
        Counter("probe", "Probe.", registry=registry)


def test_engine_children_are_reused_and_the_cache_is_bounded() -> None:
    counter = LoopCounter("probe_rows", "Rows.", ["engine"], CollectorRegistry())
    by_engine = ByEngine(counter)
    assert by_engine["onnx"] is by_engine["onnx"] is counter.labels("onnx")
    names = [f"engine-{i}" for i in range(3 * MAX_ENGINE_NAMES)]
    children = {id(by_engine[name]) for name in names}
    assert children == {id(counter.labels("other"))}
    assert len(by_engine) == MAX_ENGINE_NAMES
    assert set(counter.children) == {("onnx",), ("other",)}
    assert hit_rate(3, 1) == 0.75 and hit_rate(0, 0) == 0


class CallDetails:
    """What grpc tells the interceptors of a call."""

    def __init__(self, method: str) -> None:
        self.method, self.invocation_metadata = method, ()


class FakeContext:
    """The part of `grpc.aio.ServicerContext` the metrics read."""

    def __init__(self) -> None:
        self.status: grpc.StatusCode | None = None

    def code(self) -> grpc.StatusCode | None:
        return self.status


async def answer(request: Any, context: FakeContext) -> Any:
    if request == "set":
        context.status = grpc.StatusCode.FAILED_PRECONDITION
    elif request == "raise":
        raise RuntimeError("bug")
    return request


async def test_the_interceptor_reuses_its_instruments_and_bounds_them() -> None:
    recorder = MetricsRecorder()
    interceptor = MetricsInterceptor(recorder, frozenset({PREDICT}))
    handler = grpc.unary_unary_rpc_method_handler(answer, bytes, bytes)

    async def call(method: str, request: str) -> None:
        async def continuation(details: Any) -> grpc.RpcMethodHandler | None:
            return handler if details.method == PREDICT else None

        details = CallDetails(method)
        measured = await interceptor.intercept_service(continuation, details)  # type: ignore[arg-type]
        if measured is None:
            return
        assert measured == measured_handler(handler, False, measured.unary_unary)
        with pytest.raises(RuntimeError) if request == "raise" else contextlib.nullcontext():
            assert await measured.unary_unary(request, FakeContext()) == request

    for request in ["ok", "ok", "set", "raise", "ok"]:
        await call(PREDICT, request)
    for bogus in range(100):
        await call(f"/bogus.Service/M{bogus}", "ok")
    grpc_metrics = recorder.metrics.grpc
    assert set(interceptor._instruments) == {PREDICT, "unknown"}
    assert {k: c.value for k, c in grpc_metrics.requests.children.items()} == {
        (PREDICT, "OK"): 3,
        (PREDICT, "FAILED_PRECONDITION"): 1,
        (PREDICT, "UNKNOWN"): 1,
        ("unknown", "UNIMPLEMENTED"): 100,
    }
    latency = grpc_metrics.latency.labels(PREDICT)
    assert sum(latency.counts) == 5 and latency.sum > 0
    assert grpc_metrics.in_flight.labels(PREDICT).value == 0
    now = time.perf_counter()
    assert len(recorder.live.predict_latency.recent(now)) == 3  # the successful Predicts
    assert 0 < recorder.live.requests.per_second(now) <= 5  # mlservice.v1 calls only


def test_the_handler_is_the_one_grpc_builds() -> None:
    handler = grpc.stream_unary_rpc_method_handler(answer, bytes, str)
    assert measured_handler(handler, True, answer) == grpc.stream_unary_rpc_method_handler(
        answer, bytes, str
    )
    assert type(measured_handler(handler, True, answer)) is type(handler)
