"""Probes use ports and paths the programs really serve."""

import ast
import json
from pathlib import Path
from urllib.parse import urlparse

import yaml

from server.settings import Settings
from tests.deploy.manifests import (
    ROOT,
    Manifest,
    container,
    container_env,
    container_ports,
    named,
    pod_spec,
    resolve_port,
)

PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
# Served by the REST proxy itself, outside the generated spec (DESIGN.md: Swagger UI, spec).
PROXY_OWN_PATHS = {"/openapi.json", "/docs"}


def probes(spec: Manifest) -> dict[str, Manifest]:
    """The container's probes by kind."""
    return {kind: spec[kind] for kind in PROBES if kind in spec}


def openapi_paths() -> set[str] | None:
    """Every GET-able path of the generated REST spec (with its server base path)."""
    specs = sorted(
        p for p in (ROOT / "rest" / "openapi").glob("*") if p.suffix in (".yaml", ".yml", ".json")
    )
    if not specs:
        return None
    paths: set[str] = set()
    for path in specs:
        document = (
            json.loads(path.read_text())
            if path.suffix == ".json"
            else yaml.safe_load(path.read_text())
        )
        base = urlparse((document.get("servers") or [{}])[0].get("url", "")).path.rstrip("/")
        paths |= {base + p for p, ops in document.get("paths", {}).items() if "get" in ops}
    return paths


def shutdown_grace_seconds() -> float:
    """`SHUTDOWN_GRACE_SECONDS` of server/__main__.py, read without importing the server."""
    tree = ast.parse((ROOT / "server" / "__main__.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "id", None) == "SHUTDOWN_GRACE_SECONDS" for t in targets):
                return float(ast.literal_eval(node.value))
    raise AssertionError("server/__main__.py defines no SHUTDOWN_GRACE_SECONDS")


def test_server_probes_are_native_grpc_on_the_grpc_port(manifests: list[Manifest]) -> None:
    spec = container(manifests, "mlservice-server")
    env = container_env(manifests, spec)
    port = int(env["MLSERVICE_GRPC_PORT"])
    assert container_ports(spec) == {"grpc": port, "metrics": int(env["MLSERVICE_METRICS_PORT"])}
    assert port == Settings.model_fields["grpc_port"].default
    found = probes(spec)
    assert {"readinessProbe", "livenessProbe"} <= set(found)
    for kind, probe in found.items():
        assert set(probe) & {"grpc", "httpGet", "exec", "tcpSocket"} == {"grpc"}, kind
        assert probe["grpc"]["port"] == port, kind


def test_server_shuts_down_within_its_grace_period(manifests: list[Manifest]) -> None:
    grace = pod_spec(named(manifests, "Deployment", "mlservice-server"))[
        "terminationGracePeriodSeconds"
    ]
    assert shutdown_grace_seconds() < grace <= 60


def test_rest_probes_use_the_rest_port(manifests: list[Manifest]) -> None:
    spec = container(manifests, "mlservice-rest")
    port = int(container_env(manifests, spec)["MLSERVICE_REST_PORT"])
    assert container_ports(spec) == {"http": port}
    found = probes(spec)
    assert {"readinessProbe", "livenessProbe"} <= set(found)
    for kind, probe in found.items():
        assert resolve_port(spec, probe["httpGet"]["port"]) == port, kind
    assert found["readinessProbe"]["httpGet"]["path"] == "/v1/status"


def test_rest_probe_paths_are_served(manifests: list[Manifest]) -> None:
    served = openapi_paths()
    assert served is not None, "rest/openapi/ holds no spec (make proto writes it)"
    for kind, probe in probes(container(manifests, "mlservice-rest")).items():
        path = probe["httpGet"]["path"]
        assert path in served | PROXY_OWN_PATHS, f"{kind} {path} is not a GET path of the REST API"


def test_dashboard_probes_use_streamlit_health_on_its_port(manifests: list[Manifest]) -> None:
    spec = container(manifests, "mlservice-dashboard")
    assert "--server.port=8501" in spec["command"]
    assert "dashboard/app.py" in spec["command"]
    assert container_ports(spec) == {"http": 8501}
    found = probes(spec)
    assert {"readinessProbe", "livenessProbe"} <= set(found)
    for probe in found.values():
        assert probe["httpGet"]["path"] == "/_stcore/health"
        assert resolve_port(spec, probe["httpGet"]["port"]) == 8501


def test_minio_probes_use_its_health_endpoints(manifests: list[Manifest]) -> None:
    spec = container(manifests, "minio")
    found = probes(spec)
    assert found["readinessProbe"]["httpGet"]["path"] == "/minio/health/ready"
    assert found["livenessProbe"]["httpGet"]["path"] == "/minio/health/live"
    for probe in found.values():
        assert resolve_port(spec, probe["httpGet"]["port"]) == 9000
    assert "--address=:9000" in spec["args"]


def test_every_long_running_container_has_probes(manifests: list[Manifest]) -> None:
    for deployment in ("mlservice-server", "mlservice-rest", "mlservice-dashboard", "minio"):
        assert {"readinessProbe", "livenessProbe"} <= set(probes(container(manifests, deployment)))


def test_entry_points_are_the_documented_ones(manifests: list[Manifest]) -> None:
    assert container(manifests, "mlservice-server")["command"] == ["python", "-m", "server"]
    assert container(manifests, "mlservice-rest")["command"] == ["python", "-m", "rest"]
    assert container(manifests, "mlservice-dashboard")["command"][:3] == [
        "streamlit",
        "run",
        "dashboard/app.py",
    ]
    assert (Path(ROOT) / "server" / "__main__.py").exists()
