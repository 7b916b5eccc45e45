"""Figures: one measured quantity, one value per round, optionally compared to a baseline."""

import math
import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    """A quantity measured once per round; `baseline` names the figure it is compared to."""

    key: str
    label: str
    unit: str
    group: str
    baseline: str | None = None
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        """The median over the rounds, or None when nothing was measured."""
        return statistics.median(self.values) if self.values else None


@dataclass
class Figures:
    """Every figure of a run, in the order they were first recorded."""

    items: dict[str, Figure] = field(default_factory=dict)

    def record(self, key: str, value: float, **meta: str | None) -> None:
        """Add one round's value; `meta` (label, unit, group, baseline) on first use."""
        if key not in self.items:
            self.items[key] = Figure(key=key, **meta)  # type: ignore[arg-type]
        self.items[key].values.append(float(value))

    def median(self, key: str) -> float | None:
        """The median of a figure, None when it is missing."""
        figure = self.items.get(key)
        return figure.median if figure else None

    def ratio(self, key: str) -> float | None:
        """Median of the figure over the median of its baseline, when both exist."""
        figure = self.items.get(key)
        if figure is None or figure.baseline is None:
            return None
        return ratio(figure.median, self.median(figure.baseline))


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, None when either is missing or the baseline is zero."""
    if value is None or not baseline:
        return None
    return value / baseline


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]
