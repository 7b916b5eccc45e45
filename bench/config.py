"""What a benchmark run measures: the sizes of the full run and of the quick smoke run."""

from dataclasses import dataclass
from pathlib import Path

SEED = 7
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
SCENARIOS = ("predict", "metrics", "batch", "upload", "train")


@dataclass(frozen=True)
class Sizes:
    """The workload sizes of one run."""

    load_seconds: float  # length of one load run
    load_max_requests: int  # upper bound of one load run
    warmup_requests: int  # per load run, not measured
    inprocess_calls: int  # in-process single-row predicts per round (within load_seconds)
    synth_rows: int  # rows the 20-feature predict models are trained on
    batch_sizes: tuple[int, ...]  # rows per batch request
    batch_requests: int  # per round and system
    upload_mb: int
    train_rows: int
    trees: int  # n_estimators of every RandomForest
    metrics_pairs: int  # per round, protocol and client count: slices with metrics on and off
    concurrency: tuple[int, ...] = (1, 16)


FULL = Sizes(
    load_seconds=3.0,
    load_max_requests=50_000,
    warmup_requests=20,
    inprocess_calls=5_000,
    synth_rows=10_000,
    batch_sizes=(1_000, 10_000),
    batch_requests=5,
    upload_mb=200,
    train_rows=100_000,
    trees=100,
    metrics_pairs=4,
)

QUICK = Sizes(
    load_seconds=0.5,
    load_max_requests=400,
    warmup_requests=5,
    inprocess_calls=100,
    synth_rows=2_000,
    batch_sizes=(50, 200),
    batch_requests=1,
    upload_mb=5,
    train_rows=2_000,
    trees=10,
    metrics_pairs=1,
)


@dataclass(frozen=True)
class BenchConfig:
    """One run: which scenarios, how many rounds, what sizes, where files go."""

    scenarios: tuple[str, ...]
    rounds: int
    quick: bool
    sizes: Sizes
    work_dir: Path
    results_dir: Path = RESULTS_DIR
