"""Services select their Deployment's pods and point at ports those containers expose."""

from tests.deploy.manifests import Manifest, named, of_kind, pod_spec, resolve_port

EXPECTED_PORTS = {
    "mlservice-server": {"grpc": 50051},
    "mlservice-rest": {"http": 8080},
    "mlservice-dashboard": {"http": 8501},
    "minio": {"s3": 9000, "console": 9001},
}


def selected_deployments(manifests: list[Manifest], service: Manifest) -> list[Manifest]:
    """Deployments whose pod labels match the Service's selector."""
    selector = service["spec"]["selector"].items()
    return [
        d
        for d in of_kind(manifests, "Deployment")
        if selector <= d["spec"]["template"]["metadata"]["labels"].items()
    ]


def test_each_service_selects_exactly_one_deployment(manifests: list[Manifest]) -> None:
    for service in of_kind(manifests, "Service"):
        name = service["metadata"]["name"]
        found = selected_deployments(manifests, service)
        assert [d["metadata"]["name"] for d in found] == [name], f"Service {name} selects {found}"


def test_deployment_selectors_match_their_pod_labels(manifests: list[Manifest]) -> None:
    for deployment in of_kind(manifests, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_service_ports_reach_container_ports(manifests: list[Manifest]) -> None:
    for service in of_kind(manifests, "Service"):
        name = service["metadata"]["name"]
        spec = pod_spec(selected_deployments(manifests, service)[0])["containers"][0]
        ports = {
            p["name"]: (p["port"], resolve_port(spec, p["targetPort"]))
            for p in service["spec"]["ports"]
        }
        expected = {
            port_name: (number, number) for port_name, number in EXPECTED_PORTS[name].items()
        }
        assert ports == expected, name


def test_in_cluster_addresses_name_real_services(manifests: list[Manifest]) -> None:
    rest = named(manifests, "ConfigMap", _config(manifests, "rest-config"))["data"]
    dashboard = named(manifests, "ConfigMap", _config(manifests, "dashboard-config"))["data"]
    server = named(manifests, "ConfigMap", _config(manifests, "server-config"))["data"]
    assert rest["MLSERVICE_GRPC_TARGET"] == "mlservice-server:50051"
    assert dashboard["MLSERVICE_REST_URL"] == "http://mlservice-rest:8080"
    assert server["MLSERVICE_S3_ENDPOINT"] == "minio:9000"
    for host in ("mlservice-server", "mlservice-rest", "minio"):
        named(manifests, "Service", host)


def _config(manifests: list[Manifest], prefix: str) -> str:
    """The rendered (hash-suffixed) name of a generated ConfigMap."""
    names = [m["metadata"]["name"] for m in of_kind(manifests, "ConfigMap")]
    return next(n for n in names if n.rsplit("-", 1)[0] == prefix)


def test_network_policies_let_the_callers_in(manifests: list[Manifest]) -> None:
    allowed = {}
    for policy in of_kind(manifests, "NetworkPolicy"):
        target = policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        sources = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in policy["spec"].get("ingress", [])
            for peer in rule["from"]
            if "namespaceSelector" not in peer  # Prometheus' namespace: test_metrics_scrape.py
        }
        allowed[target] = sources
    assert allowed[None] == set(), "a default deny-all ingress policy"
    assert allowed["mlservice-server"] == {"mlservice-rest"}
    assert allowed["mlservice-rest"] == {"mlservice-dashboard"}
    assert allowed["minio"] == {"mlservice-server", "minio-create-bucket"}
