"""Helpers over rendered Kubernetes manifests (plain dicts from `kubectl kustomize`)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

Manifest = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "k8s"
FROM_SECRET = "<from secret>"
WORKLOAD_KINDS = ("Deployment", "Job")


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    """Every manifest of one kind."""
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    """The one manifest of a kind with a name; fails the test when absent."""
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def workloads(manifests: list[Manifest]) -> list[Manifest]:
    """Deployments and Jobs: everything that runs pods."""
    return [m for m in manifests if m["kind"] in WORKLOAD_KINDS]


def pod_spec(workload: Manifest) -> Manifest:
    """The pod spec of a Deployment or Job."""
    return workload["spec"]["template"]["spec"]


def all_containers(workload: Manifest) -> list[Manifest]:
    """Init containers and containers of a workload."""
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def container(manifests: list[Manifest], deployment: str) -> Manifest:
    """The single container of a Deployment."""
    containers = pod_spec(named(manifests, "Deployment", deployment))["containers"]
    assert len(containers) == 1, f"{deployment} should run one container"
    return containers[0]


def config_map_data(manifests: list[Manifest], name: str) -> dict[str, str]:
    """The data of a ConfigMap by its rendered (hash-suffixed) name."""
    return named(manifests, "ConfigMap", name).get("data", {})


def container_env(manifests: list[Manifest], spec: Manifest) -> dict[str, str]:
    """Every environment variable a container gets: envFrom ConfigMaps, then `env` entries."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        assert "configMapRef" in source, "envFrom only from ConfigMaps (secrets go by key)"
        env.update(config_map_data(manifests, source["configMapRef"]["name"]))
    for item in spec.get("env", []):
        env[item["name"]] = item.get("value", FROM_SECRET)
    return env


def container_ports(spec: Manifest) -> dict[str, int]:
    """The container's ports by name."""
    return {p["name"]: p["containerPort"] for p in spec.get("ports", [])}


def resolve_port(spec: Manifest, port: int | str) -> int:
    """A probe's or Service's port (number or container port name) as a number."""
    if isinstance(port, int):
        return port
    ports = container_ports(spec)
    assert port in ports, f"port name {port!r} is not a container port of {spec['name']}"
    return ports[port]


def images(manifests: list[Manifest]) -> Iterator[tuple[str, str]]:
    """(workload name, image) for every container."""
    for workload in workloads(manifests):
        for spec in all_containers(workload):
            yield workload["metadata"]["name"], spec["image"]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file (as kustomize and docker compose read them)."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs
