"""Fixtures for the deployment checks: the kustomize output, rendered once per session.

Rendering uses a temporary copy of k8s/ whose secrets.env is the committed example, so the
checks never read (or leave behind) a real k8s/secrets.env.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import K8S_DIR, Manifest


def render_kustomization(k8s_dir: Path, workdir: Path) -> str:
    """`kubectl kustomize` on a copy of `k8s_dir` with secrets.env taken from the example."""
    copy = workdir / "k8s"
    shutil.copytree(k8s_dir, copy, ignore=shutil.ignore_patterns("secrets.env"))
    shutil.copy(copy / "secrets.env.example", copy / "secrets.env")
    result = subprocess.run(
        ["kubectl", "kustomize", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"kubectl kustomize failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def rendered_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered manifests, as one multi-document YAML file."""
    workdir = tmp_path_factory.mktemp("kustomize")
    path = workdir / "rendered.yaml"
    path.write_text(render_kustomization(K8S_DIR, workdir))
    return path


@pytest.fixture(scope="session")
def manifests(rendered_file: Path) -> list[Manifest]:
    """The rendered manifests as dicts."""
    return [doc for doc in yaml.safe_load_all(rendered_file.read_text()) if doc]
