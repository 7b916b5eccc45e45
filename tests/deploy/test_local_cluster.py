"""The rendered manifests really run: each Deployment as a local process, probed like the kubelet.

No container runtime or cluster is available to the tests, so `local_cluster.py` starts every
Deployment's container command with its resolved environment as a local process and puts
moto_server (the `s3_server` fixture) in MinIO's place; its docstring lists every substitution.
MinIO's own probes are not run: moto does not serve MinIO's health paths. The bucket Job's `mc`
steps are carried out with boto3. Then the test waits for the startup and readiness probes, runs
the end-to-end flow over gRPC and REST through the Services' (local) addresses, checks that the
dataset landed in object storage, that every declared port is served and nothing is written
outside the volumes, hits the liveness probes and stops everything with SIGTERM.
"""

import io
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import httpx
import pytest
from sklearn.datasets import load_iris

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from server.settings import Settings
from server.storage.s3 import dvc_remote_url
from tests.deploy.local_cluster import (
    BUCKET_JOB,
    NO_PROXY,
    LocalCluster,
    Pod,
    assert_private,
    bucket_job_steps,
    mc_target,
    minio_root_credentials,
    run_mc_step,
    s3_client,
)
from tests.deploy.manifests import Manifest, container_ports, of_kind
from tests.grpc_helpers import READY, rows, struct, upload, wait_for_model
from tests.s3_server import S3Server

SERVER, REST, DASHBOARD = "mlservice-server", "mlservice-rest", "mlservice-dashboard"
GRPC_SERVICE, REST_SERVICE = "mlservice-server:50051", "mlservice-rest:8080"
READY_TIMEOUT_S = 150
TRAIN_TIMEOUT_S = 100
PROBES = {"startupProbe", "readinessProbe", "livenessProbe"}
SAMPLE: list[list[object]] = [[5.1, 3.5, 1.4, 0.2], [5.9, 3.0, 4.2, 1.5], [6.9, 3.1, 5.4, 2.1]]
SPECIES = ["setosa", "versicolor", "virginica"]


@pytest.fixture
def cluster(
    manifests: list[Manifest], s3_server: S3Server, tmp_path: Path
) -> Iterator[LocalCluster]:
    """The local cluster, described and not started; every started process stops afterwards."""
    local = LocalCluster.build(manifests, s3_server, tmp_path)
    yield local
    local.stop()


def iris_csv() -> bytes:
    """The iris table as CSV with the species names as the target."""
    iris = load_iris(as_frame=True)
    frame = iris.frame
    frame["target"] = iris.target_names[iris.target]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def dvc_remote(cluster: LocalCluster) -> str:
    """The DVC remote URL the server derives from its (local) environment."""
    env = cluster.pods[SERVER].declared
    fields = {k.removeprefix("MLSERVICE_").lower(): v for k, v in env.items()}
    return dvc_remote_url(Settings.model_validate(fields))


def leftovers(pod: Pod, services: list[str]) -> list[str]:
    """Arguments and variables of a pod still naming a Service host or every interface."""
    values = [*pod.argv, *(f"{key}={value}" for key, value in pod.declared.items())]
    names = "|".join(re.escape(s) for s in services)
    pattern = re.compile(rf"(?:^|=|//|@)(?:{names})(?:\.[\w.-]+)?(?::|/|$)|0\.0\.0\.0")
    return [value for value in values if pattern.search(value)]


def run_bucket_job(cluster: LocalCluster) -> str:
    """Carry out every step of the bucket Job; all of them name the same bucket."""
    buckets = {run_mc_step(step, cluster) for step in bucket_job_steps(cluster.manifests)}
    assert len(buckets) == 1, buckets
    return buckets.pop()


def test_local_commands_keep_nothing_in_cluster(cluster: LocalCluster, tmp_path: Path) -> None:
    services = [s["metadata"]["name"] for s in of_kind(cluster.manifests, "Service")]
    assert set(cluster.pods) == {SERVER, REST, DASHBOARD}
    for pod in cluster.pods.values():
        assert leftovers(pod, services) == [], pod.name
        assert not any(key.startswith("CLEARML_") for key in pod.declared), pod.name
        assert Path(pod.declared["TMPDIR"]).is_relative_to(tmp_path)
        for kind in PROBES & set(pod.spec):
            action = pod.spec[kind].get("grpc") or pod.spec[kind]["httpGet"]
            assert pod.local_port(action["port"]) not in container_ports(pod.spec).values()
    server, rest, dashboard = (cluster.pods[name].declared for name in (SERVER, REST, DASHBOARD))
    assert server["MLSERVICE_GRPC_PORT"] == cluster.address(GRPC_SERVICE).rpartition(":")[2]
    assert Path(server["MLSERVICE_DATA_DIR"]).is_relative_to(tmp_path)
    assert rest["MLSERVICE_GRPC_TARGET"] == cluster.address(GRPC_SERVICE)
    assert rest["MLSERVICE_REST_PORT"] == cluster.address(REST_SERVICE).rpartition(":")[2]
    assert dashboard["MLSERVICE_REST_URL"] == f"http://{cluster.address(REST_SERVICE)}"
    assert server["MLSERVICE_S3_ENDPOINT"] == cluster.s3.endpoint


def test_server_logs_into_minio_with_its_root_account(cluster: LocalCluster) -> None:
    # moto accepts any keys: this is what makes the real MinIO accept the server's.
    server = cluster.pods[SERVER].declared
    user, password = minio_root_credentials(cluster.manifests)
    keys = server["MLSERVICE_S3_ACCESS_KEY"], server["MLSERVICE_S3_SECRET_KEY"]
    assert keys == (user, password)
    for step in bucket_job_steps(cluster.manifests):
        target = mc_target(step, step.argv[-1])
        assert (target.access_key, target.secret_key) == (user, password), step.container
        assert cluster.address(target.endpoint) == cluster.s3.endpoint, step.container


def test_bucket_job_makes_the_servers_bucket_private_and_can_run_again(
    cluster: LocalCluster,
) -> None:
    steps = [step.container for step in bucket_job_steps(cluster.manifests)]
    assert steps == ["make-bucket", "keep-private"], f"{BUCKET_JOB} changed: {steps}"
    first, second = run_bucket_job(cluster), run_bucket_job(cluster)
    server = cluster.pods[SERVER].declared
    assert first == second == server["MLSERVICE_S3_BUCKET"]
    assert urlsplit(dvc_remote(cluster)).netloc == first
    user, password = minio_root_credentials(cluster.manifests)
    client = s3_client(cluster.s3.endpoint, user, password)
    client.head_bucket(Bucket=first)
    assert_private(client, first)


def test_the_deployments_serve_end_to_end(cluster: LocalCluster) -> None:
    with cluster.logs_on_failure():
        with cluster.phase("bucket job"):
            bucket = run_bucket_job(cluster)
        with cluster.phase("start, startup and readiness probes"):
            cluster.start()
            cluster.wait_ready(READY_TIMEOUT_S)
        with (
            cluster.phase("gRPC flow"),
            grpc.insecure_channel(cluster.address(GRPC_SERVICE), NO_PROXY) as ch,
        ):
            md5 = grpc_flow(ch)
        with (
            cluster.phase("REST flow"),
            httpx.Client(base_url=rest_url(cluster), timeout=30, trust_env=False) as api,
        ):
            rest_flow(api, cluster)
        assert_dataset_stored(cluster, bucket, md5)
        dashboard_reaches_rest(cluster)
        with cluster.phase("liveness probes"):
            cluster.assert_alive()
        assert_pods_behave(cluster)
        with cluster.phase("SIGTERM"):
            codes = cluster.stop()
        # uvicorn re-raises SIGTERM after its graceful shutdown; -9: killed after the grace period.
        assert set(codes.values()) <= {0, -signal.SIGTERM}, codes
        assert codes[SERVER] == 0, codes
        print("\n".join([*cluster.timings, f"exit codes: {codes}"]))


def rest_url(cluster: LocalCluster) -> str:
    """The REST proxy's base URL, through its Service's local address."""
    return f"http://{cluster.address(REST_SERVICE)}"


def grpc_flow(channel: grpc.Channel) -> str:
    """Upload iris, train a LogisticRegression, predict; return the dataset version's md5."""
    version = upload(channel, "cluster-iris", iris_csv())
    assert version.row_count == 150
    models = models_pb2_grpc.ModelServiceStub(channel)
    model = models.TrainModel(
        models_pb2.TrainModelRequest(
            model_id="cluster-iris-lr",
            model_class="LogisticRegression",
            hyperparameters=struct({"max_iter": 300}),
            dataset="datasets/cluster-iris",
            target_column="target",
        )
    )
    model = wait_for_model(channel, model.name, timeout=TRAIN_TIMEOUT_S)
    assert model.state == READY, model.error
    predicted = models.Predict(models_pb2.PredictRequest(name=model.name, rows=rows(SAMPLE)))
    assert [p.string_value for p in predicted.predictions] == SPECIES
    datasets = datasets_pb2_grpc.DatasetServiceStub(channel)
    stored = datasets.GetDataset(datasets_pb2.GetDatasetRequest(name="datasets/cluster-iris"))
    assert stored.versions[-1].md5 == version.md5
    return str(version.md5)


def rest_flow(api: httpx.Client, cluster: LocalCluster) -> None:
    """List datasets, read the model, predict and read the status through the REST proxy."""
    listed = api.get("/v1/datasets")
    assert listed.status_code == 200, listed.text
    assert "datasets/cluster-iris" in [d["name"] for d in listed.json()["datasets"]]
    model = api.get("/v1/models/cluster-iris-lr").json()
    assert model["state"] == "MODEL_STATE_READY", model
    predicted = api.post("/v1/models/cluster-iris-lr:predict", json={"rows": SAMPLE})
    assert predicted.status_code == 200, predicted.text
    assert predicted.json()["predictions"] == SPECIES
    status = api.get("/v1/status").json()
    components = {c["name"]: c for c in status["components"]}
    remote = components["dataset_remote"]
    assert remote["state"] == "COMPONENT_STATE_OK", remote
    assert cluster.s3.endpoint in remote["message"], remote
    assert components["model_registry"]["state"] == "COMPONENT_STATE_OK", components


def assert_dataset_stored(cluster: LocalCluster, bucket: str, md5: str) -> None:
    """The upload's object is in the bucket under the configured DVC remote prefix."""
    remote = urlsplit(dvc_remote(cluster))
    assert (remote.scheme, remote.netloc) == ("s3", bucket)
    prefix = remote.path.strip("/")
    client = s3_client(cluster.s3.endpoint, *minio_root_credentials(cluster.manifests))
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert f"{prefix}/files/md5/{md5[:2]}/{md5[2:]}" in keys, keys


def assert_pods_behave(cluster: LocalCluster) -> None:
    """Every declared port is served; nothing is written outside volumes on a read-only root."""
    for pod in cluster.pods.values():
        assert pod.silent_ports() == [], f"{pod.name} declares ports nobody serves"
        if pod.spec.get("securityContext", {}).get("readOnlyRootFilesystem"):
            assert pod.root_fs_writes() == [], f"{pod.name} writes to its read-only root"


def dashboard_reaches_rest(cluster: LocalCluster) -> None:
    """The REST URL the dashboard is configured with answers."""
    url = cluster.pods[DASHBOARD].declared["MLSERVICE_REST_URL"]
    assert httpx.get(f"{url}/v1/status", timeout=10, trust_env=False).status_code == 200
