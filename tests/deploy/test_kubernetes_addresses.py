"""The node addresses the container is given (`--content-nodes`) are the StatefulSet pods' DNS names,
with the distribution keys and groups of the application package — and each pod, through the
image's entrypoint, starts as the node with that key."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from container.dispatch.content_client import NodeAddress
from deploy.k8s_render import render
from deploy.local_cluster import content_nodes_argument, node_specs
from searchlib.schema.application import load_application
from test_kubernetes_support import REPO, TOPOLOGIES, uniform_app, write_app

ENTRYPOINT = REPO / "deploy" / "docker-entrypoint.sh"


def container_nodes(objects: list[dict]) -> list[NodeAddress]:
    args = next(o for o in objects if o["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    return [NodeAddress.parse(spec) for spec in args[args.index("--content-nodes") + 1].split(",")]


def pods_of(objects: list[dict]) -> list[tuple[str, str, int, int]]:
    """(pod name, DNS name, port, distribution key) of every content pod, read from the StatefulSets
    and their headless Services the way Kubernetes names them."""
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    pods = []
    for statefulset in (o for o in objects if o["kind"] == "StatefulSet"):
        name, namespace = statefulset["metadata"]["name"], statefulset["metadata"]["namespace"]
        spec = statefulset["spec"]
        service = services[spec["serviceName"]]
        assert service["spec"]["clusterIP"] == "None" and service["metadata"]["namespace"] == namespace
        node = spec["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in node["ports"]}
        service_port = service["spec"]["ports"][0]
        assert ports[service_port["targetPort"]] == service_port["port"]
        env = {e["name"]: e.get("value") for e in node["env"]}
        keys = [int(k) for k in env["PHASEDSEARCH_DISTRIBUTION_KEYS"].split(",")]
        assert len(keys) == spec["replicas"]
        for ordinal, key in enumerate(keys):
            pod = f"{name}-{ordinal}"
            pods.append((pod, f"{pod}.{spec['serviceName']}.{namespace}.svc.cluster.local", service_port["port"], key))
    return pods


def entrypoint_key(tmp_path: Path, pod: str, keys: str) -> list[str]:
    """The `python -m content_node` command line the entrypoint runs in `pod` (python is a stub)."""
    stub_bin = tmp_path / "bin"
    stub_bin.mkdir(exist_ok=True)
    stub = stub_bin / "python"
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    environment = {"PATH": f"{stub_bin}:{os.environ['PATH']}", "PHASEDSEARCH_POD_NAME": pod,
                   "PHASEDSEARCH_DISTRIBUTION_KEYS": keys, "PHASEDSEARCH_DATA_DIR": str(tmp_path / "data")}
    completed = subprocess.run(["sh", str(ENTRYPOINT), "content-node", "--app", "/app", "--port", "19100"],
                               env=environment, capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


LAYOUTS = {f"{g}x{n}": [list(range(i * n, (i + 1) * n)) for i in range(g)] for g, n in TOPOLOGIES}
LAYOUTS["sparse-keys"] = [[9, 4], [2, 7, 5]]  # keys need not be contiguous or ordered


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_container_gets_the_statefulset_pod_dns_names_with_the_packages_keys_and_groups(
        tmp_path: Path, layout: list[list[int]]) -> None:
    app = write_app(tmp_path / "app", layout)
    objects = render(app)
    told = {node.distribution_key: node for node in container_nodes(objects)}
    pods = pods_of(objects)
    assert {key: f"{host}:{port}" for _, host, port, key in pods} == {key: n.address for key, n in told.items()}
    package = load_application(app).content
    assert {n.distribution_key: n.group for n in package.nodes} == {key: n.group for key, n in told.items()}
    # every pod of one StatefulSet belongs to one group
    for _, host, _, key in pods:
        statefulset = host.split(".")[1]
        assert {told[k].group for _, h, _, k in pods if h.split(".")[1] == statefulset} == {told[key].group}


@pytest.mark.parametrize("layout", [LAYOUTS["2x2"], LAYOUTS["sparse-keys"]], ids=["2x2", "sparse-keys"])
def test_each_pod_starts_as_the_node_the_container_expects_there(tmp_path: Path, layout: list[list[int]]) -> None:
    objects = render(write_app(tmp_path / "app", layout))
    told = {node.address.split(".")[0]: node.distribution_key for node in container_nodes(objects)}
    keys_by_statefulset = {
        o["metadata"]["name"]: next(e["value"] for e in o["spec"]["template"]["spec"]["containers"][0]["env"]
                                    if e["name"] == "PHASEDSEARCH_DISTRIBUTION_KEYS")
        for o in objects if o["kind"] == "StatefulSet"}
    for pod, _, _, _ in pods_of(objects):
        argv = entrypoint_key(tmp_path, pod, keys_by_statefulset[pod.rsplit("-", 1)[0]])
        key = int(argv[argv.index("--distribution-key") + 1])
        assert key == told[pod]
        assert argv[argv.index("--data-dir") + 1] == str(tmp_path / "data" / f"content-node-{key}")
        assert argv[:2] == ["-m", "content_node"] and "--app" in argv
        assert "--alone-on-volume" in argv  # a renumbered pod refuses its volume's other node dirs holding data


@pytest.mark.parametrize("groups,per_group", TOPOLOGIES, ids=[f"{g}x{n}" for g, n in TOPOLOGIES])
def test_kubernetes_and_the_local_cluster_agree_on_keys_groups_and_syntax(tmp_path: Path, groups: int,
                                                                        per_group: int) -> None:
    objects = render(uniform_app(tmp_path / "app", groups, per_group))
    told = container_nodes(objects)
    hosts = {node.distribution_key: node.address.rsplit(":", 1)[0] for node in told}
    local = node_specs(groups * per_group, groups, [19100] * (groups * per_group))
    assert [(s.distribution_key, s.group) for s in local] == [(n.distribution_key, n.group) for n in told]
    relocated = [type(s)(s.distribution_key, s.group, s.port, hosts[s.distribution_key]) for s in local]
    args = next(o for o in objects if o["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--content-nodes") + 1] == content_nodes_argument(relocated)


def test_a_pod_outside_the_key_list_refuses_to_start(tmp_path: Path) -> None:
    for pod in ("content-group0-2", "content-group0-x"):
        completed = subprocess.run(["sh", str(ENTRYPOINT), "content-node"], capture_output=True, text=True,
                                   env={"PATH": os.environ["PATH"], "PHASEDSEARCH_POD_NAME": pod,
                                        "PHASEDSEARCH_DISTRIBUTION_KEYS": "0,1"}, timeout=30)
        assert completed.returncode == 64
        assert pod in completed.stderr
