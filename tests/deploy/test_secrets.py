"""No credentials in the repository; the ones the pods use come from the generated Secret."""

import random
import string
import subprocess

import pytest

from tests.deploy.manifests import ROOT, Manifest, all_containers, read_env_file, workloads
from tests.deploy.secret_scan import findings

EXAMPLE = ROOT / "k8s" / "secrets.env.example"
MAX_SCANNED_BYTES = 2_000_000


def committable_files() -> list[str]:
    """Tracked files plus new ones that are not git-ignored: what a commit would contain."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in result.stdout.decode().split("\0") if name]


def random_token(length: int) -> str:
    """A random mixed-case token, built at run time so no literal sits in this file."""
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(length - 3)) + "aZ9"


def test_the_scanner_catches_credentials() -> None:
    assert findings("aws_access_key_id = " + "AKIA" + "QWERTYUIOPASDFGH")
    assert findings("-----BEGIN " + "RSA PRIVATE KEY-----")
    assert findings("user_secret: " + random_token(40))
    assert findings("MINIO_ROOT_PASSWORD=" + random_token(24))


def test_the_scanner_lets_placeholders_and_references_through() -> None:
    assert not findings("MINIO_ROOT_PASSWORD=minio-dev-password-change-me")
    assert not findings("key: ${CLEARML_API_ACCESS_KEY:?set it}")
    assert not findings("secretKeyRef: {name: mlservice-secrets, key: CLEARML_API_SECRET_KEY}")
    assert not findings("api_token: str = ''")


def test_no_committable_file_holds_a_credential() -> None:
    files = committable_files()
    assert "k8s/secrets.env.example" in files and "k8s/secrets.env" not in files
    problems = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > MAX_SCANNED_BYTES:
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        problems += [f"{name}: {hit}" for hit in findings(data.decode("utf-8", "replace"))]
    assert problems == []


@pytest.mark.parametrize("path", ["k8s/secrets.env", ".run/pf-rest.pid"])
def test_local_secrets_and_run_files_are_git_ignored(path: str) -> None:
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
    assert result.returncode == 0, f"{path} must be git-ignored"


def test_example_values_are_obvious_placeholders() -> None:
    for key, value in read_env_file(EXAMPLE).items():
        assert "dev" in value, f"{key} should read as a development placeholder"


def test_every_required_secret_key_is_in_the_example(manifests: list[Manifest]) -> None:
    example = set(read_env_file(EXAMPLE))
    for workload in workloads(manifests):
        for spec in all_containers(workload):
            for item in spec.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional", False):
                    assert ref["key"] in example, f"{workload['metadata']['name']}: {ref['key']}"


def test_secrets_reach_pods_by_key_only(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for spec in all_containers(workload):
            for source in spec.get("envFrom", []):
                assert "secretRef" not in source, "envFrom a Secret hides which keys a pod gets"
            for item in spec.get("env", []):
                if "value" in item and item["name"] != "MC_HOST_target":
                    assert not findings(f"{item['name']}={item['value']}"), item["name"]
