"""Training through the API (upload done, TrainModel, poll until READY) vs in-process fit.

READY comes before the compiling to ONNX ends (scikit-learn serves meanwhile); the time from
READY to the compile outcome is recorded as a figure of its own.
"""

import itertools
import time

from sklearn.ensemble import RandomForestClassifier

from bench import api
from bench.config import SEED
from bench.context import Context
from bench.data import TARGET, synth_frame
from bench.inprocess import fit_like_the_service
from server.gen import models_pb2, models_pb2_grpc

DATASET = "train-data"
# The worker's progress reports (server/models/training/fit.py) and what follows each.
STAGES = {
    0.0: "queued, worker process start",
    0.05: "reading data",
    0.2: "fitting",
    0.8: "evaluating",
    0.9: "saving weights",
}


class Timeline:
    """When each training progress value (a stage of the worker) was first seen."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_seen: dict[float, float] = {}

    def seen(self, model: models_pb2.Model) -> None:
        """Note the time of a progress value not seen before."""
        self.first_seen.setdefault(round(model.progress, 3), time.perf_counter() - self.started)

    def record(self, ctx: Context, label: str) -> None:
        """One figure per stage: the time from its first sighting to the next stage's."""
        points = sorted(self.first_seen.items(), key=lambda item: item[1])
        for (progress, start), (_, end) in itertools.pairwise(points):
            ctx.figures.record(
                f"train.api.stage-{progress:g}.seconds",
                end - start,
                unit="s",
                group="train",
                label=f"{label}, API stage: {STAGES.get(progress, f'progress {progress:g}')}",
            )


def through_api(ctx: Context, round_index: int, label: str) -> float:
    """Seconds from sending TrainModel to seeing the model READY (polled every 50 ms)."""
    model_id = f"train-r{round_index}"
    request = api.train_request(
        model_id, "RandomForestClassifier", DATASET, {"n_estimators": ctx.config.sizes.trees}, SEED
    )
    timeline = Timeline()
    ready = api.train_and_wait(ctx.channel, request, timeout=3600, seen=timeline.seen)
    seconds = time.perf_counter() - timeline.started
    timeline.record(ctx, label)
    compiled = api.wait_compiled(ctx.channel, ready.name, timeout=3600)
    ctx.figures.record(
        "train.api.compiling.seconds",
        time.perf_counter() - timeline.started - seconds,
        unit="s",
        group="train",
        label=f"{label}, after READY: compiling (ONNX + parity check) -> {compiled.engine}",
    )
    stub = models_pb2_grpc.ModelServiceStub(ctx.channel)
    stub.DeleteModel(models_pb2.DeleteModelRequest(name=f"models/{model_id}"), timeout=60)
    return seconds


def one_round(ctx: Context, round_index: int, label: str) -> None:
    """API and in-process, alternating which goes first."""
    frame = ctx.dataset_frame(DATASET)
    estimator = RandomForestClassifier(n_estimators=ctx.config.sizes.trees, random_state=SEED)
    steps = [
        ("api", lambda: through_api(ctx, round_index, label)),
        ("inprocess", lambda: fit_like_the_service(frame, TARGET, estimator, SEED)),
    ]
    if round_index % 2:
        steps.reverse()
    for name, measure in steps:
        seconds = measure()
        baseline = "train.inprocess.seconds" if name == "api" else None
        what = "through the API (request to READY)" if name == "api" else "in-process fit"
        ctx.figures.record(
            f"train.{name}.seconds",
            seconds,
            unit="s",
            group="train",
            label=f"{label}, {what}",
            baseline=baseline,
        )


def run(ctx: Context) -> None:
    """Upload the training data once, then train it both ways each round."""
    rows = ctx.config.sizes.train_rows
    frame = synth_frame(rows)
    ctx.add_dataset(DATASET, frame)
    label = f"RandomForest({ctx.config.sizes.trees}) on {rows:,} x 20"
    for round_index in range(ctx.config.rounds):
        print(f"  train round {round_index + 1}/{ctx.config.rounds}", flush=True)
        one_round(ctx, round_index, label)
