"""clearml-compose.yml: the ClearML server the pods use, with the example's credentials."""

import re
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import ROOT, Manifest, config_map_data, of_kind, read_env_file

SERVICES = {
    "apiserver",
    "fileserver",
    "webserver",
    "mongo",
    "redis",
    "elasticsearch",
    "async_delete",
}
PUBLISHED = {"apiserver": "8008:8008", "webserver": "8080:80", "fileserver": "8081:8081"}
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
AGENT = "CLEARML__secure__credentials__services_agent__"
S3_CREDENTIALS = "CLEARML__services__storage_credentials__aws__s3__credentials"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file, parsed (YAML anchors and merge keys resolved)."""
    return yaml.safe_load((ROOT / "clearml-compose.yml").read_text())


def env(compose: dict[str, Any], service: str) -> dict[str, str]:
    """A service's environment mapping."""
    return compose["services"][service]["environment"]


def variables(value: str) -> list[str]:
    """The ${VARIABLES} a compose value interpolates."""
    return VARIABLE.findall(value)


def server_config(manifests: list[Manifest]) -> dict[str, str]:
    """The server's ConfigMap data."""
    name = next(
        m["metadata"]["name"]
        for m in of_kind(manifests, "ConfigMap")
        if m["metadata"]["name"].startswith("server-config-")
    )
    return config_map_data(manifests, name)


def test_has_the_clearml_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES


def test_clearml_images_share_one_pinned_version(compose: dict[str, Any]) -> None:
    clearml = {s["image"] for s in compose["services"].values() if "clearml" in s["image"]}
    assert len(clearml) == 1
    assert re.fullmatch(r"allegroai/clearml:\d+\.\d+\.\d+(-\d+)?", clearml.pop())


def test_publishes_api_web_and_files_ports(compose: dict[str, Any]) -> None:
    published = {
        name: s.get("ports", []) for name, s in compose["services"].items() if s.get("ports")
    }
    assert published == {name: [port] for name, port in PUBLISHED.items()}


def test_preseeded_api_credentials_are_the_example_secrets(compose: dict[str, Any]) -> None:
    example = read_env_file(ROOT / "k8s" / "secrets.env.example")
    api = env(compose, "apiserver")
    assert variables(api[AGENT + "user_key"]) == ["CLEARML_API_ACCESS_KEY"]
    assert variables(api[AGENT + "user_secret"]) == ["CLEARML_API_SECRET_KEY"]
    assert {"CLEARML_API_ACCESS_KEY", "CLEARML_API_SECRET_KEY"} <= set(example)


def test_every_interpolated_variable_is_in_the_example() -> None:
    example = read_env_file(ROOT / "k8s" / "secrets.env.example")
    used = set(variables((ROOT / "clearml-compose.yml").read_text()))
    assert used and used <= set(example), (
        f"not in secrets.env.example: {sorted(used - set(example))}"
    )


def test_async_delete_can_delete_the_service_s3_objects(
    compose: dict[str, Any], manifests: list[Manifest]
) -> None:
    endpoint = server_config(manifests)["MLSERVICE_S3_ENDPOINT"]
    for service in ("apiserver", "async_delete"):
        credentials = env(compose, service)[S3_CREDENTIALS]
        assert f'host: "{endpoint}"' in credentials, service
        assert variables(credentials) == ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"], service
        assert "secure: false" in credentials
    host = endpoint.split(":")[0]
    assert f"{host}:host-gateway" in compose["services"]["async_delete"]["extra_hosts"]


def test_pods_reach_clearml_at_the_published_ports(manifests: list[Manifest]) -> None:
    config = server_config(manifests)
    assert config["CLEARML_API_HOST"] == "http://host.minikube.internal:8008"
    assert config["CLEARML_FILES_HOST"] == "http://host.minikube.internal:8081"


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    for name in ("mongo", "redis", "elasticsearch", "fileserver"):
        mounts = compose["services"][name]["volumes"]
        assert all(m.split(":")[0] in compose["volumes"] for m in mounts), name
