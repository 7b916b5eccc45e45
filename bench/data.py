"""Benchmark data: iris, seeded synthetic 20-feature classification data, large CSV files."""

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris, make_classification

from bench.config import SEED

TARGET = "label"
MIB = 1024 * 1024


def iris_frame() -> pd.DataFrame:
    """Iris with short column names and the species number as the label.

    Numbers, not names: MLServer 1.7.1 fails to encode string predictions over gRPC
    ("expected bytes, str found"), and the comparison needs the same model on both sides.
    """
    iris = load_iris(as_frame=True)
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    frame = iris.data.set_axis(names, axis=1)
    frame[TARGET] = iris.target.astype("int64")
    return frame


def synth_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """`make_classification` with 20 features (10 informative), a fixed seed, binary label."""
    x, y = make_classification(
        n_samples=rows, n_features=20, n_informative=10, n_redundant=4, random_state=seed
    )
    frame = pd.DataFrame(x.round(6), columns=[f"f{i}" for i in range(20)])
    frame[TARGET] = y
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as CSV with a header and no index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def _block(rows: int, seed: int) -> bytes:
    """`rows` CSV lines of 20 random features and a 0/1 label."""
    rng = np.random.default_rng(seed)
    values = np.column_stack([rng.normal(size=(rows, 20)), rng.integers(0, 2, rows)])
    buffer = io.BytesIO()
    np.savetxt(buffer, values, fmt=["%.6f"] * 20 + ["%d"], delimiter=",")
    return buffer.getvalue()


def large_csv(path: Path, megabytes: int, seed: int = SEED) -> Path:
    """A CSV of about `megabytes` MiB (same columns as `synth_frame`), written block by block."""
    header = (",".join([*(f"f{i}" for i in range(20)), TARGET]) + "\n").encode()
    blocks = [_block(5_000, seed + i) for i in range(4)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(header)
        written, i = len(header), 0
        while written < megabytes * MIB:
            written += out.write(blocks[i % len(blocks)])
            i += 1
    return path


def variant(base: Path, target: Path, tag: int) -> Path:
    """A copy of `base` plus one unique row, so every upload has new content (a new md5)."""
    shutil.copyfile(base, target)
    with target.open("ab") as out:
        out.write((",".join([f"{tag}.0"] * 20) + ",0\n").encode())
    return target
