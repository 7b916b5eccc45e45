"""Batch predict: 1,000 and 10,000 rows x 20 features per request, gRPC and REST vs in-process."""

from dataclasses import replace

from bench.checks import check_target
from bench.config import SEED
from bench.context import Context
from bench.data import synth_frame
from bench.figures import Figures
from bench.inprocess import predict_only, predict_with_probabilities, time_calls
from bench.load import run_jobs
from bench.models import SYNTH_LR, SYNTH_RF, ServedModel
from bench.targets import Target, ours_grpc, ours_rest

MODELS = (SYNTH_RF, SYNTH_LR)


def _record(figures: Figures, key: str, label: str, value: float, baseline: str | None) -> None:
    figures.record(key, value, unit="ms", group="batch", label=label, baseline=baseline)


def measure_inprocess(ctx: Context, model: ServedModel, rows: int, prefix: str, label: str) -> None:
    """The whole batch in this process: the service's engine, and scikit-learn's predict
    (with predict_proba too, which is what a classifier's answer carries)."""
    batch, calls = model.frame(rows), ctx.config.sizes.batch_requests
    runs = {"inprocess": (model.serving_call(batch), f"in-process {model.engine}")}
    if model.engine != "sklearn":
        runs["inprocess-sklearn"] = (predict_only(model.pipeline, batch), "in-process sklearn")
    both = predict_with_probabilities(model.pipeline, batch)
    runs["inprocess-sklearn-proba"] = (both, "in-process sklearn predict + predict_proba")
    for name, (call, what) in runs.items():
        baseline = None if name == "inprocess" else f"{prefix}.inprocess.p50"
        result = time_calls(call, calls)
        _record(ctx.figures, f"{prefix}.{name}.p50", f"{label}, {what}", result.p50_ms, baseline)


def one_round(ctx: Context, model: ServedModel, rows: int, systems: list[Target]) -> None:
    """Both protocols, `batch_requests` sequential requests each, then in-process."""
    sizes = ctx.config.sizes
    prefix = f"batch.{model.spec.model_id}.{rows}"
    label = f"{rows:,} x 20, {model.spec.label}"
    jobs = [t.job(1, 600.0, sizes.batch_requests, warmup=0) for t in systems]  # warm: checked
    for target, result in zip(systems, run_jobs(jobs), strict=True):
        if result.errors:
            ctx.note(f"batch {prefix} {target.system}: {result.first_error}")
        _record(
            ctx.figures,
            f"{prefix}.{target.system}.p50",
            f"{label}, {target.system} (p50 latency)",
            result.p50_ms,
            f"{prefix}.inprocess.p50",
        )
    measure_inprocess(ctx, model, rows, prefix, label)


def run(ctx: Context) -> None:
    """Serve the 20-feature models and send them one large batch at a time."""
    sizes = ctx.config.sizes
    unseen = synth_frame(max(sizes.batch_sizes), SEED + 1)
    plans = []
    for spec in MODELS:
        served = ctx.served(spec)
        model = replace(served, features=unseen[served.feature_columns])
        for rows in sizes.batch_sizes:
            frame = model.frame(rows)
            systems = [
                ours_grpc(model.name, ctx.stack.server.target, frame),
                ours_rest(model.name, ctx.stack.proxy.url, frame),
            ]
            expected = model.pipeline.predict(frame).tolist()
            for target in systems:
                check_target(target, expected)
            plans.append((model, rows, systems))
    for round_index in range(ctx.config.rounds):
        print(f"  batch round {round_index + 1}/{ctx.config.rounds}", flush=True)
        for model, rows, systems in plans:
            one_round(ctx, model, rows, systems)
