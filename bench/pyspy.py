"""`python -m bench.pyspy`: sample the server (or proxy) with py-spy under predict load.

Writes the collapsed stacks and a summary of the top functions to bench/results/.
py-spy is run with `uvx` (it is not a project dependency).
"""

import argparse
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import grpc

from bench.checks import check_target
from bench.config import FULL, QUICK, RESULTS_DIR, SEED, BenchConfig
from bench.context import Context
from bench.data import synth_frame
from bench.load import LoadResult, run_jobs
from bench.models import IRIS_LR, SYNTH_RF, ServedModel
from bench.services import Stack, running_stack
from bench.stacks import render, summarize
from bench.targets import Target, ours_grpc, ours_rest

MODELS = {"iris-lr": IRIS_LR, "synth-rf": SYNTH_RF}


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.pyspy", description=__doc__)
    parser.add_argument("--model", choices=sorted(MODELS), default="iris-lr")
    parser.add_argument("--protocol", choices=["grpc", "rest"], default="grpc")
    parser.add_argument("--process", choices=["server", "proxy"], default="server")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rows", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument(
        "--all-threads", action="store_true", help="sample every thread, not only the GIL holder"
    )
    return parser.parse_args()


def record(pid: int, args: argparse.Namespace, output: Path) -> subprocess.Popen[bytes]:
    """Start `py-spy record` (collapsed stacks; by default only the thread holding the GIL)."""
    command = ["uvx", "py-spy", "record", "--pid", str(pid), "--duration", str(args.seconds)]
    command += ["--rate", str(args.rate), "--format", "raw", "--output", str(output)]
    if not args.all_threads:
        command.append("--gil")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def prepare_target(args: argparse.Namespace, model: ServedModel, stack: Stack) -> Target:
    """The request to profile, checked once (which also loads the model in the server)."""
    frame = model.frame(args.rows)
    if len(frame) < args.rows and args.model == "synth-rf":  # more rows than trained on
        frame = synth_frame(args.rows, SEED + 1)[model.feature_columns]
    if args.protocol == "grpc":
        target = ours_grpc(model.name, stack.server.target, frame)
    else:
        target = ours_rest(model.name, stack.proxy.url, frame)
    check_target(target, model.pipeline.predict(frame).tolist())
    return target


def profile(args: argparse.Namespace, work_dir: Path, raw: Path) -> LoadResult:
    """Start the service, train the model, record py-spy while the load runs."""
    sizes = replace(QUICK, trees=FULL.trees, synth_rows=FULL.synth_rows)  # the full models
    config = BenchConfig(("predict",), 1, True, sizes, work_dir)
    with running_stack(work_dir) as stack, grpc.insecure_channel(stack.server.target) as channel:
        model = Context(config, stack, channel).served(MODELS[args.model])
        target = prepare_target(args, model, stack)
        pid = stack.server_pid if args.process == "server" else stack.proxy_pid
        spy = record(pid, args, raw)
        time.sleep(1.0)  # let py-spy attach
        result = run_jobs([target.job(args.clients, args.seconds - 2, 10_000_000, warmup=20)])[0]
        _, errors = spy.communicate(timeout=120)
    if spy.returncode != 0:
        raise SystemExit(f"py-spy failed: {errors.decode(errors='replace')[-2000:]}")
    return result


def main() -> None:
    """Profile, then write and print the summary."""
    args = parse_args()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"profile-{args.process}-{args.protocol}-{args.model}-c{args.clients}-r{args.rows}"
    stem += "-all" if args.all_threads else "-gil"
    raw = RESULTS_DIR / f"{stem}.collapsed.txt"
    with tempfile.TemporaryDirectory(prefix="mlservice-pyspy-") as tmp:
        result = profile(args, Path(tmp), raw)
    header = f"{stem}: {result.rps:.1f} req/s, p50 {result.p50_ms:.2f} ms under py-spy\n"
    text = header + render(summarize(raw.read_text().splitlines()))
    (RESULTS_DIR / f"{stem}.summary.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
