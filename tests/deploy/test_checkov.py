"""checkov over the rendered manifests and the Dockerfile (pinned, run in its own uvx env).

Accepted findings are skipped next to the resource they concern, each with its reason:
`checkov.io/skipN` annotations in k8s/ and a `checkov:skip=` comment in the Dockerfile.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.deploy.manifests import ROOT

CHECKOV = "checkov==3.3.30"


def run_checkov(target: Path, framework: str) -> dict[str, Any]:
    """checkov's JSON report for one file; no network (--skip-download)."""
    result = subprocess.run(
        [
            *("uvx", CHECKOV, "--file", str(target), "--framework", framework),
            *("--output", "json", "--skip-download", "--quiet", "--compact"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=target.parent,
    )
    assert result.returncode in (0, 1), f"checkov did not run:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def failures(report: dict[str, Any]) -> list[str]:
    """One line per failed check."""
    return [
        f"{c['check_id']} {c['check_name']} ({c['resource']})"
        for c in report.get("results", {}).get("failed_checks", [])
    ]


def test_manifests_pass_checkov(rendered_file: Path) -> None:
    report = run_checkov(rendered_file, "kubernetes")
    assert report["summary"]["passed"] > 0, "checkov checked nothing"
    assert failures(report) == []


def test_dockerfile_passes_checkov() -> None:
    report = run_checkov(ROOT / "Dockerfile", "dockerfile")
    assert report["summary"]["passed"] > 0, "checkov checked nothing"
    assert failures(report) == []
