"""The kustomization renders, and the result is valid for the cluster's Kubernetes version."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.manifests import ROOT, Manifest, of_kind

EXPECTED = {
    ("Namespace", "mlservice"),
    ("Deployment", "mlservice-server"),
    ("Deployment", "mlservice-rest"),
    ("Deployment", "mlservice-dashboard"),
    ("Deployment", "minio"),
    ("Service", "mlservice-server"),
    ("Service", "mlservice-rest"),
    ("Service", "mlservice-dashboard"),
    ("Service", "minio"),
    ("PersistentVolumeClaim", "mlservice-data"),
    ("PersistentVolumeClaim", "minio-data"),
    ("Job", "minio-create-bucket"),
}


def cluster_kubernetes_version() -> str:
    """The Kubernetes version `make up` starts minikube with (mk/deploy.mk)."""
    text = (ROOT / "mk" / "deploy.mk").read_text()
    match = re.search(r"^KUBERNETES_VERSION \?= v(\d+\.\d+\.\d+)$", text, re.MULTILINE)
    assert match, "mk/deploy.mk must pin KUBERNETES_VERSION ?= vX.Y.Z"
    return match.group(1)


def kubernetes_validate() -> str:
    """The kubernetes-validate executable of this environment."""
    found = shutil.which("kubernetes-validate") or str(
        Path(sys.executable).parent / "kubernetes-validate"
    )
    assert Path(found).exists(), "kubernetes-validate is missing: uv sync --frozen"
    return found


def test_renders_every_expected_resource(manifests: list[Manifest]) -> None:
    rendered = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert rendered >= EXPECTED, f"missing: {sorted(EXPECTED - rendered)}"


def test_everything_lives_in_the_mlservice_namespace(manifests: list[Manifest]) -> None:
    for m in manifests:
        if m["kind"] != "Namespace":
            assert m["metadata"].get("namespace") == "mlservice", m["metadata"]["name"]


def test_settings_and_credentials_are_generated(manifests: list[Manifest]) -> None:
    config_maps = {m["metadata"]["name"].rsplit("-", 1)[0] for m in of_kind(manifests, "ConfigMap")}
    assert config_maps == {"server-config", "rest-config", "dashboard-config"}
    secrets = [m["metadata"]["name"] for m in of_kind(manifests, "Secret")]
    assert len(secrets) == 1 and secrets[0].startswith("mlservice-secrets-")


def test_passes_strict_schema_validation(rendered_file: Path) -> None:
    version = cluster_kubernetes_version()
    result = subprocess.run(
        [kubernetes_validate(), "--strict", "--quiet", "-k", version, str(rendered_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
