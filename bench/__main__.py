"""`python -m bench`: run the benchmark scenarios and write bench/results/report.{md,json}."""

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import grpc

from bench import machine, report
from bench.config import FULL, QUICK, RESULTS_DIR, SCENARIOS, BenchConfig
from bench.context import Context
from bench.scenarios import batch, metrics, predict, train, upload
from bench.services import running_stack

RUNNERS: dict[str, Callable[[Context], None]] = {
    "predict": predict.run,
    "metrics": metrics.run,
    "batch": batch.run,
    "upload": upload.run,
    "train": train.run,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}"
    )
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 3, quick 1)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: a smoke run in under 2 minutes"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the report goes")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {SCENARIOS}")
    return args


def build_config(args: argparse.Namespace, work_dir: Path) -> BenchConfig:
    """The run's configuration from the command line."""
    chosen = tuple(s for s in SCENARIOS if s in args.only.split(","))
    rounds = args.rounds or (1 if args.quick else 3)
    return BenchConfig(
        chosen, max(1, rounds), args.quick, QUICK if args.quick else FULL, work_dir, args.results
    )


def one_line(error: Exception) -> str:
    """The error's type, first and last message lines (a wrapped traceback ends with the cause)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = " ... ".join(dict.fromkeys([lines[0], lines[-1]])) if lines else ""
    return f"{type(error).__name__}: {text}"[:600]


def run_scenarios(ctx: Context) -> list[str]:
    """Run the chosen scenarios; a failing one is reported and the others still run."""
    failed = []
    for name in ctx.config.scenarios:
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            RUNNERS[name](ctx)
        except Exception as error:
            traceback.print_exc()
            ctx.note(f"scenario {name} failed: {one_line(error)}")
            failed.append(name)
        print(f"   {name} took {time.monotonic() - started:.0f} s", flush=True)
    return failed


def main(argv: list[str]) -> int:
    """Run, write the report, print it; exit 1 only when a scenario crashed (not on a goal miss)."""
    args = parse_args(argv)
    info, started, clock = machine.machine_info(), datetime.now(UTC), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mlservice-bench-") as tmp:
        config = build_config(args, Path(tmp))
        with (
            running_stack(config.work_dir) as stack,
            grpc.insecure_channel(stack.server.target) as channel,
        ):
            ctx = Context(config, stack, channel)
            failed = run_scenarios(ctx)
    info |= {"load_average_end": machine.load_average(), "mlserver": machine.mlserver_version()}
    run = {
        "mode": "quick" if config.quick else "full",
        "rounds": config.rounds,
        "scenarios": list(config.scenarios),
        "started": started.isoformat(timespec="seconds"),
        "duration_s": time.monotonic() - clock,
        "machine": info,
        "notes": ctx.notes,
    }
    path = report.write(config.results_dir, run, ctx.figures)
    print(path.read_text())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
