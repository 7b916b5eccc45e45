"""The report: report.json (everything) and report.md (the tables the README shows)."""

import json
from pathlib import Path
from typing import Any

from bench.figures import Figure, Figures
from bench.goals import evaluate


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with `digits` significant digits, "-" when missing."""
    if value is None:
        return "-"
    short = f"{value:.{digits}g}"
    return f"{value:,.0f}" if "e+" in short else short


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def goals_table(figures: Figures) -> list[str]:
    """One row per goal with the measured value and PASS/FAIL."""
    rows = [
        [str(g["goal"]), f"{fmt(g['value'])} {g['unit']}", str(g["target"]), str(g["verdict"])]  # type: ignore[arg-type]
        for g in evaluate(figures)
    ]
    return _table(["Goal", "Measured", "Target", "Result"], rows)


def predict_table(figures: Figures) -> list[str]:
    """Single-row predict: req/s, p50, p99 per model, system and client count."""
    rows = []
    for key, figure in figures.items.items():
        if figure.group != "predict" or not key.endswith(".rps"):
            continue
        prefix = key.removesuffix(".rps")
        rows.append(
            [
                figure.label,
                fmt(figure.median),
                fmt(figures.median(f"{prefix}.p50")),
                fmt(figures.median(f"{prefix}.p99")),
                _ratio_cell(figures, key),
            ]
        )
    return _table(
        ["Model, system, clients", "req/s", "p50 ms", "p99 ms", "req/s vs MLServer"], rows
    )


def _ratio_cell(figures: Figures, key: str) -> str:
    value = figures.ratio(key)
    return "-" if value is None else f"{value:.2f}x"


def figures_table(figures: Figures, groups: tuple[str, ...]) -> list[str]:
    """Every figure of these groups: median, the rounds, its baseline and the ratio."""
    rows = [
        [f.label, fmt(f.median), f.unit, _rounds(f), f.baseline or "-", _ratio_cell(figures, f.key)]
        for f in figures.items.values()
        if f.group in groups
    ]
    return _table(["Figure", "Median", "Unit", "Rounds", "Baseline", "Ratio"], rows)


def _rounds(figure: Figure) -> str:
    return ", ".join(fmt(v) for v in figure.values)


def machine_lines(machine: dict[str, Any]) -> list[str]:
    """The machine section."""
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    return [
        f"- CPU: {machine['cpu_count']} x {machine['cpu_model']}, memory {machine['memory_gb']} GB",
        f"- OS: {machine['os']}; Python {machine['python']}",
        f"- Packages: {packages}; MLServer {machine.get('mlserver', '-')}",
        f"- Load average (1/5/15 min) at start {machine['load_average_start']},"
        f" at end {machine.get('load_average_end', '-')}",
    ]


def markdown(run: dict[str, Any], figures: Figures) -> str:
    """The whole Markdown report."""
    lines = [
        "# mlservice benchmark",
        "",
        f"{run['mode']} run, {run['rounds']} round(s), {run['duration_s']:.0f} s, {run['started']}."
        " Medians over the rounds; ratios are medians over medians measured in the same run.",
        "",
        "## Machine",
        *machine_lines(run["machine"]),
        "",
        "## Goals",
        *goals_table(figures),
        "",
        "## Predict, one row per request",
        *predict_table(figures),
        "",
        "## Metrics on vs off, one row per request (alternating slices)",
        *figures_table(figures, ("metrics",)),
        "",
        "## Batch predict, upload, training",
        *figures_table(figures, ("batch", "upload", "train")),
        "",
        "## Notes",
        *([f"- {note}" for note in run["notes"]] or ["- none"]),
    ]
    return "\n".join(lines) + "\n"


def write(results_dir: Path, run: dict[str, Any], figures: Figures) -> Path:
    """Write report.json and report.md; return the Markdown file."""
    results_dir.mkdir(parents=True, exist_ok=True)
    data = {
        **run,
        "goals": evaluate(figures),
        "figures": {
            k: {**vars(f), "median": f.median, "ratio": figures.ratio(k)}
            for k, f in figures.items.items()
        },
    }
    (results_dir / "report.json").write_text(json.dumps(data, indent=2, default=str))
    path = results_dir / "report.md"
    path.write_text(markdown(run, figures))
    return path
