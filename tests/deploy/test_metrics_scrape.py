"""Prometheus can scrape the server and the REST proxy: annotations, ports, network policies."""

import pytest

from rest.metrics import METRICS_PATH
from server.settings import Settings
from tests.deploy.manifests import (
    Manifest,
    container,
    container_env,
    container_ports,
    named,
    of_kind,
)

MONITORING_NAMESPACE = "monitoring"
# Service -> (the container port name Prometheus scrapes, the setting that port comes from).
SCRAPED = {
    "mlservice-server": ("metrics", "MLSERVICE_METRICS_PORT"),
    "mlservice-rest": ("http", "MLSERVICE_REST_PORT"),
}


@pytest.mark.parametrize("service", sorted(SCRAPED))
def test_scraped_services_carry_the_prometheus_annotations(
    manifests: list[Manifest], service: str
) -> None:
    annotations = named(manifests, "Service", service)["metadata"].get("annotations", {})
    port_name, setting = SCRAPED[service]
    spec = container(manifests, service)
    port = container_ports(spec)[port_name]
    assert annotations.get("prometheus.io/scrape") == "true"
    assert annotations.get("prometheus.io/path") == METRICS_PATH
    assert annotations.get("prometheus.io/port") == str(port)
    assert int(container_env(manifests, spec)[setting]) == port


def test_the_server_metrics_port_is_the_settings_default(manifests: list[Manifest]) -> None:
    port = container_ports(container(manifests, "mlservice-server"))["metrics"]
    assert port == Settings.model_fields["metrics_port"].default


@pytest.mark.parametrize("service", sorted(SCRAPED))
def test_network_policies_let_prometheus_scrape(manifests: list[Manifest], service: str) -> None:
    policy = next(
        p
        for p in of_kind(manifests, "NetworkPolicy")
        if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == service
    )
    port_name = SCRAPED[service][0]
    from_monitoring = [
        rule
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
        if peer.get("namespaceSelector", {})
        .get("matchLabels", {})
        .get("kubernetes.io/metadata.name")
        == MONITORING_NAMESPACE
    ]
    assert [[p["port"] for p in rule["ports"]] for rule in from_monitoring] == [[port_name]]
