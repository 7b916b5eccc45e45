"""Run the rendered Deployments as local processes: the offline stand-in for a cluster.

Each container's `command`/`args` and `env`/`envFrom` come from the rendered manifests, with
ConfigMap and Secret references resolved (Secret data base64-decoded) and `$(VAR)` expanded as
the kubelet does. Then every in-cluster value is made local, and only these substitutions:

- container ports -> free loopback ports: the `*_PORT` variables and `--...port=N` flags naming
  one of the container's ports, and the probes' ports;
- `0.0.0.0` -> `127.0.0.1`: nothing listens beyond loopback;
- Service addresses (`<service>[.<namespace>[.svc[.cluster.local]]]:<port>`) ->
  `127.0.0.1:<local port>`, following Service port -> targetPort -> the Deployment's containerPort;
- volume mounts (the data PVC, the `/tmp` and `$HOME` emptyDirs) -> temp dirs; `/tmp` (as
  TMPDIR) and the image's HOME where no volume is mounted -> temp dirs under `rootfs/`, where
  any file written would fail on the pods' read-only root file system (`Pod.root_fs_writes`);
- the image's working dir -> the repository root, its venv -> this interpreter's: `python` runs
  as `sys.executable`, console scripts such as `streamlit` as `sys.executable -m <name>`;
- MinIO -> `moto_server` (a real S3 API on loopback), used with MinIO's root credentials from the
  Secret (moto accepts any keys, so the test checks separately that the keys match);
- `CLEARML_*` variables are dropped: no ClearML server can run here; the ClearML path is covered
  by the offline-mode tests.
"""

import base64
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import grpc
import httpx
from botocore.config import Config
from botocore.exceptions import ClientError
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.deploy.manifests import (
    ROOT,
    Manifest,
    all_containers,
    config_map_data,
    container_ports,
    named,
    of_kind,
    pod_spec,
    resolve_port,
)
from tests.deploy.test_dockerfile import stages
from tests.processes import Process, free_port
from tests.s3_server import S3Server

LOOPBACK = "127.0.0.1"
NO_PROXY = [("grpc.enable_http_proxy", 0)]  # loopback only, whatever the machine's proxy is
IMAGE_VENV = "/app/.venv"
MINIO = "minio"
BUCKET_JOB = "minio-create-bucket"
DROPPED_PREFIXES = ("CLEARML_",)
# The developer's own settings must not leak into the programs under test.
HOST_ENV_DROPPED = ("MLSERVICE_", "CLEARML_", "AWS_")
CONSOLE_SCRIPTS = {"streamlit", "uvicorn"}
REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
PORT_FLAG = re.compile(r"^(--[\w.-]*port=)(\d+)$")
PUBLIC_GRANTEES = ("/global/AllUsers", "/global/AuthenticatedUsers")
MISSING_BUCKET = {"404", "NoSuchBucket", "NotFound"}
TAIL_CHARS = 6000
ROOTFS = "rootfs"  # local stand-ins for image paths that no volume covers


# ---- the image ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """What the runtime image adds to every container: its working dir and ENV."""

    workdir: str
    env: dict[str, str]


def runtime_image() -> Image:
    """WORKDIR and ENV of the Dockerfile's final stage."""
    workdir, env = "/", dict[str, str]()
    for word, rest in stages()[-1]:
        if word == "WORKDIR":
            workdir = rest
        elif word == "ENV":
            env.update(token.partition("=")[::2] for token in shlex.split(rest))
    assert env.get("PATH", "").startswith(f"{IMAGE_VENV}/bin:"), "the image's venv moved"
    return Image(workdir, env)


# ---- resolving a container's environment ---------------------------------------------------


def secret_data(manifests: list[Manifest], name: str) -> dict[str, str]:
    """A rendered Secret's data, base64-decoded."""
    data = named(manifests, "Secret", name).get("data", {})
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: defined names are replaced, others stay as written."""
    return REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), value)


def key_ref(manifests: list[Manifest], source: Manifest) -> str | None:
    """The value of a `valueFrom` ConfigMap or Secret key; None for a missing optional key."""
    if "configMapKeyRef" in source:
        kind, ref = "ConfigMap", source["configMapKeyRef"]
        data = config_map_data(manifests, ref["name"])
    else:
        kind, ref = "Secret", source["secretKeyRef"]
        data = secret_data(manifests, ref["name"])
    if ref["key"] in data:
        return str(data[ref["key"]])
    assert ref.get("optional", False), f"{kind} {ref['name']} lacks {ref['key']}: pod won't start"
    return None


def resolved_env(manifests: list[Manifest], spec: Manifest) -> dict[str, str]:
    """A container's environment as the kubelet builds it: envFrom first, then `env` in order."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_map_data(manifests, source["configMapRef"]["name"]))
        else:
            env.update(secret_data(manifests, source["secretRef"]["name"]))
    for item in spec.get("env", []):
        if "value" in item:
            value: str | None = expand(item["value"], env)
        else:
            value = key_ref(manifests, item["valueFrom"])
        if value is not None:
            env[item["name"]] = value
    return env


# ---- in-cluster -> local -------------------------------------------------------------------


def single_container(deployment: Manifest) -> Manifest:
    """The one container of a Deployment."""
    containers = pod_spec(deployment)["containers"]
    assert len(containers) == 1, f"{deployment['metadata']['name']} should run one container"
    return dict(containers[0])


def selected_deployments(manifests: list[Manifest], service: Manifest) -> list[Manifest]:
    """Deployments whose pod labels match the Service's selector."""
    selector = service["spec"]["selector"].items()
    return [
        d
        for d in of_kind(manifests, "Deployment")
        if selector <= d["spec"]["template"]["metadata"]["labels"].items()
    ]


def address_pattern(service: Manifest, port: int) -> re.Pattern[str]:
    """`<name>[.<namespace>[.svc[.cluster.local]]]:<port>` as a regex."""
    name = re.escape(service["metadata"]["name"])
    namespace = re.escape(service["metadata"].get("namespace", "default"))
    dns = rf"{name}(?:\.{namespace}(?:\.svc(?:\.cluster\.local)?)?)?"
    return re.compile(rf"(?<![\w.-]){dns}:{port}(?!\d)")


def service_routes(
    manifests: list[Manifest], ports: dict[str, dict[int, int]]
) -> dict[str, tuple[re.Pattern[str], str]]:
    """`<service>:<port>` -> (its pattern, `127.0.0.1:<local port of the target container>`)."""
    routes = {}
    for service in of_kind(manifests, "Service"):
        selected = selected_deployments(manifests, service)
        assert len(selected) == 1, f"Service {service['metadata']['name']} selects {selected}"
        spec, owner = single_container(selected[0]), selected[0]["metadata"]["name"]
        for port in service["spec"]["ports"]:
            target = resolve_port(spec, port.get("targetPort", port["port"]))
            local = f"{LOOPBACK}:{ports[owner][target]}"
            routes[f"{service['metadata']['name']}:{port['port']}"] = (
                address_pattern(service, port["port"]),
                local,
            )
    return routes


@dataclass
class Localizer:
    """Rewrites one container's argv and env from in-cluster values to local ones."""

    paths: list[tuple[str, str]]
    ports: dict[int, int]
    routes: list[tuple[re.Pattern[str], str]]

    def path(self, value: str) -> str:
        """An absolute container path on the local disk (unmapped paths stay as they are)."""
        if not value.startswith("/") or value.startswith("//"):
            return value
        for inside, local in self.paths:
            if value == inside or value.startswith(inside.rstrip("/") + "/"):
                return local + value[len(inside) :]
        return value

    def value(self, value: str) -> str:
        """Service addresses, `0.0.0.0` and paths (also `--flag=/path` and `a:b` lists)."""
        for pattern, local in self.routes:
            value = pattern.sub(local, value)
        value = value.replace("0.0.0.0", LOOPBACK)
        head, sep, tail = value.partition("=") if value.startswith("--") else ("", "", value)
        return head + sep + ":".join(self.path(part) for part in tail.split(":"))

    def arg(self, arg: str) -> str:
        """One argument; a `--...port=N` flag naming a container port gets the local port."""
        arg = self.value(arg)
        match = PORT_FLAG.match(arg)
        if match and int(match[2]) in self.ports:
            arg = match[1] + str(self.ports[int(match[2])])
        return arg

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """Every variable localized; `*_PORT` naming a container port -> local; no CLEARML_*."""
        local = {}
        for key, value in env.items():
            if key.startswith(DROPPED_PREFIXES):
                continue
            value = self.value(value)
            if key.endswith("_PORT") and value.isdigit() and int(value) in self.ports:
                value = str(self.ports[int(value)])
            local[key] = value
        return local


def local_argv(argv: list[str]) -> list[str]:
    """The image's executable as this machine's: python -> sys.executable, scripts -> -m."""
    program = argv[0].removeprefix(f"{IMAGE_VENV}/bin/")
    if re.fullmatch(r"python(3(\.\d+)?)?", program):
        return [sys.executable, *argv[1:]]
    assert program in CONSOLE_SCRIPTS, f"no local equivalent of the image's {argv[0]!r}"
    return [sys.executable, "-m", program, *argv[1:]]


def pod_paths(spec: Manifest, root: Path, image: Image) -> list[tuple[str, str]]:
    """Container path -> local dir: mounts; /tmp and HOME (unmounted too); venv; workdir."""
    dirs = {m["mountPath"]: root / m["name"] for m in spec.get("volumeMounts", [])}
    for inside in ("/tmp", image.env.get("HOME", "/root")):
        dirs.setdefault(inside, root / ROOTFS / inside.strip("/"))
    for local in dirs.values():
        local.mkdir(parents=True, exist_ok=True)
    pairs = [(inside, str(local)) for inside, local in dirs.items()]
    pairs += [(IMAGE_VENV, sys.prefix), (image.workdir, str(ROOT))]
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def host_env() -> dict[str, str]:
    """This process's environment without mlservice, ClearML, AWS or proxy settings."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(HOST_ENV_DROPPED) and not k.lower().endswith("_proxy")
    }


# ---- pods ----------------------------------------------------------------------------------


@dataclass
class Pod:
    """One Deployment's container, made local; `declared` is what image and manifest set."""

    name: str
    spec: Manifest
    argv: list[str]
    declared: dict[str, str]
    ports: dict[int, int]
    grace: float
    log_dir: Path
    rootfs: Path
    process: Process | None = None
    started: float = 0.0

    def env(self) -> dict[str, str]:
        """The full environment: this machine's basics, then the declared (localized) one."""
        path = self.declared["PATH"].replace("$PATH", os.environ.get("PATH", ""))
        return {**host_env(), **self.declared, "PATH": path}

    def local_port(self, port: int | str) -> int:
        """The local port standing in for a container port (number or name)."""
        return self.ports[resolve_port(self.spec, port)]

    def start(self) -> None:
        """Start the program from the repository root, its output in its own log."""
        self.process = Process(self.argv, self.env(), self.log_dir / f"{self.name}.log")
        self.process.start()
        self.started = time.monotonic()

    def log(self) -> str:
        """The end of the program's output."""
        return self.process.log()[-TAIL_CHARS:] if self.process else "(not started)"

    def root_fs_writes(self) -> list[str]:
        """Files written where the container has no volume: they fail on a read-only root."""
        return sorted(
            str(p.relative_to(self.rootfs)) for p in self.rootfs.rglob("*") if p.is_file()
        )

    def silent_ports(self) -> list[int]:
        """Declared container ports on which nothing accepts connections."""
        silent = []
        for inside, local in self.ports.items():
            try:
                socket.create_connection((LOOPBACK, local), timeout=3).close()
            except OSError:
                silent.append(inside)
        return silent


def build_pod(
    manifests: list[Manifest],
    deployment: Manifest,
    ports: dict[int, int],
    routes: list[tuple[re.Pattern[str], str]],
    root: Path,
    image: Image,
) -> Pod:
    """Describe one Deployment's container as a local process (not started)."""
    name, spec, image = deployment["metadata"]["name"], single_container(deployment), image
    assert "command" in spec, f"{name}: no command (the image's CMD runs the server)"
    localizer = Localizer(pod_paths(spec, root / name, image), ports, routes)
    env = {**image.env, **resolved_env(manifests, spec)}
    argv = [expand(arg, env) for arg in [*spec["command"], *spec.get("args", [])]]
    declared = localizer.env(env) | {"TMPDIR": localizer.path("/tmp")}
    grace = float(pod_spec(deployment).get("terminationGracePeriodSeconds", 30))
    argv = local_argv([localizer.arg(arg) for arg in argv])
    return Pod(name, spec, argv, declared, ports, grace, root, root / name / ROOTFS)


def allocate_ports(manifests: list[Manifest], s3_port: int) -> dict[str, dict[int, int]]:
    """container port -> local port, per Deployment; MinIO's S3 port is moto's."""
    ports = {}
    for deployment in of_kind(manifests, "Deployment"):
        spec = single_container(deployment)
        ports[deployment["metadata"]["name"]] = {
            p: free_port() for p in container_ports(spec).values()
        }
    ports[MINIO][minio_s3_port(manifests)] = s3_port
    return ports


def minio_s3_port(manifests: list[Manifest]) -> int:
    """The container port MinIO serves S3 on (its `--address=:N`)."""
    args = single_container(named(manifests, "Deployment", MINIO))["args"]
    address = next(a for a in args if a.startswith("--address="))
    return int(address.rpartition(":")[2])


# ---- probes --------------------------------------------------------------------------------


def grpc_probe(target: str, service: str, timeout: float) -> bool:
    """grpc.health.v1 Check, as the kubelet's grpc probe: SERVING passes."""
    with grpc.insecure_channel(target, options=NO_PROXY) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def http_probe(port: int, action: Manifest, timeout: float) -> bool:
    """httpGet, as the kubelet's: any status from 200 to 399 passes."""
    assert "host" not in action, "probes should target the pod itself"
    scheme = action.get("scheme", "HTTP").lower()
    headers = {h["name"]: h["value"] for h in action.get("httpHeaders", [])}
    url = f"{scheme}://{LOOPBACK}:{port}{action.get('path', '/')}"
    try:
        reply = httpx.get(url, headers=headers, timeout=timeout, trust_env=False)
        return 200 <= reply.status_code < 400
    except httpx.HTTPError:
        return False


def probe_once(pod: Pod, probe: Manifest) -> bool:
    """Run one probe of a pod once."""
    timeout = float(probe.get("timeoutSeconds", 1))
    if "grpc" in probe:
        port = pod.local_port(probe["grpc"]["port"])
        return grpc_probe(f"{LOOPBACK}:{port}", probe["grpc"].get("service", ""), timeout)
    assert "httpGet" in probe, f"{pod.name}: probe kind {sorted(probe)} is not emulated"
    return http_probe(pod.local_port(probe["httpGet"]["port"]), probe["httpGet"], timeout)


def wait_initial_delay(pod: Pod, probe: Manifest) -> None:
    """Sleep until the probe's initialDelaySeconds have passed since the start."""
    delay = pod.started + float(probe.get("initialDelaySeconds", 0)) - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def wait_for_probe(pod: Pod, kind: str, deadline: float) -> None:
    """Poll one probe until it passes; fail when the program exits or the deadline passes."""
    probe = pod.spec[kind]
    wait_initial_delay(pod, probe)
    while time.monotonic() < deadline:
        assert pod.process is not None and pod.process.alive(), f"{pod.name} exited"
        if probe_once(pod, probe):
            return
        time.sleep(0.25)
    raise AssertionError(f"{pod.name}: {kind} still failing at the deadline")


def assert_alive(pod: Pod) -> None:
    """The liveness probe passes within its failureThreshold attempts."""
    probe = pod.spec["livenessProbe"]
    wait_initial_delay(pod, probe)
    for _ in range(int(probe.get("failureThreshold", 3))):
        if probe_once(pod, probe):
            return
        time.sleep(1)
    raise AssertionError(f"{pod.name}: livenessProbe failed: the kubelet would restart it")


# ---- the cluster ---------------------------------------------------------------------------


@dataclass
class LocalCluster:
    """Every Deployment but MinIO as a local process; moto stands in for MinIO."""

    manifests: list[Manifest]
    s3: S3Server
    pods: dict[str, Pod]
    routes: dict[str, tuple[re.Pattern[str], str]]
    stopped: dict[str, int | None] = field(default_factory=dict)
    timings: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, manifests: list[Manifest], s3: S3Server, root: Path) -> "LocalCluster":
        """Describe the local cluster (nothing started): ports, routes, pods."""
        ports = allocate_ports(manifests, s3.port)
        routes = service_routes(manifests, ports)
        image = runtime_image()
        pods = {
            d["metadata"]["name"]: build_pod(
                manifests, d, ports[d["metadata"]["name"]], list(routes.values()), root, image
            )
            for d in of_kind(manifests, "Deployment")
            if d["metadata"]["name"] != MINIO
        }
        return cls(manifests, s3, pods, routes)

    def address(self, in_cluster: str) -> str:
        """The local `host:port` of an in-cluster `<service>[.<namespace>...]:<port>`."""
        for pattern, local in self.routes.values():
            if pattern.fullmatch(in_cluster):
                return local
        raise AssertionError(f"{in_cluster} is not the address of a Service port")

    def start(self) -> None:
        """Start every pod at once, as `kubectl apply` would."""
        for pod in self.pods.values():
            pod.start()

    def wait_ready(self, timeout: float) -> None:
        """Wait for each pod's startup probe, then its readiness probe."""
        deadline = time.monotonic() + timeout
        for pod in self.pods.values():
            for kind in ("startupProbe", "readinessProbe"):
                if kind in pod.spec:
                    wait_for_probe(pod, kind, deadline)
                    passed = time.monotonic() - pod.started
                    self.timings.append(f"{pod.name} {kind} passed {passed:.1f} s after start")

    def assert_alive(self) -> None:
        """Every liveness probe passes."""
        for pod in self.pods.values():
            assert_alive(pod)

    def stop(self) -> dict[str, int | None]:
        """SIGTERM every pod at once, SIGKILL (-9) after its grace period, as the kubelet does."""
        running = {
            name: pod.process.popen
            for name, pod in self.pods.items()
            if pod.process and pod.process.popen and name not in self.stopped
        }
        for popen in running.values():
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        for name, popen in running.items():
            try:
                popen.wait(self.pods[name].grace)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
            self.stopped[name] = popen.returncode
        return self.stopped

    @contextmanager
    def phase(self, what: str) -> Iterator[None]:
        """Time a step of the run; the times are printed with the logs."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings.append(f"{what}: {time.monotonic() - started:.1f} s")

    def logs(self) -> str:
        """The steps' times and the end of every program's output, moto's included."""
        parts = [f"----- {name} -----\n{pod.log()}" for name, pod in self.pods.items()]
        moto = f"----- moto_server (for {MINIO}) -----\n{self.s3.log()}"
        return "\n".join(["----- steps -----", *self.timings, *parts, moto])

    @contextmanager
    def logs_on_failure(self) -> Iterator[None]:
        """Print every log when the block fails (pytest shows it with the failure)."""
        try:
            yield
        except BaseException:
            print(self.logs())
            raise


# ---- MinIO and its bucket Job --------------------------------------------------------------


def s3_client(endpoint: str, access_key: str, secret_key: str) -> Any:
    """A boto3 client for `host:port` with short timeouts and no retries."""
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(
            connect_timeout=2,
            read_timeout=10,
            retries={"total_max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )


def minio_root_credentials(manifests: list[Manifest]) -> tuple[str, str]:
    """MinIO's root user and password as its container gets them."""
    env = resolved_env(manifests, single_container(named(manifests, "Deployment", MINIO)))
    return env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"]


@dataclass(frozen=True)
class McStep:
    """One `mc` container of the bucket Job: its subcommand (global flags dropped) and env."""

    container: str
    argv: list[str]
    env: dict[str, str]


def bucket_job_steps(manifests: list[Manifest]) -> list[McStep]:
    """The Job's containers in the order they run (init containers first), `$(VAR)` expanded."""
    steps = []
    for spec in all_containers(named(manifests, "Job", BUCKET_JOB)):
        env = resolved_env(manifests, spec)
        argv = [expand(a, env) for a in [*spec.get("command", []), *spec.get("args", [])]]
        steps.append(McStep(spec["name"], [a for a in argv if not a.startswith("--config")], env))
    return steps


@dataclass(frozen=True)
class McTarget:
    """`alias/bucket` of an mc command, with the alias resolved from `MC_HOST_<alias>`."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str


def mc_target(step: McStep, target: str) -> McTarget:
    """Resolve `alias/bucket` through the step's `MC_HOST_<alias>` URL."""
    alias, _, bucket = target.partition("/")
    url = urlsplit(step.env[f"MC_HOST_{alias}"])
    assert url.scheme == "http" and url.username and url.password, f"{step.container}: {url}"
    endpoint = f"{url.hostname}:{url.port}"
    return McTarget(endpoint, unquote(url.username), unquote(url.password), bucket)


def make_bucket(client: Any, bucket: str) -> None:
    """`mc mb --ignore-existing`: create the bucket unless it exists."""
    try:
        client.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) not in MISSING_BUCKET:
            raise
    client.create_bucket(Bucket=bucket)


def assert_private(client: Any, bucket: str) -> None:
    """No bucket policy and no ACL grant to everyone (or every authenticated user)."""
    try:
        policy = client.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchBucketPolicy", error
    else:
        raise AssertionError(f"bucket {bucket} has a policy: {policy}")
    grants = client.get_bucket_acl(Bucket=bucket)["Grants"]
    public = [g for g in grants if g["Grantee"].get("URI", "").endswith(PUBLIC_GRANTEES)]
    assert public == [], f"bucket {bucket} is public: {public}"


def run_mc_step(step: McStep, cluster: LocalCluster) -> str:
    """Do what one `mc` step of the Job does, against the local stand-in; return the bucket."""
    match step.argv:
        case ["mb", "--ignore-existing", target]:
            action = make_bucket
        case ["anonymous", "set", "none", target]:
            action = remove_policy
        case _:
            raise AssertionError(f"{step.container}: mc {step.argv} is not emulated")
    found = mc_target(step, target)
    client = s3_client(cluster.address(found.endpoint), found.access_key, found.secret_key)
    action(client, found.bucket)
    return found.bucket


def remove_policy(client: Any, bucket: str) -> None:
    """`mc anonymous set none`: no anonymous access policy on the bucket."""
    client.delete_bucket_policy(Bucket=bucket)
