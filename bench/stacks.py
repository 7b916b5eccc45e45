"""Summaries of py-spy's collapsed stacks ("frame;frame;frame count" per line)."""

from collections import Counter
from dataclasses import dataclass

PROJECT_PACKAGES = ("server", "rest")


@dataclass(frozen=True)
class StackSummary:
    """Samples in total, and per function the samples where it is on the stack or the leaf."""

    total: int
    inclusive: Counter[str]
    own: Counter[str]

    def top(self, counter: Counter[str], count: int) -> list[tuple[str, float]]:
        """The `count` largest entries as (function, percent of all samples)."""
        return [(name, 100 * n / self.total) for name, n in counter.most_common(count)]

    def project(self) -> list[tuple[str, float]]:
        """Inclusive percentages of the project's own functions (server/, rest/)."""
        ours = Counter({k: v for k, v in self.inclusive.items() if _is_project(k)})
        return self.top(ours, 40)


def _is_project(function: str) -> bool:
    where = function.rpartition(" (")[2]
    return where.startswith(tuple(f"{package}/" for package in PROJECT_PACKAGES))


def _function(frame: str) -> str:
    """ "name (pkg/module.py:123)" -> "name (pkg/module.py)": one entry per function."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({file})" if file else name


def summarize(lines: list[str]) -> StackSummary:
    """Aggregate collapsed stacks per function (line numbers dropped)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    return StackSummary(total, inclusive, own)


def render(summary: StackSummary, count: int = 25) -> str:
    """A plain-text table of the top functions, inclusive then own time."""
    out = [f"samples: {summary.total}", "", "inclusive % (on the stack):"]
    out += [f"  {pct:5.1f}  {name}" for name, pct in summary.top(summary.inclusive, count)]
    out += ["", "project functions, inclusive %:"]
    out += [f"  {pct:5.1f}  {name}" for name, pct in summary.project()]
    out += ["", "own % (leaf frame):"]
    out += [f"  {pct:5.1f}  {name}" for name, pct in summary.top(summary.own, count)]
    return "\n".join(out) + "\n"
