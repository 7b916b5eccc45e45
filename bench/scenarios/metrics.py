"""Metrics on vs off: single-row iris predicts on the run's stack (metrics on, the default)
and on a second stack started with MLSERVICE_METRICS_ENABLED=false, over gRPC and REST, 1 and
16 clients.

The second server gets the same iris dataset and trains the same model with the same seed; a
check makes sure each server and proxy has metrics as intended. One load client process drives
both stacks in alternating slices, pairs in ABBA order (on off, off on, ...). Per round, a
side's req/s is the mean of its slices and the on/off ratio is the ratio of those means: with
the alternating order, a steady drift of a shared machine cancels out of it. The CPU time the
server (and the proxy, for REST) uses per request is read from /proc over each slice; it is the
steadier figure on a busy machine.
"""

import statistics
from dataclasses import dataclass, replace

import grpc
import httpx

from bench import api, machine
from bench.checks import check_target
from bench.config import Sizes
from bench.context import Context
from bench.data import write_csv
from bench.load import LoadJob, LoadResult, run_jobs
from bench.models import IRIS_LR, ServedModel, train_served
from bench.services import Stack, running_stack
from bench.targets import Target, ours_grpc, ours_rest
from server.gen import status_pb2, status_pb2_grpc

SETTING = "MLSERVICE_METRICS_ENABLED"
SIDES = ("on", "off")  # "off" is the baseline
PROTOCOLS = {"grpc": "gRPC", "rest": "REST"}


@dataclass(frozen=True)
class Side:
    """One system under load: metrics "on" or "off", its request, the processes serving it."""

    name: str
    target: Target
    pids: tuple[int, ...]
    processes: str  # what `pids` are, for the labels


def check_setting(stack: Stack, enabled: bool) -> None:
    """Raise unless both programs run with metrics as asked: only then does GetStatus carry
    servingStats and the proxy answer `GET /metrics`."""
    with grpc.insecure_channel(stack.server.target) as channel:
        stub = status_pb2_grpc.StatusServiceStub(channel)
        status = stub.GetStatus(status_pb2.GetStatusRequest(), timeout=30)
    server_on = status.HasField("serving_stats")
    proxy_on = httpx.get(f"{stack.proxy.url}/metrics", timeout=30).status_code == 200
    if (server_on, proxy_on) != (enabled, enabled):
        raise RuntimeError(
            f"expected metrics {'on' if enabled else 'off'}: server {server_on}, proxy {proxy_on}"
        )


def serve_iris(ctx: Context, stack: Stack) -> ServedModel:
    """Upload iris and train the iris LogisticRegression on another stack, as `ctx.served`
    does on the run's stack."""
    frame = ctx.dataset(IRIS_LR.dataset_id)
    with grpc.insecure_channel(stack.server.target) as channel:
        path = write_csv(frame, ctx.work_dir / "metrics-off" / f"{IRIS_LR.dataset_id}.csv")
        api.upload(channel, IRIS_LR.dataset_id, path)
        path.unlink()
        return train_served(channel, IRIS_LR, frame, stack.server.data_dir)


def make_sides(
    protocol: str, stacks: dict[str, Stack], models: dict[str, ServedModel]
) -> list[Side]:
    """Both sides of one protocol, each asked for the model's first row."""
    sides = []
    for name in SIDES:
        stack, model = stacks[name], models[name]
        if protocol == "grpc":
            target = ours_grpc(model.name, stack.server.target, model.frame(1))
            sides.append(Side(name, target, (stack.server_pid,), "server"))
        else:
            target = ours_rest(model.name, stack.proxy.url, model.frame(1))
            pids = (stack.server_pid, stack.proxy_pid)
            sides.append(Side(name, target, pids, "server + proxy"))
    return sides


def abba(pairs: int, round_index: int) -> list[int]:
    """Indices into the sides, pair after pair, the first side alternating (0 1, 1 0, 0 1, ...);
    the round shifts the pattern so that rounds start with either side."""
    order: list[int] = []
    for pair in range(pairs):
        order += [0, 1] if (pair + round_index) % 2 == 0 else [1, 0]
    return order


def pair_ratios(results: list[LoadResult], order: list[int]) -> list[float]:
    """req/s on over req/s off of each pair of slices (run in `order`, "abba")."""
    ratios = []
    for start in range(0, len(order), 2):
        rps = {order[i]: results[i].rps for i in (start, start + 1)}
        ratios.append(rps[0] / rps[1] if rps[1] else 0.0)
    return ratios


def slice_jobs(sides: list[Side], order: list[int], clients: int, sizes: Sizes) -> list[LoadJob]:
    """One load job per slice, in `order`, each measuring its side's CPU time."""
    return [
        replace(
            sides[i].target.job(
                clients, sizes.load_seconds, sizes.load_max_requests, sizes.warmup_requests
            ),
            cpu_pids=sides[i].pids,
        )
        for i in order
    ]


def record_side(
    ctx: Context, prefix: str, label: str, side: Side, slices: list[LoadResult]
) -> float:
    """Record a side's req/s (mean of its slices) and CPU per request; return the req/s."""
    rps = statistics.fmean(s.rps for s in slices)
    requests = sum(s.requests + s.errors for s in slices)
    cpu_us = 1e6 * sum(s.cpu_s for s in slices) / max(1, requests)
    base = None if side.name == "off" else f"{prefix}.off"
    for suffix, value, unit, what in (
        ("rps", rps, "req/s", "req/s (mean of slices)"),
        ("cpu_us", cpu_us, "µs", f"{side.processes} CPU per request"),
    ):
        ctx.figures.record(
            f"{prefix}.{side.name}.{suffix}",
            value,
            label=f"{label}, metrics {side.name}: {what}",
            unit=unit,
            group="metrics",
            baseline=f"{base}.{suffix}" if base else None,
        )
    return rps


def one_group(
    ctx: Context, protocol: str, sides: list[Side], clients: int, round_index: int
) -> None:
    """Alternating slices of both sides at one client count; record both and their ratio."""
    sizes = ctx.config.sizes
    order = abba(sizes.metrics_pairs, round_index)
    results = run_jobs(slice_jobs(sides, order, clients, sizes))
    slices: list[list[LoadResult]] = [[] for _ in sides]
    for i, result in zip(order, results, strict=True):
        if result.errors:
            ctx.note(f"metrics {sides[i].name} {protocol} x{clients}: {result.first_error}")
        slices[i].append(result)
    prefix = f"metrics.{IRIS_LR.model_id}.{protocol}.c{clients}"
    label = f"{IRIS_LR.label}, {PROTOCOLS[protocol]}, {clients} client(s)"
    rps = {s.name: record_side(ctx, prefix, label, s, slices[i]) for i, s in enumerate(sides)}
    ctx.figures.record(
        f"{prefix}.ratio",
        rps["on"] / rps["off"] if rps["off"] else 0.0,
        label=f"{label}: req/s metrics on / off, paired in the round",
        unit="x",
        group="metrics",
    )
    print(
        f"    {protocol} x{clients}: on {rps['on']:.0f}, off {rps['off']:.0f} req/s; each pair"
        f" on/off {' '.join(f'{r:.2f}' for r in pair_ratios(results, order))}",
        flush=True,
    )


def prepare(ctx: Context, stacks: dict[str, Stack]) -> dict[str, list[Side]]:
    """Check the settings, serve the model on both stacks, check every target's answers."""
    for name, stack in stacks.items():
        check_setting(stack, enabled=name == "on")
    models = {"on": ctx.served(IRIS_LR), "off": serve_iris(ctx, stacks["off"])}
    engines = {name: model.engine for name, model in models.items()}
    same = len(set(engines.values())) == 1
    ctx.note(f"metrics: iris LR served by {engines['on'] if same else engines} on both stacks")
    expected = models["off"].pipeline.predict(models["off"].frame(1)).tolist()
    plans = {protocol: make_sides(protocol, stacks, models) for protocol in PROTOCOLS}
    for sides in plans.values():
        for side in sides:
            check_target(side.target, expected)
    return plans


def run(ctx: Context) -> None:
    """Start the metrics-off stack and measure both in alternating slices, round after round."""
    sizes = ctx.config.sizes
    with running_stack(ctx.work_dir / "metrics-off", **{SETTING: "false"}) as off:
        plans = prepare(ctx, {"on": ctx.stack, "off": off})
        loads = []
        for round_index in range(ctx.config.rounds):
            loads.append(machine.load_average()[0])
            print(f"  metrics round {round_index + 1}/{ctx.config.rounds}", flush=True)
            for protocol, sides in plans.items():
                for clients in sizes.concurrency:
                    one_group(ctx, protocol, sides, clients, round_index)
    ctx.note(
        f"metrics: {sizes.metrics_pairs} on/off pair(s) of {sizes.load_seconds:g} s slices per"
        f" round, protocol and client count; 1-min load average at round starts {loads}"
    )
