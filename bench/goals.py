"""The performance goals: each a quantity computed from the figures, a bound, PASS or FAIL."""

from collections.abc import Callable
from dataclasses import dataclass

from bench.figures import Figures, ratio

Compute = Callable[[Figures], float | None]


@dataclass(frozen=True)
class Goal:
    """`value(figures)` must be at least (`at_least`) or at most the `bound`."""

    label: str
    value: Compute
    bound: float
    at_least: bool
    unit: str = "x"

    def evaluate(self, figures: Figures) -> dict[str, object]:
        """The goal's row: value, bound, and PASS, FAIL or "n/a" when not measured."""
        value = self.value(figures)
        met = value is not None and (value >= self.bound if self.at_least else value <= self.bound)
        verdict = "n/a" if value is None else ("PASS" if met else "FAIL")
        sign = ">=" if self.at_least else "<="
        return {
            "goal": self.label,
            "value": value,
            "unit": self.unit,
            "target": f"{sign} {self.bound:g} {self.unit}",
            "verdict": verdict,
        }


def _ratio(key: str, base: str) -> Compute:
    return lambda f: ratio(f.median(key), f.median(base))


def _difference(key: str, base: str) -> Compute:
    def compute(f: Figures) -> float | None:
        value, baseline = f.median(key), f.median(base)
        return None if value is None or baseline is None else value - baseline

    return compute


def _median(key: str) -> Compute:
    return lambda f: f.median(key)


def ratio_goal(label: str, key: str, base: str, bound: float, at_least: bool) -> Goal:
    """median(key) / median(base) compared to `bound`."""
    return Goal(label, _ratio(key, base), bound, at_least)


def _predict_goals(model_id: str, label: str, vs_mlserver: float) -> list[Goal]:
    p = f"predict.{model_id}"
    # The in-process baseline: the model's own `predict` (scikit-learn) in the caller.
    grpc_p50, predict_p50 = f"{p}.grpc.c1.p50", f"{p}.inprocess-sklearn.c1.p50"
    return [
        ratio_goal(
            f"{label}: gRPC req/s, 16 clients, vs MLServer gRPC",
            f"{p}.grpc.c16.rps",
            f"{p}.mlserver-grpc.c16.rps",
            vs_mlserver,
            at_least=True,
        ),
        ratio_goal(
            f"{label}: REST req/s, 16 clients, vs MLServer REST",
            f"{p}.rest.c16.rps",
            f"{p}.mlserver-rest.c16.rps",
            1.5,
            at_least=True,
        ),
        ratio_goal(
            f"{label}: REST req/s, 16 clients, vs our gRPC",
            f"{p}.rest.c16.rps",
            f"{p}.grpc.c16.rps",
            0.5,
            at_least=True,
        ),
        Goal(
            f"{label}: sequential gRPC p50 minus in-process model.predict p50",
            _difference(grpc_p50, predict_p50),
            0.3,
            at_least=False,
            unit="ms",
        ),
    ]


def _batch_goals(model_id: str, label: str) -> list[Goal]:
    small, large = f"batch.{model_id}.1000", f"batch.{model_id}.10000"
    return [
        ratio_goal(
            f"{label}: 1k x 20 batch over REST vs over gRPC",
            f"{small}.rest.p50",
            f"{small}.grpc.p50",
            5.0,
            at_least=False,
        ),
        ratio_goal(
            f"{label}: 10k x 20 batch over gRPC vs in-process scikit-learn predict + predict_proba",
            f"{large}.grpc.p50",
            f"{large}.inprocess-sklearn-proba.p50",
            1.2,
            at_least=False,
        ),
    ]


def _upload_goals(protocol: str) -> list[Goal]:
    name = protocol.lower()
    return [
        ratio_goal(
            f"upload over {protocol} vs DVC CLI add + push",
            f"upload.{name}.seconds",
            "upload.dvc.seconds",
            1.3,
            at_least=False,
        ),
        Goal(
            f"server RSS growth during the {protocol} upload",
            _median(f"upload.{name}.server_rss_growth"),
            150,
            at_least=False,
            unit="MB",
        ),
    ]


GOALS: list[Goal] = [
    *_predict_goals("iris-lr", "iris LR", vs_mlserver=3.0),
    *_predict_goals("synth-rf", "RandomForest", vs_mlserver=20.0),
    ratio_goal(
        "RandomForest: sequential gRPC p50 vs in-process scikit-learn predict p50",
        "predict.synth-rf.grpc.c1.p50",
        "predict.synth-rf.inprocess-sklearn.c1.p50",
        1.0,
        at_least=False,
    ),
    Goal(
        "gRPC predict req/s with metrics on vs off, 16 clients (iris LR)",
        _median("metrics.iris-lr.grpc.c16.ratio"),
        0.95,
        at_least=True,
    ),
    ratio_goal(
        "RandomForest: 10k x 20 batch over gRPC vs in-process (the served engine)",
        "batch.synth-rf.10000.grpc.p50",
        "batch.synth-rf.10000.inprocess.p50",
        1.5,
        at_least=False,
    ),
    *_batch_goals("synth-rf", "RandomForest"),
    *_batch_goals("synth-lr", "20-feature LR"),
    *_upload_goals("gRPC"),
    *_upload_goals("REST"),
    ratio_goal(
        "training through the API vs in-process fit",
        "train.api.seconds",
        "train.inprocess.seconds",
        1.15,
        at_least=False,
    ),
]


def evaluate(figures: Figures) -> list[dict[str, object]]:
    """Every goal's row."""
    return [goal.evaluate(figures) for goal in GOALS]
