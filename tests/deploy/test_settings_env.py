"""The manifests set only settings the programs read, and every setting a pod needs."""

import os

import pytest

from server.settings import Settings
from tests.deploy.manifests import FROM_SECRET, Manifest, container, container_env
from tests.deploy.settings_env import program_env_names, settings_env_names

# What each program needs to be set explicitly in the cluster (the rest keep their defaults).
REQUIRED = {
    "mlservice-server": {
        "MLSERVICE_GRPC_HOST",
        "MLSERVICE_GRPC_PORT",
        "MLSERVICE_DATA_DIR",
        "MLSERVICE_S3_ENDPOINT",
        "MLSERVICE_S3_ACCESS_KEY",
        "MLSERVICE_S3_SECRET_KEY",
        "MLSERVICE_S3_BUCKET",
        "MLSERVICE_S3_SECURE",
        "MLSERVICE_LOG_JSON",
        "CLEARML_API_HOST",
        "CLEARML_API_ACCESS_KEY",
        "CLEARML_API_SECRET_KEY",
    },
    "mlservice-rest": {"MLSERVICE_REST_HOST", "MLSERVICE_REST_PORT", "MLSERVICE_GRPC_TARGET"},
    "mlservice-dashboard": {"MLSERVICE_REST_URL"},
}
PACKAGES = {
    "mlservice-server": "server",
    "mlservice-rest": "rest",
    "mlservice-dashboard": "dashboard",
}


def mlservice_vars(env: dict[str, str]) -> set[str]:
    """The MLSERVICE_* names among a container's variables."""
    return {name for name in env if name.startswith("MLSERVICE_")}


def test_settings_names_come_from_the_settings_class() -> None:
    names = settings_env_names(Settings)
    assert {"MLSERVICE_GRPC_PORT", "MLSERVICE_DATA_DIR", "MLSERVICE_S3_ENDPOINT"} <= names


@pytest.mark.parametrize("deployment", sorted(REQUIRED))
def test_every_needed_setting_is_set(manifests: list[Manifest], deployment: str) -> None:
    env = container_env(manifests, container(manifests, deployment))
    assert REQUIRED[deployment] <= set(env), f"unset: {sorted(REQUIRED[deployment] - set(env))}"


@pytest.mark.parametrize("deployment", sorted(PACKAGES))
def test_every_mlservice_variable_set_is_read_by_the_program(
    manifests: list[Manifest], deployment: str
) -> None:
    package = PACKAGES[deployment]
    read = program_env_names(package)
    assert read is not None, f"{package}/ reads no MLSERVICE_* settings"
    env = container_env(manifests, container(manifests, deployment))
    unknown = mlservice_vars(env) - read
    assert not unknown, f"{deployment} sets variables {package}/ never reads: {sorted(unknown)}"


def test_server_settings_accept_the_configured_values(
    manifests: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("MLSERVICE_")]:
        monkeypatch.delenv(name)
    env = container_env(manifests, container(manifests, "mlservice-server"))
    for name, value in env.items():
        if name.startswith("MLSERVICE_") and value != FROM_SECRET:
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.grpc_host == "0.0.0.0"
    assert str(settings.data_dir) == "/data"
    assert settings.s3_endpoint.rsplit(":", 1)[1].isdigit(), "S3 endpoint is host:port"
