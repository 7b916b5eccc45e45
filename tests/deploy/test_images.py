"""Every image is pinned: a tag (never `latest`), in the manifests, compose file and Dockerfile."""

import re

import yaml

from tests.deploy.manifests import ROOT, Manifest, images

PINNED = re.compile(r"^[\w.\-/:]+:(?!latest$)[\w.\-]+(@sha256:[0-9a-f]{64})?$")


def is_pinned(image: str) -> bool:
    """A tag other than `latest` (optionally with a digest); a registry port is no tag."""
    name = image.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    return ":" in last and bool(PINNED.match(image))


def test_the_pin_rule_itself() -> None:
    assert is_pinned("quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z")
    assert is_pinned("python:3.11.14-slim-bookworm@sha256:" + "a" * 64)
    assert not is_pinned("mongo")
    assert not is_pinned("redis:latest")
    assert not is_pinned("localhost:5000/mlservice")


def test_manifest_images_are_pinned(manifests: list[Manifest]) -> None:
    for workload, image in images(manifests):
        assert is_pinned(image), f"{workload}: {image}"


def test_own_image_is_the_dev_placeholder_that_make_up_overrides(manifests: list[Manifest]) -> None:
    own = {image for _, image in images(manifests) if image.split(":")[0] == "mlservice"}
    assert own == {"mlservice:dev"}


def test_minio_images_come_from_quay_at_release_tags(manifests: list[Manifest]) -> None:
    minio = [image for _, image in images(manifests) if "minio" in image]
    assert {i.split(":")[0] for i in minio} == {"quay.io/minio/minio", "quay.io/minio/mc"}
    for image in minio:
        assert re.search(r":RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$", image), image


def test_compose_images_are_pinned() -> None:
    compose = yaml.safe_load((ROOT / "clearml-compose.yml").read_text())
    for name, service in compose["services"].items():
        assert is_pinned(service["image"]), f"{name}: {service['image']}"


def test_dockerfile_images_are_pinned() -> None:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            assert is_pinned(line.split()[1]), line
