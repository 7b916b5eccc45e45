"""After training, in the worker: compile the pipeline to ONNX, keep it only if it passes.

It runs once the weights are saved and reported (the version is READY, served by
scikit-learn meanwhile). The parity gate runs on the held-out rows, against scikit-learn's
answers kept from the evaluation. Compiling never fails the training: scikit-learn is the
fallback.
"""

import os
import time
from pathlib import Path

import pandas as pd
from loguru import logger
from sklearn.pipeline import Pipeline

from server.models.compiled.export import to_onnx
from server.models.compiled.inputs import frame_feeds
from server.models.compiled.outcome import ONNX, SKLEARN, CompileOutcome
from server.models.compiled.parity import Outputs, ParityResult, check_parity
from server.models.compiled.session import CompiledModel, load_compiled, run

NOTE_LENGTH = 300


def compile_pipeline(
    pipeline: Pipeline,
    classification: bool,
    feature_types: dict[str, str],
    x_test: pd.DataFrame,
    expected: Outputs,
    output: Path,
) -> CompileOutcome:
    """Convert, check parity on the held-out rows, write the ONNX file only when it passes.

    `expected` holds scikit-learn's answers on `x_test` (the evaluation computed them).
    """
    started = time.monotonic()
    try:
        data = to_onnx(pipeline, feature_types, classification)
    except Exception as error:
        return _failed("conversion failed", error)
    converted = time.monotonic()
    try:
        compiled = load_compiled(data)
        result = held_out_parity(compiled, classification, feature_types, x_test, expected)
    except Exception as error:
        return _failed("checking the compiled model failed", error)
    if not result.passed:
        logger.warning("compiled model not used, parity failed: {}", result.reason)
        return CompileOutcome(SKLEARN, f"parity failed: {result.reason}", result.max_abs_diff)
    try:
        write_atomically(data, output)
    except OSError as error:
        return _failed("writing the compiled model failed", error)
    logger.info(
        "compiled to ONNX: conversion {:.1f} s, parity check on {} rows {:.1f} s",
        converted - started, len(x_test), time.monotonic() - converted,
    )  # fmt: skip
    return CompileOutcome(ONNX, "", result.max_abs_diff)


def held_out_parity(
    compiled: CompiledModel,
    classification: bool,
    feature_types: dict[str, str],
    x_test: pd.DataFrame,
    expected: Outputs,
) -> ParityResult:
    """The gate on the held-out rows, fed to the compiled model as they are when serving."""
    predictions, probabilities = run(compiled, frame_feeds(x_test, feature_types))
    return check_parity(expected, Outputs(predictions, probabilities), classification)


def write_atomically(data: bytes, output: Path) -> None:
    """Write to a temp file beside `output`, then rename it into place."""
    temp = output.with_name(f".{output.name}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, output)
    finally:
        temp.unlink(missing_ok=True)


def _failed(what: str, error: BaseException) -> CompileOutcome:
    """A scikit-learn outcome naming the root cause (converter errors wrap it in pages)."""
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    lines = str(root).strip().splitlines()
    note = f"{what}: {type(root).__name__}: {lines[0] if lines else ''}"[:NOTE_LENGTH]
    logger.warning("compiled model not used, {}", note)
    return CompileOutcome(SKLEARN, note)
