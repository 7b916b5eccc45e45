"""Volumes and rollout strategies: one writer per ReadWriteOnce volume; a private bucket."""

from server.settings import Settings
from server.storage.s3 import dvc_remote_url
from tests.deploy.manifests import (
    Manifest,
    all_containers,
    container,
    named,
    of_kind,
    pod_spec,
    workloads,
)


def claimants(manifests: list[Manifest], claim: str) -> list[str]:
    """Names of the workloads whose pods mount a PersistentVolumeClaim."""
    return [
        w["metadata"]["name"]
        for w in workloads(manifests)
        if any(
            v.get("persistentVolumeClaim", {}).get("claimName") == claim
            for v in pod_spec(w).get("volumes", [])
        )
    ]


def test_data_volume_is_mounted_by_the_server_deployment_only(manifests: list[Manifest]) -> None:
    assert claimants(manifests, "mlservice-data") == ["mlservice-server"]


def test_server_mounts_the_data_volume_at_the_data_dir(manifests: list[Manifest]) -> None:
    spec = container(manifests, "mlservice-server")
    volumes = pod_spec(named(manifests, "Deployment", "mlservice-server"))["volumes"]
    data = next(v["name"] for v in volumes if "persistentVolumeClaim" in v)
    mounts = {m["name"]: m["mountPath"] for m in spec["volumeMounts"]}
    data_dir = next(
        m for m in of_kind(manifests, "ConfigMap") if "MLSERVICE_DATA_DIR" in m.get("data", {})
    )
    assert mounts[data] == data_dir["data"]["MLSERVICE_DATA_DIR"]


def test_every_claim_is_used_by_exactly_one_workload(manifests: list[Manifest]) -> None:
    for claim in of_kind(manifests, "PersistentVolumeClaim"):
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
        assert len(claimants(manifests, claim["metadata"]["name"])) == 1, claim["metadata"]["name"]


def test_volume_owners_run_one_replica_and_recreate(manifests: list[Manifest]) -> None:
    for name in ("mlservice-server", "minio"):
        deployment = named(manifests, "Deployment", name)
        assert deployment["spec"]["replicas"] == 1, name
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}, name


def test_minio_credentials_come_from_the_secret(manifests: list[Manifest]) -> None:
    env = {e["name"]: e for e in container(manifests, "minio")["env"]}
    for name in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"].startswith("mlservice-secrets-") and ref["key"] == name


def test_bucket_job_is_idempotent_and_never_makes_the_bucket_public(
    manifests: list[Manifest],
) -> None:
    job = named(manifests, "Job", "minio-create-bucket")
    commands = [spec["args"] for spec in all_containers(job)]
    make = [args for args in commands if "mb" in args]
    assert len(make) == 1 and "--ignore-existing" in make[0]
    assert any(
        args[args.index("anonymous") :][1:3] == ["set", "none"]
        for args in commands
        if "anonymous" in args
    )
    for args in commands:
        if "anonymous" in args or "policy" in args:
            assert not {"public", "download", "upload"} & set(args), args
    assert all(spec["image"].startswith("quay.io/minio/mc:") for spec in all_containers(job))


def test_bucket_job_creates_the_bucket_the_server_uses(manifests: list[Manifest]) -> None:
    job = named(manifests, "Job", "minio-create-bucket")
    make = next(spec for spec in all_containers(job) if "mb" in spec["args"])
    env = {e["name"]: e for e in make["env"]}
    ref = env["MLSERVICE_S3_BUCKET"]["valueFrom"]["configMapKeyRef"]
    assert ref["name"].startswith("server-config-") and ref["key"] == "MLSERVICE_S3_BUCKET"
    assert make["args"][-1] == "target/$(MLSERVICE_S3_BUCKET)"
    assert env["MC_HOST_target"]["value"].endswith("@minio:9000")


def test_dvc_remote_is_in_the_bucket_the_job_creates(manifests: list[Manifest]) -> None:
    config = next(
        m for m in of_kind(manifests, "ConfigMap") if "MLSERVICE_S3_ENDPOINT" in m.get("data", {})
    )
    data = config["data"]
    settings = Settings(**{k.removeprefix("MLSERVICE_").lower(): v for k, v in data.items()})
    remote = dvc_remote_url(settings)
    assert remote == f"s3://{data['MLSERVICE_S3_BUCKET']}/dvc", remote
