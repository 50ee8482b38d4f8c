"""Rendered manifests: valid against the Kubernetes API schemas (offline, strict), and shaped as the
deployment needs — a StatefulSet with volumes, a headless Service and a PodDisruptionBudget per
group, a replicated container with probes, resource requests and, on GPU, one GPU."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from deploy import k8s_yaml
from deploy.k8s_manifests import DeployOptions, gpu_variant_of
from deploy.k8s_render import main, render
from deploy.k8s_topology import TopologyError
from test_kubernetes_support import DEFAULT_APP, TOPOLOGIES, uniform_app, write_app

# the oldest release the manifests target (PVC retention policy, pod-name env) and a recent one
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0")
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
TWO_CLUSTERS = Path(__file__).resolve().parents[1] / "apps" / "two_clusters"


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def rendered(tmp_path: Path, groups: int, per_group: int, *, gpu: bool = False) -> list[dict]:
    """Render through YAML text and back, as kubectl would read it."""
    app = uniform_app(tmp_path / f"app-{groups}x{per_group}", groups, per_group)
    return list(yaml.safe_load_all(k8s_yaml.dump_all(render(app, gpu=gpu))))


@pytest.mark.parametrize("gpu", [False, True], ids=["cpu", "gpu"])
@pytest.mark.parametrize("groups,per_group", TOPOLOGIES, ids=[f"{g}x{n}" for g, n in TOPOLOGIES])
def test_manifests_validate_against_the_kubernetes_schemas(tmp_path: Path, groups: int, per_group: int,
                                                            gpu: bool) -> None:
    objects = rendered(tmp_path, groups, per_group, gpu=gpu)
    for version in KUBERNETES_VERSIONS:
        for obj in objects:
            kubernetes_validate.validate(obj, version, strict=True)  # raises on any violation
    for obj in objects:
        assert DNS_LABEL.match(obj["metadata"]["name"]) and len(obj["metadata"]["name"]) <= 63
        assert obj["metadata"]["namespace"] == "phasedsearch"


def test_the_validator_rejects_a_broken_manifest(tmp_path: Path) -> None:
    """The schemas are really applied: a StatefulSet without a selector, or with a field Kubernetes
    does not know, fails."""
    statefulset = by_kind(rendered(tmp_path, 1, 1), "StatefulSet")[0]
    for break_it in (lambda s: s["spec"].pop("selector"), lambda s: s["spec"].update(replica=2)):
        broken = copy.deepcopy(statefulset)
        break_it(broken)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


@pytest.mark.parametrize("groups,per_group", TOPOLOGIES, ids=[f"{g}x{n}" for g, n in TOPOLOGIES])
def test_each_group_gets_a_statefulset_a_headless_service_and_a_disruption_budget(
        tmp_path: Path, groups: int, per_group: int) -> None:
    objects = rendered(tmp_path, groups, per_group)
    statefulsets = by_kind(objects, "StatefulSet")
    assert [s["spec"]["replicas"] for s in statefulsets] == [per_group] * groups
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    budgets = {b["metadata"]["name"]: b for b in by_kind(objects, "PodDisruptionBudget")}
    for statefulset in statefulsets:
        spec = statefulset["spec"]
        pod_labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
        headless = services[spec["serviceName"]]
        assert headless["spec"]["clusterIP"] == "None"
        assert headless["spec"]["selector"].items() <= pod_labels.items()
        budget = budgets[statefulset["metadata"]["name"]]
        assert budget["spec"]["maxUnavailable"] == 1
        assert budget["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
        # a budget must not reach into another group
        others = [s for s in statefulsets if s is not statefulset]
        assert all(not budget["spec"]["selector"]["matchLabels"].items()
                   <= s["spec"]["template"]["metadata"]["labels"].items() for s in others)
        claim = spec["volumeClaimTemplates"][0]
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
        assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
        node = spec["template"]["spec"]["containers"][0]
        assert {"name": claim["metadata"]["name"], "mountPath": "/var/lib/phasedsearch"} in node["volumeMounts"]
        assert node["args"][0] == "content-node" and "--host" in node["args"]
        assert node["resources"]["requests"].keys() >= {"cpu", "memory"}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            command = node[probe]["exec"]["command"]
            assert command[:3] == ["python", "-m", "content_node.probe"]
            assert command[command.index("--port") + 1] == str(node["ports"][0]["containerPort"])
        assert "--liveness" in node["livenessProbe"]["exec"]["command"]
        assert "--liveness" not in node["readinessProbe"]["exec"]["command"]


def test_the_container_is_replicated_probed_over_http_and_reads_the_package(tmp_path: Path) -> None:
    objects = rendered(tmp_path, 2, 2)
    deployment = by_kind(objects, "Deployment")[0]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"][0] == "container"
    # ready once every group has been in rotation; alive (not restarted) while it serves HTTP at all,
    # so a missing content node makes the container unready, never a restart loop
    assert container["readinessProbe"]["httpGet"] == {"path": "/state/v1/health", "port": "http"}
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/status.html", "port": "http"}
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
    assert container["resources"]["requests"].keys() == {"cpu", "memory"}
    service = next(s for s in by_kind(objects, "Service") if s["metadata"]["name"] == "container")
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    # the package ConfigMap is what the init container assembles into /app
    configmap = by_kind(objects, "ConfigMap")[0]
    source = next(v for v in pod["volumes"] if v["name"] == "app-package-source")
    assert source["configMap"]["name"] == configmap["metadata"]["name"]
    assert {item["key"] for item in source["configMap"]["items"]} == set(configmap["data"])
    assert {item["path"] for item in source["configMap"]["items"]} == {"services.xml", "schemas/doc.sd"}
    assert pod["initContainers"][0]["args"] == ["assemble-app", "/etc/phasedsearch/app-package", "/app"]
    assert configmap["data"]["services.xml"] == (tmp_path / "app-2x2" / "services.xml").read_text()


def test_the_gpu_variant_asks_for_one_gpu_and_sets_the_gpu_device(tmp_path: Path) -> None:
    cpu = by_kind(rendered(tmp_path, 1, 2), "Deployment")[0]["spec"]["template"]["spec"]
    gpu = by_kind(rendered(tmp_path, 1, 2, gpu=True), "Deployment")[0]["spec"]["template"]["spec"]
    cpu_container, gpu_container = cpu["containers"][0], gpu["containers"][0]
    assert gpu_container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert gpu_container["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert "nvidia.com/gpu" not in cpu_container["resources"]["limits"]
    assert {"name": "PHASEDSEARCH_GPU_DEVICE", "value": "0"} in gpu_container["env"]
    assert {"name": "PHASEDSEARCH_GPU_DEVICE", "value": "-1"} in cpu_container["env"]
    assert gpu_container["image"] == "phasedsearch:0.1.0-gpu" and cpu_container["image"] == "phasedsearch:0.1.0"
    assert gpu["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_a_new_package_gets_a_new_configmap_name_and_an_unchanged_one_keeps_it(tmp_path: Path) -> None:
    app = uniform_app(tmp_path / "app", 1, 1)
    first = by_kind(render(app), "ConfigMap")[0]["metadata"]["name"]
    assert by_kind(render(app), "ConfigMap")[0]["metadata"]["name"] == first
    schema = app / "schemas" / "doc.sd"
    schema.write_text(schema.read_text() + "\n# changed\n")
    assert by_kind(render(app), "ConfigMap")[0]["metadata"]["name"] != first


def test_models_and_hidden_files_stay_out_of_the_configmap(tmp_path: Path) -> None:
    app = uniform_app(tmp_path / "app", 1, 1)
    (app / "models").mkdir()
    (app / "models" / "model.onnx").write_bytes(b"\x08\x01" * 1000)
    (app / ".git").mkdir()
    (app / ".git" / "HEAD").write_text("ref")
    (app / "schemas" / "doc").mkdir()
    (app / "schemas" / "doc" / "extra.profile").write_text("rank-profile extra inherits bm25 {\n}\n")
    configmap = by_kind(render(app), "ConfigMap")[0]
    assert set(configmap["data"]) == {"services.xml", "schemas__doc.sd", "schemas__doc__extra.profile"}


def test_topologies_that_cannot_be_deployed_say_why(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", [[0]], cluster_id="x" * 60)
    with pytest.raises(TopologyError, match="shorter content cluster id"):
        render(app)
    with pytest.raises(TopologyError, match="namespace"):
        render(uniform_app(tmp_path / "ok", 1, 1), DeployOptions(namespace="Not_A_Label"))
    with pytest.raises(TopologyError, match="digest"):
        gpu_variant_of("registry.example/phasedsearch@sha256:" + "0" * 64)
    assert gpu_variant_of("registry.example:5000/phasedsearch") == "registry.example:5000/phasedsearch:latest-gpu"
    assert gpu_variant_of("registry.example:5000/phasedsearch:1.2") == "registry.example:5000/phasedsearch:1.2-gpu"


def test_the_command_prints_manifests_or_writes_a_kustomize_tree(tmp_path: Path, capsys) -> None:
    app = uniform_app(tmp_path / "app", 2, 1)
    assert main(["--app", str(app), "--image", "registry.example/ps:2", "--namespace", "search",
                 "--cluster-domain", "corp.internal"]) == 0
    objects = list(yaml.safe_load_all(capsys.readouterr().out))
    assert {obj["metadata"]["namespace"] for obj in objects} == {"search"}
    args = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == ("0/0=content-group0-0.content-group0.search.svc.corp.internal:19100,"
                        "1/1=content-group1-0.content-group1.search.svc.corp.internal:19100")
    assert by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.example/ps:2"
    out = tmp_path / "k8s"
    assert main(["--app", str(app), "--out", str(out)]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml")) == [
        "base/app-package.yaml", "base/container.yaml", "base/content-group0.yaml", "base/content-group1.yaml",
        "base/content-node-grpc.yaml",
        "base/kustomization.yaml", "overlays/cpu/kustomization.yaml", "overlays/gpu/container-gpu.yaml",
        "overlays/gpu/kustomization.yaml"]
    # one group fewer: the stale group file goes, a file the renderer did not write stays
    (out / "base" / "mine.yaml").write_text("kind: Mine\n")
    assert main(["--app", str(uniform_app(tmp_path / "smaller", 1, 1)), "--out", str(out)]) == 0
    assert not (out / "base" / "content-group1.yaml").exists() and (out / "base" / "mine.yaml").exists()
    capsys.readouterr()
    assert main(["--app", str(app), "--out", str(out), "--gpu"]) == 2
    assert main(["--app", str(tmp_path / "missing")]) == 1
    assert "error:" in capsys.readouterr().err


def test_the_default_package_renders(tmp_path: Path) -> None:
    objects = render(DEFAULT_APP)
    assert [obj["kind"] for obj in objects][:1] == ["ConfigMap"]
    assert len(by_kind(objects, "StatefulSet")) == 1


def test_cluster_tls_mounts_the_secret_and_only_the_cluster_reaches_the_nodes(tmp_path: Path) -> None:
    """Issue 16: mutual TLS from the cert-manager-style Secret in every pod, probes with the
    certificate, and a NetworkPolicy admitting only the container and the nodes to gRPC."""
    objects = rendered(tmp_path, 2, 1)
    for workload in [*by_kind(objects, "StatefulSet"), *by_kind(objects, "Deployment")]:
        pod = workload["spec"]["template"]["spec"]
        secret = next(v for v in pod["volumes"] if v["name"] == "cluster-tls")["secret"]
        assert secret["secretName"] == "phasedsearch-cluster-tls"
        main_container = pod["containers"][0]
        assert {"name": "cluster-tls", "mountPath": "/etc/phasedsearch/tls", "readOnly": True} in \
            main_container["volumeMounts"]
        assert main_container["args"][main_container["args"].index("--tls-dir") + 1] == "/etc/phasedsearch/tls"
        if workload["kind"] == "StatefulSet":
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert "--tls-dir" in main_container[probe]["exec"]["command"]
    (policy,) = by_kind(objects, "NetworkPolicy")
    node_labels = policy["spec"]["podSelector"]["matchLabels"]
    assert node_labels["app.kubernetes.io/component"] == "content-node"
    sources = [peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
               for peer in policy["spec"]["ingress"][0]["from"]]
    assert sources == ["container", "content-node"]
    assert [port["port"] for port in policy["spec"]["ingress"][0]["ports"]] == [19100, 19110]  # gRPC, Search


def test_the_search_transport_port_is_published_beside_grpc(tmp_path: Path) -> None:
    """The node listens on 19110 for the container's Search (searchlib/wire/frames.py), and its pod
    and headless Service list that port where they list gRPC's."""
    objects = rendered(tmp_path, 1, 2)
    (statefulset,) = by_kind(objects, "StatefulSet")
    node = statefulset["spec"]["template"]["spec"]["containers"][0]
    assert node["args"][node["args"].index("--search-port") + 1] == "19110"
    assert [(p["name"], p["containerPort"]) for p in node["ports"]] == [("grpc", 19100), ("search", 19110)]
    headless = next(s for s in by_kind(objects, "Service") if s["spec"].get("clusterIP") == "None")
    assert [(p["name"], p["port"]) for p in headless["spec"]["ports"]] == [("grpc", 19100), ("search", 19110)]
    plain = render(uniform_app(tmp_path / "plain", 1, 1), DeployOptions(tls_secret=None))
    assert not by_kind(plain, "NetworkPolicy")
    assert all("--tls-dir" not in w["spec"]["template"]["spec"]["containers"][0]["args"]
               for w in [*by_kind(plain, "StatefulSet"), *by_kind(plain, "Deployment")])


def test_several_content_clusters_render_with_each_node_told_its_cluster() -> None:
    """tests/apps/two_clusters: `music` and `library`, each numbering its one node 0."""
    objects = list(yaml.safe_load_all(k8s_yaml.dump_all(render(TWO_CLUSTERS))))
    for version in KUBERNETES_VERSIONS:
        for obj in objects:
            kubernetes_validate.validate(obj, version, strict=True)
    names = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names))  # no object overwrites another
    nodes = {s["metadata"]["name"]: s["spec"]["template"]["spec"]["containers"][0]["args"]
             for s in by_kind(objects, "StatefulSet")}
    assert set(nodes) == {"music-group0", "library-group0"}
    for name, args in nodes.items():
        assert args[args.index("--cluster") + 1] == name.removesuffix("-group0")
    container = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    spec = container[container.index("--content-nodes") + 1]
    assert [part.split("=")[0] for part in spec.split(",")] == ["music:0/0", "library:0/0"]
    policies = by_kind(objects, "NetworkPolicy")
    assert {p["metadata"]["name"]: p["spec"]["podSelector"]["matchLabels"]["phasedsearch.io/cluster"]
            for p in policies} == {"music-content-node-grpc": "music", "library-content-node-grpc": "library"}
