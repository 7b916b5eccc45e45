"""Single-row predict: our gRPC and REST vs MLServer's, 1 and 16 clients, vs in-process."""

from bench.bare_grpc import running_bare_grpc
from bench.checks import check_target
from bench.context import Context
from bench.inprocess import predict_only, time_calls
from bench.load import LoadResult, run_jobs
from bench.mlserver_env import MLServer, running_mlserver
from bench.models import IRIS_LR, SYNTH_RF, ServedModel
from bench.targets import Target, mlserver_grpc, mlserver_rest, ours_grpc, ours_rest

MODELS = (IRIS_LR, SYNTH_RF)
BASELINE = {"grpc": "mlserver-grpc", "rest": "mlserver-rest"}
HEALTH_CHECK = "/grpc.health.v1.Health/Check"  # an empty HealthCheckRequest is empty bytes


def measure_floor(ctx: Context) -> None:
    """gRPC Health/Check from the same client, one at a time: the round trip without a model,
    to read the predict latencies against. Our server's (client, grpc.aio server, interceptors)
    and a bare grpc.aio server's that does nothing at all (the Python gRPC stack alone)."""
    sizes = ctx.config.sizes
    with running_bare_grpc(ctx.work_dir) as bare:
        floors = {
            "grpc-health": (ctx.stack.server.target, "our server's gRPC Health/Check, no model"),
            "grpc-bare": (bare.target, "a bare grpc.aio server's no-op Health/Check"),
        }
        for name, (address, what) in floors.items():
            target = Target(name, "grpc", address, HEALTH_CHECK, b"")
            job = target.job(1, sizes.load_seconds, sizes.load_max_requests, sizes.warmup_requests)
            label = f"{what} (the round-trip floor), 1 client(s)"
            record_result(ctx, f"predict.floor.{name}.c1", None, label, run_jobs([job])[0])


def targets(ctx: Context, model: ServedModel, mlserver: MLServer) -> list[Target]:
    """The four systems, each asked for the model's first row."""
    frame, model_id = model.frame(1), model.spec.model_id
    return [
        ours_grpc(model.name, ctx.stack.server.target, frame),
        ours_rest(model.name, ctx.stack.proxy.url, frame),
        mlserver_grpc(model_id, mlserver.grpc_target, frame),
        mlserver_rest(model_id, mlserver.url, frame),
    ]


def record_result(
    ctx: Context, prefix: str, base: str | None, label: str, result: LoadResult
) -> None:
    """Record req/s, p50 and p99 under `prefix`, compared to the same figures under `base`."""
    for suffix, value, unit in (
        ("rps", result.rps, "req/s"),
        ("p50", result.p50_ms, "ms"),
        ("p99", result.p99_ms, "ms"),
    ):
        baseline = f"{base}.{suffix}" if base else None
        ctx.figures.record(
            f"{prefix}.{suffix}", value, unit=unit, baseline=baseline, group="predict", label=label
        )


def record_load(
    ctx: Context, model: ServedModel, target: Target, clients: int, result: LoadResult
) -> None:
    """Record one load run of a system; ours are compared to MLServer over the same protocol."""
    what = f"{model.spec.model_id} {target.system} x{clients}"
    if result.errors:
        ctx.note(f"{what}: {result.errors} errors, first: {result.first_error}")
    prefix = f"predict.{model.spec.model_id}.{target.system}.c{clients}"
    base = BASELINE.get(target.system)
    base_prefix = f"predict.{model.spec.model_id}.{base}.c{clients}" if base else None
    label = f"{model.spec.label}, {target.system}, {clients} client(s)"
    record_result(ctx, prefix, base_prefix, label, result)


def measure_inprocess(ctx: Context, model: ServedModel) -> None:
    """The same single-row prediction in this process with the service's engine (the physical
    limit); with scikit-learn too when the service answers with ONNX."""
    sizes, frame, model_id = ctx.config.sizes, model.frame(1), model.spec.model_id
    calls = {"inprocess": (model.serving_call(frame), f"in-process {model.engine}")}
    if model.engine != "sklearn":
        calls["inprocess-sklearn"] = (predict_only(model.pipeline, frame), "in-process sklearn")
    for name, (call, what) in calls.items():
        result = time_calls(call, sizes.inprocess_calls, max_seconds=sizes.load_seconds)
        label = f"{model.spec.label}, {what}"
        record_result(ctx, f"predict.{model_id}.{name}.c1", None, label, result)


def one_round(ctx: Context, model: ServedModel, systems: list[Target], round_index: int) -> None:
    """Every system at every concurrency, in an order rotated per round, then in-process."""
    sizes = ctx.config.sizes
    shift = round_index % len(systems)
    ordered = systems[shift:] + systems[:shift]
    plan = [(t, c) for c in sizes.concurrency for t in ordered]
    jobs = [
        t.job(c, sizes.load_seconds, sizes.load_max_requests, sizes.warmup_requests)
        for t, c in plan
    ]
    for (target, clients), result in zip(plan, run_jobs(jobs), strict=True):
        record_load(ctx, model, target, clients, result)
    measure_inprocess(ctx, model)


def run(ctx: Context) -> None:
    """Train both models through the API, serve them with MLServer too, and measure."""
    models = [ctx.served(spec) for spec in MODELS]
    for model in models:
        ctx.note(f"{model.name} is served by {model.engine} (MLServer: the scikit-learn pipeline)")
    pipelines = {m.spec.model_id: m.pipeline for m in models}
    with running_mlserver(ctx.work_dir, pipelines) as mlserver:
        plans = []
        for model in models:
            systems = targets(ctx, model, mlserver)
            expected = model.pipeline.predict(model.frame(1)).tolist()
            for target in systems:
                check_target(target, expected)
            plans.append((model, systems))
        for round_index in range(ctx.config.rounds):
            print(f"  predict round {round_index + 1}/{ctx.config.rounds}", flush=True)
            for model, systems in plans:
                one_round(ctx, model, systems, round_index)
            measure_floor(ctx)
