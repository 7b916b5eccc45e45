"""The explicit allow-list of types skops may load beyond its defaults, and loading with it.

Extended per supported class, and tested by training every class and checking that
`get_untrusted_types()` of its weights is a subset of this list. Never feed
`get_untrusted_types()` output back as trusted: anything not listed here stays refused.
"""

import threading
from pathlib import Path
from typing import Any

import skops.io
from loguru import logger
from skops.io.exceptions import UntrustedTypesFoundException

from server.errors import FailedPrecondition

_DISTANCES = "sklearn.metrics._dist_metrics"

# One load at a time: skops reads every array header with `ast.literal_eval`, and CPython
# 3.11's AST construction is not thread-safe (loads in parallel threads can fail with
# "SystemError: AST constructor recursion depth mismatch").
_LOADING = threading.Lock()

ALLOWED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    # tree ensembles (random forests, gradient boosting)
    "sklearn.tree._tree.Tree",
    # histogram gradient boosting
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # nearest neighbours: the search trees and the distance metrics of their `metric` options
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    *(
        f"{_DISTANCES}.{name}Distance64"
        for name in (
            "BrayCurtis", "Canberra", "Chebyshev", "Dice", "Euclidean", "Hamming",
            "Haversine", "Jaccard", "Mahalanobis", "Manhattan", "Matching", "Minkowski",
            "RogersTanimoto", "RussellRao", "SEuclidean", "SokalMichener", "SokalSneath",
        )
    ),
)  # fmt: skip


def untrusted_types(path: Path) -> list[str]:
    """The types in a weights file that skops would refuse and the allow-list does not cover."""
    allowed = set(ALLOWED_TYPES)
    return sorted(t for t in skops.io.get_untrusted_types(file=path) if t not in allowed)


def load_weights(path: Path) -> Any:
    """Load a skops weights file, trusting only skops' defaults and `ALLOWED_TYPES`.

    A file holding any other type is refused before anything in it is built:
    FAILED_PRECONDITION naming the types.
    """
    try:
        with _LOADING:
            return skops.io.load(path, trusted=list(ALLOWED_TYPES))
    except UntrustedTypesFoundException as error:
        found = untrusted_types(path)
        logger.error("refused to load {}: untrusted types {}", path.name, found)
        raise FailedPrecondition(
            f"the model's weights hold types outside the allow-list and were not loaded: {found}"
        ) from error
