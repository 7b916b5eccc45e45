"""Upload a large CSV over gRPC and REST vs `dvc add` + `dvc push`; server and proxy RSS."""

import shutil
from pathlib import Path

from bench import dvc_cli
from bench.context import Context
from bench.data import large_csv, variant
from bench.rss import RssSampler
from bench.upload_client import run_upload
from server.gen import datasets_pb2, datasets_pb2_grpc

SYSTEMS = ("grpc", "rest", "dvc")


def _record(ctx: Context, key: str, label: str, value: float, unit: str, base: str | None) -> None:
    ctx.figures.record(key, value, unit=unit, group="upload", label=label, baseline=base)


def upload_api(ctx: Context, system: str, file: Path, dataset_id: str) -> None:
    """Upload through our API, sampling the server's and the proxy's RSS; delete it after."""
    stack, mb = ctx.stack, ctx.config.sizes.upload_mb
    address = stack.server.target if system == "grpc" else stack.proxy.url
    pids = {"server": stack.server_pid, "proxy": stack.proxy_pid}
    with RssSampler(pids) as rss:
        seconds = run_upload(system, address, dataset_id, file)
    name = f"{mb} MB CSV upload over {system}"
    _record(ctx, f"upload.{system}.seconds", name, seconds, "s", "upload.dvc.seconds")
    owners = ["server"] if system == "grpc" else ["server", "proxy"]
    for owner in owners:
        prefix = f"upload.{system}.{owner}_rss"
        _record(ctx, f"{prefix}_peak", f"{name}: {owner} peak RSS", rss.peak[owner], "MB", None)
        _record(
            ctx, f"{prefix}_growth", f"{name}: {owner} RSS growth", rss.growth(owner), "MB", None
        )
    stub = datasets_pb2_grpc.DatasetServiceStub(ctx.channel)
    stub.DeleteDataset(
        datasets_pb2.DeleteDatasetRequest(name=f"datasets/{dataset_id}"), timeout=600
    )


def upload_dvc(ctx: Context, file: Path, scratch: Path) -> None:
    """`dvc add` + `dvc push` of the file in a fresh repository with a directory remote."""
    repo = dvc_cli.fresh_repo(scratch)
    inside = repo / file.name
    shutil.move(file, inside)
    seconds = dvc_cli.add_and_push(repo, inside)
    label = f"{ctx.config.sizes.upload_mb} MB CSV, DVC CLI add + push"
    _record(ctx, "upload.dvc.seconds", label, seconds, "s", None)


def one_round(ctx: Context, base: Path, round_index: int) -> None:
    """The three systems in an order rotated per round, each with a fresh copy of the file."""
    shift = round_index % len(SYSTEMS)
    for position, system in enumerate(SYSTEMS[shift:] + SYSTEMS[:shift]):
        scratch = ctx.work_dir / "upload" / f"r{round_index}-{system}"
        scratch.mkdir(parents=True)
        file = variant(base, scratch / "data.csv", round_index * 10 + position)
        try:
            if system == "dvc":
                upload_dvc(ctx, file, scratch)
            else:
                upload_api(ctx, system, file, f"upload-r{round_index}-{system}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def run(ctx: Context) -> None:
    """Generate the CSV once; each round uploads a variant of it with each system."""
    base = large_csv(ctx.work_dir / "upload" / "base.csv", ctx.config.sizes.upload_mb)
    try:
        for round_index in range(ctx.config.rounds):
            print(f"  upload round {round_index + 1}/{ctx.config.rounds}", flush=True)
            one_round(ctx, base, round_index)
    finally:
        base.unlink(missing_ok=True)
