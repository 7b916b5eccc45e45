"""Status tab, live figures: request rate, predict latency, model cache hits, trainings.

The figures come from GetStatus (`servingStats`), computed in the server process; they are
absent when the server runs with metrics disabled.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard.resources import FAILED, QUEUED, READY, TRAINING, to_float, to_int
from dashboard.widgets import enum_label

TRAINING_STATES = (QUEUED, TRAINING, READY, FAILED)


@dataclass(frozen=True)
class ServingStats:
    """GetStatusResponse.servingStats."""

    requests_per_second: float
    predict_latency_p50_ms: float
    predict_latency_p99_ms: float
    predict_latency_samples: int
    model_cache_hit_rate: float
    trainings_by_state: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ServingStats":
        """Parse the ProtoJSON message (zeros are omitted)."""
        by_state = data.get("trainingsByState") or {}
        return cls(
            requests_per_second=to_float(data.get("requestsPerSecond")),
            predict_latency_p50_ms=to_float(data.get("predictLatencyP50Ms")),
            predict_latency_p99_ms=to_float(data.get("predictLatencyP99Ms")),
            predict_latency_samples=to_int(data.get("predictLatencySamples")),
            model_cache_hit_rate=to_float(data.get("modelCacheHitRate")),
            trainings_by_state={key: to_int(value) for key, value in by_state.items()},
        )


def serving_stats(body: Mapping[str, Any]) -> ServingStats | None:
    """The live figures of a whole GetStatus JSON body; None when the server reports none."""
    data = body.get("servingStats")
    return ServingStats.from_json(data) if isinstance(data, Mapping) else None


def render_serving_stats(stats: ServingStats | Mapping[str, Any] | None) -> None:
    """Draw the live figures: parsed, or the `servingStats` JSON object, or None (absent)."""
    if isinstance(stats, Mapping):
        stats = ServingStats.from_json(stats)
    st.markdown("#### Serving (live)")
    if stats is None:
        st.caption("The server reports no live figures (metrics are disabled).")
        return
    rate, p50, p99, hits = st.columns(4)
    rate.metric("Requests/s (1 min)", f"{stats.requests_per_second:.2f}")
    p50.metric("Predict p50", _latency(stats.predict_latency_p50_ms, stats))
    p99.metric("Predict p99", _latency(stats.predict_latency_p99_ms, stats))
    hits.metric("Model cache hit rate", f"{stats.model_cache_hit_rate:.0%}")
    st.caption(_trainings(stats) + f" · latency from {stats.predict_latency_samples} predictions")


def _latency(milliseconds: float, stats: ServingStats) -> str:
    return f"{milliseconds:.1f} ms" if stats.predict_latency_samples else "-"


def _trainings(stats: ServingStats) -> str:
    now, done = TRAINING_STATES[:2], TRAINING_STATES[2:]
    return f"Trainings: {_counts(stats, now)} now; {_counts(stats, done)} since start"


def _counts(stats: ServingStats, states: tuple[str, ...]) -> str:
    return ", ".join(f"{enum_label(s)} {stats.trainings_by_state.get(s, 0)}" for s in states)
