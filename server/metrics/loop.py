"""Labelled metrics updated by one thread (the event loop), as plain numbers read at scrape time.

A prometheus_client update takes a lock and checks its arguments: about 0.5 µs per counter
increment and 1 µs per histogram observation, several times per call on the Predict path. The
metrics here keep plain ints and floats in their children instead, which the event loop
updates with one addition (a histogram: one `bisect` and two additions). A scrape, on the
exporter's thread, copies them under the GIL: it sees every update made before it, as with
prometheus_client, which also locks each value on its own rather than a whole histogram.

Only for metrics that a single thread updates: `x += 1` from two threads may lose a count.
Their exposition is what prometheus_client gives for the same metric (names, help, labels and
their order, `le` bounds, series appearing at the first `labels()` call), `*_created` aside:
the server turns those off.
"""

from bisect import bisect_left
from collections.abc import Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Metric
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.utils import INF, floatToGoString

Child = TypeVar("Child")


class CounterChild:
    """One labelled series of a counter: `value` only grows."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: float = 0

    def inc(self, amount: float = 1) -> None:
        """Add `amount` (not negative)."""
        if amount < 0:
            raise ValueError("counters can only be incremented by non-negative amounts")
        self.value += amount


class GaugeChild:
    """One labelled series of a gauge: `value` is set or moved either way."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: float = 0


class HistogramChild:
    """One labelled series of a histogram: observations per bucket (not cumulative), sum."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds  # the upper bounds, +Inf last
        self.counts = [0] * len(bounds)
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        """Count `amount` in the first bucket whose upper bound is at least `amount`."""
        self.counts[bisect_left(self.bounds, amount)] += 1
        self.sum += amount


ValueChild = TypeVar("ValueChild", CounterChild, GaugeChild)


class LoopMetric(Generic[Child]):
    """A metric with labels; registered in `registry` at creation, like prometheus_client's."""

    def __init__(
        self, name: str, doc: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        if not labelnames:
            raise ValueError(f"{name}: these metrics need at least one label")
        self.name, self.doc, self.labelnames = name, doc, tuple(labelnames)
        self.children: dict[tuple[str, ...], Child] = {}
        registry.register(self)

    def labels(self, *values: str) -> Child:
        """The child of these label values (created, and exposed, at the first call)."""
        key = tuple(str(value) for value in values)
        found = self.children.get(key)
        if found is None:
            if len(key) != len(self.labelnames):
                raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {key}")
            found = self.children[key] = self._new_child()
        return found

    def _new_child(self) -> Child:
        raise NotImplementedError

    def _family(self) -> Metric:
        """The family, without samples."""
        raise NotImplementedError

    def _series(self) -> list[tuple[tuple[str, ...], Child]]:
        """The label values and child of each series, in creation order."""
        return list(self.children.items())  # one step: the loop may add children meanwhile

    def describe(self) -> list[Metric]:
        """The family without samples: what the registry checks names against."""
        return [self._family()]

    def collect(self) -> list[Metric]:
        """The family with its series."""
        raise NotImplementedError


class _ValueMetric(LoopMetric[ValueChild]):
    """A metric whose series are one number each (counters and gauges)."""

    def _family(self) -> CounterMetricFamily | GaugeMetricFamily:
        raise NotImplementedError

    def collect(self) -> list[Metric]:
        """The family with its series."""
        family = self._family()
        for values, child in self._series():
            family.add_metric(values, float(child.value))
        return [family]


class LoopCounter(_ValueMetric[CounterChild]):
    """A counter (exposed with a `_total` suffix)."""

    def _new_child(self) -> CounterChild:
        return CounterChild()

    def _family(self) -> CounterMetricFamily:
        return CounterMetricFamily(self.name, self.doc, labels=self.labelnames)

    def total(self) -> float:
        """The sum over every child."""
        return float(sum(child.value for _, child in self._series()))


class LoopGauge(_ValueMetric[GaugeChild]):
    """A gauge."""

    def _new_child(self) -> GaugeChild:
        return GaugeChild()

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, self.doc, labels=self.labelnames)


class LoopHistogram(LoopMetric[HistogramChild]):
    """A histogram with the given upper bounds (+Inf added)."""

    def __init__(
        self,
        name: str,
        doc: str,
        buckets: Sequence[float],
        labelnames: Sequence[str],
        registry: CollectorRegistry,
    ) -> None:
        bounds = [float(bound) for bound in buckets]
        if bounds != sorted(bounds):
            raise ValueError(f"{name}: buckets not in sorted order")
        if not bounds or bounds[-1] != INF:
            bounds.append(INF)
        self.bounds = tuple(bounds)
        self._les = [floatToGoString(bound) for bound in bounds]
        super().__init__(name, doc, labelnames, registry)

    def _new_child(self) -> HistogramChild:
        return HistogramChild(self.bounds)

    def _family(self) -> HistogramMetricFamily:
        return HistogramMetricFamily(self.name, self.doc, labels=self.labelnames)

    def collect(self) -> list[Metric]:
        """The family with its series: cumulative buckets, then count and sum."""
        family = self._family()
        for values, child in self._series():
            counts, total = list(child.counts), child.sum
            cumulative, buckets = 0.0, []
            for le, count in zip(self._les, counts, strict=True):
                cumulative += count
                buckets.append((le, cumulative))
            family.add_metric(values, buckets, total)
        return [family]
