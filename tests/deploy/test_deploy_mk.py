"""mk/deploy.mk: the targets exist, every step can fail the target, and `make up` waits for
every workload the manifests define. `make up`/`make down` are run against stub minikube and
kubectl programs in a copy of the repository."""

import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.manifests import ROOT, Manifest, of_kind

DEPLOY_MK = ROOT / "mk" / "deploy.mk"
TARGETS = ("up", "down", "logs", "clearml-up", "clearml-down")
FORWARDS = ("rest", "dashboard", "grpc", "minio", "minio-console")

STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
case "$*" in
  *port-forward*) echo "Forwarding from 127.0.0.1:1 -> 1"
    exec "$STUB_PYTHON" -c "import time; time.sleep(300)" "$@" ;;
esac
for failing in $STUB_FAIL; do
  case "$*" in *$failing*) echo "stub failure: $*" >&2; exit 1 ;; esac
done
exit 0
"""


def recipe_lines() -> list[str]:
    """The recipe lines of mk/deploy.mk (those starting with a tab)."""
    return [line for line in DEPLOY_MK.read_text().splitlines() if line.startswith("\t")]


def dry_run(target: str) -> str:
    """The commands `make -n` would run for a target."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-f", str(DEPLOY_MK), target, "IMAGE_TAG=test-tag"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_targets_exist_and_are_documented() -> None:
    text = DEPLOY_MK.read_text()
    for target in TARGETS:
        assert re.search(rf"^{re.escape(target)}:.*## \S", text, re.MULTILINE), target


def test_no_step_ignores_its_failure() -> None:
    text = DEPLOY_MK.read_text()
    assert not re.search(r"\|\|\s*(true|:)(\s|;|$)", text)
    for line in recipe_lines():
        assert not re.match(r"\t[@+]*-", line), f"`-` ignores errors: {line.strip()}"


def test_up_waits_for_every_workload(manifests: list[Manifest]) -> None:
    commands = dry_run("up")
    for deployment in of_kind(manifests, "Deployment"):
        assert f"rollout status deployment/{deployment['metadata']['name']} --timeout=" in commands
    for job in of_kind(manifests, "Job"):
        name = job["metadata"]["name"]
        assert f"wait --for=condition=complete job/{name}" in commands
        assert f"delete job/{name} --ignore-not-found" in commands, "Jobs are immutable: re-create"


def test_up_builds_a_unique_tag_into_minikube_and_deploys_it() -> None:
    commands = dry_run("up")
    assert "image build -t mlservice:test-tag ." in commands
    assert 'newTag: "test-tag"' in commands
    assert "--driver=docker" in commands and "--context=minikube" in commands
    order = ["status", "image build", "apply -k", "rollout status", "port-forward"]
    positions = [commands.index(step) for step in order]
    assert positions == sorted(positions), "minikube, build, apply, wait, then port-forward"


def test_down_deletes_the_kustomization() -> None:
    assert "delete -k k8s --ignore-not-found" in dry_run("down")


def test_clearml_targets_use_the_compose_file_and_the_secrets() -> None:
    for target, verb in (("clearml-up", "up -d"), ("clearml-down", "down")):
        commands = dry_run(target)
        assert f"-f clearml-compose.yml --env-file k8s/secrets.env {verb}" in commands


@pytest.fixture
def sandbox(tmp_path: Path):
    """A copy of the deployment files with stub minikube/kubectl/docker first on PATH."""
    work = tmp_path / "repo"
    for name in ("mk", "k8s", "Dockerfile", "clearml-compose.yml"):
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(
            source,
            work / name,
            **({"ignore": shutil.ignore_patterns("secrets.env")} if source.is_dir() else {}),
        )
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("minikube", "kubectl", "docker"):
        (stubs / tool).write_text(STUB)
        (stubs / tool).chmod(stat.S_IRWXU)
    env = {
        **os.environ,
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "STUB_LOG": str(tmp_path / "calls.log"),
        "STUB_PYTHON": sys.executable,
    }
    yield work, env, tmp_path / "calls.log"
    for pid_file in (work / ".run").glob("*.pid"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def make(
    work: Path, env: dict[str, str], target: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run a target of mk/deploy.mk in the sandbox."""
    variables = [f"{k}={v}" for k, v in {"IMAGE_TAG": "test-tag", **extra}.items()]
    return subprocess.run(
        ["make", "--no-print-directory", "-f", "mk/deploy.mk", target, *variables],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def alive(pid: int) -> bool:
    """Whether a process runs (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "State:\tZ" not in status.read_text()


def test_up_then_down_with_stub_tools(sandbox) -> None:
    work, env, calls = sandbox
    up = make(work, env, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "WARNING" in up.stderr and (work / "k8s" / "secrets.env").exists()
    assert "http://127.0.0.1:18080/docs" in up.stdout
    assert 'newTag: "test-tag"' in (work / ".run" / "k8s" / "kustomization.yaml").read_text()
    pids = {name: int((work / ".run" / f"pf-{name}.pid").read_text()) for name in FORWARDS}
    assert all(alive(pid) for pid in pids.values())

    down = make(work, {**env, "COLUMNS": "80"}, "down")  # `ps` must not cut the command line
    assert down.returncode == 0, down.stdout + down.stderr
    assert not list((work / ".run").glob("*.pid"))
    assert not any(alive(pid) for pid in pids.values())
    assert "kubectl --context=minikube delete -k k8s --ignore-not-found" in calls.read_text()


@pytest.mark.parametrize(
    "failing", ["rollout status deployment/mlservice-rest", "wait --for", "image build"]
)
def test_up_fails_when_a_step_fails(sandbox, failing: str) -> None:
    work, env, calls = sandbox
    result = make(work, {**env, "STUB_FAIL": failing.replace(" ", "?")}, "up")
    assert result.returncode != 0
    assert "port-forward" not in calls.read_text(), "nothing runs after a failed step"


def test_up_fails_when_a_port_forward_dies(sandbox) -> None:
    work, env, _ = sandbox
    (Path(env["PATH"].split(":")[0]) / "kubectl").write_text(
        STUB.replace('exec "$STUB_PYTHON"', 'exit 1; exec "$STUB_PYTHON"')
    )
    result = make(work, env, "up")
    assert result.returncode != 0
    assert "port-forward rest failed" in result.stderr
