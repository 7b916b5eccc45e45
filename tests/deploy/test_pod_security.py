"""Every pod runs locked down: non-root, no privilege escalation, no capabilities, RO root."""

import pytest

from tests.deploy.manifests import Manifest, all_containers, pod_spec, workloads

RESOURCES = ("cpu", "memory")


def workload_ids(manifests: list[Manifest]) -> list[str]:
    """`Kind/name` of every workload, for messages."""
    return [f"{w['kind']}/{w['metadata']['name']}" for w in workloads(manifests)]


def test_there_are_workloads_to_check(manifests: list[Manifest]) -> None:
    assert len(workload_ids(manifests)) == 5


def test_pods_run_as_non_root_with_the_default_seccomp_profile(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        context = pod_spec(workload)["securityContext"]
        name = workload["metadata"]["name"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] >= 10000, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name


def test_pods_get_no_service_account_token(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        assert pod_spec(workload)["automountServiceAccountToken"] is False, workload["metadata"][
            "name"
        ]


def test_containers_are_locked_down(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for spec in all_containers(workload):
            context = spec["securityContext"]
            where = f"{workload['metadata']['name']}/{spec['name']}"
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert context.get("privileged", False) is False, where


def test_containers_have_requests_and_limits(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for spec in all_containers(workload):
            where = f"{workload['metadata']['name']}/{spec['name']}"
            for bound in ("requests", "limits"):
                assert set(RESOURCES) <= set(spec["resources"][bound]), f"{where} {bound}"


def test_read_only_root_has_a_writable_tmp(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        empty_dirs = {v["name"] for v in pod_spec(workload).get("volumes", []) if "emptyDir" in v}
        for spec in all_containers(workload):
            mounts = {m["mountPath"]: m["name"] for m in spec.get("volumeMounts", [])}
            assert mounts.get("/tmp") in empty_dirs, (
                f"{workload['metadata']['name']}/{spec['name']}"
            )


@pytest.mark.parametrize("deployment", ["mlservice-server", "mlservice-dashboard"])
def test_programs_that_write_home_get_a_writable_home(
    manifests: list[Manifest], deployment: str
) -> None:
    workload = next(w for w in workloads(manifests) if w["metadata"]["name"] == deployment)
    mounts = {m["mountPath"] for m in all_containers(workload)[0]["volumeMounts"]}
    assert "/home/app" in mounts, "HOME (set in the Dockerfile) must be writable"


def test_namespace_enforces_the_restricted_pod_security_standard(manifests: list[Manifest]) -> None:
    namespace = next(m for m in manifests if m["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_no_pod_uses_the_host(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        spec = pod_spec(workload)
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), workload[
            "metadata"
        ]["name"]
        assert not any("hostPath" in v for v in spec.get("volumes", [])), workload["metadata"][
            "name"
        ]
