"""checkov over the rendered manifests and the Dockerfile (pinned, run in its own uvx env).

Accepted findings are skipped next to the resource they concern, each with its reason:
`checkov.io/skipN` annotations in k8s/ and a `checkov:skip=` comment in the Dockerfile.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.manifests import ROOT

CHECKOV = "checkov==3.3.30"


def run_checkov(targets: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """checkov's JSON reports by framework, one run over {framework: file}; no network."""
    files = [arg for target in targets.values() for arg in ("--file", str(target))]
    result = subprocess.run(
        [
            *("uvx", CHECKOV, *files, "--framework", *targets),
            *("--output", "json", "--skip-download", "--quiet", "--compact"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), f"checkov did not run:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    return {r["check_type"]: r for r in (report if isinstance(report, list) else [report])}


@pytest.fixture(scope="module")
def reports(rendered_file: Path) -> dict[str, dict[str, Any]]:
    """The reports on the rendered manifests and the Dockerfile (one checkov start for both)."""
    return run_checkov({"kubernetes": rendered_file, "dockerfile": ROOT / "Dockerfile"})


def failures(report: dict[str, Any]) -> list[str]:
    """One line per failed check."""
    return [
        f"{c['check_id']} {c['check_name']} ({c['resource']})"
        for c in report.get("results", {}).get("failed_checks", [])
    ]


def test_manifests_pass_checkov(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["kubernetes"]
    assert report["summary"]["passed"] > 0, "checkov checked nothing"
    assert failures(report) == []


def test_dockerfile_passes_checkov(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["dockerfile"]
    assert report["summary"]["passed"] > 0, "checkov checked nothing"
    assert failures(report) == []
