"""Kubernetes objects for one phasedsearch deployment, as plain dicts (the renderer writes them).

Per content group: a StatefulSet (one PersistentVolumeClaim per node), a headless Service giving each
pod a stable DNS name, and a PodDisruptionBudget that lets at most one node of the group go down
at a time. The container: a Deployment (replicas ≥ 2 by default), a Service and a PodDisruptionBudget.
The application package (without `models/`, which the image carries) is a ConfigMap whose name ends
in a hash of its content, so a new package rolls every pod and an unchanged one rolls none.

Pods assemble the package in an init container (`assemble-app`: ConfigMap files + the image's
models) into an emptyDir mounted read-only at /app; the root file system is read-only too.

Cluster TLS (on unless rendered with --no-tls): every pod mounts the Secret `tls_secret` (type
kubernetes.io/tls with ca.crt, as cert-manager writes it) at /etc/phasedsearch/tls; the nodes serve
mutual TLS only, the container and the node probes present the certificate. A NetworkPolicy lets
only the container and the other content nodes reach the nodes' gRPC port.
"""
from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

from deploy.k8s_topology import (
    CLUSTER_DOMAIN,
    CONTAINER_PORT,
    CONTENT_NODE_PORT,
    CONTENT_NODE_SEARCH_PORT,
    GroupPlan,
    NodeEndpoint,
    TopologyError,
    content_nodes_argument,
)

APP_MOUNT = "/app"
APP_SOURCE_MOUNT = "/etc/phasedsearch/app-package"
DATA_MOUNT = "/var/lib/phasedsearch"
TLS_MOUNT = "/etc/phasedsearch/tls"
TLS_SECRET = "phasedsearch-cluster-tls"
HEALTH_PATH = "/state/v1/health"  # 503 "initializing" until every group has been in rotation: readiness
LIVE_PATH = "/status.html"  # 200 while the process serves HTTP: startup and liveness
RUN_AS = 10001  # the image's `phasedsearch` user
GPU_DEVICE_ENV = "PHASEDSEARCH_GPU_DEVICE"
GPU_RESOURCE = "nvidia.com/gpu"
CONTAINER_NAME = "container"
MAX_CONFIGMAP_BYTES = 1_000_000  # Kubernetes refuses objects over 1 MiB
_CONFIGMAP_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")


@dataclass(frozen=True, slots=True)
class Resources:
    cpu: str
    memory: str
    memory_limit: str

    def as_spec(self, gpus: int = 0) -> dict[str, Any]:
        requests = {"cpu": self.cpu, "memory": self.memory}
        limits = {"memory": self.memory_limit}
        if gpus:  # extended resources: the request must equal the limit
            requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(gpus)
        return {"requests": requests, "limits": limits}


@dataclass(frozen=True, slots=True)
class DeployOptions:
    namespace: str = "phasedsearch"
    image: str = "phasedsearch:0.1.0"
    gpu_image: str = ""  # default: `image` with `-gpu` appended to its tag
    container_replicas: int = 2
    storage: str = "10Gi"
    storage_class: str | None = None  # None: the cluster's default StorageClass
    cluster_domain: str = CLUSTER_DOMAIN  # the kubelet's --cluster-domain; node addresses end in it
    content_node_resources: Resources = Resources("500m", "1Gi", "4Gi")
    container_resources: Resources = Resources("1", "2Gi", "4Gi")
    init_resources: Resources = Resources("50m", "64Mi", "256Mi")
    tls_secret: str | None = TLS_SECRET  # None: plaintext gRPC inside the cluster (and no NetworkPolicy)

    @property
    def resolved_gpu_image(self) -> str:
        return self.gpu_image or gpu_variant_of(self.image)


def gpu_variant_of(image: str) -> str:
    """`repo:tag` -> `repo:tag-gpu` (`repo` -> `repo:latest-gpu`); digests need an explicit GPU image."""
    if "@" in image:
        raise TopologyError(f"image '{image}' is pinned by digest; name the GPU image explicitly (--gpu-image)")
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:  # no tag: the colon, if any, belonged to a registry port
        return f"{image}:latest-gpu"
    return f"{name}:{tag}-gpu"


def labels(component: str, **extra: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "phasedsearch", "app.kubernetes.io/component": component, **extra}


def _metadata(name: str, options: DeployOptions, object_labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": options.namespace, "labels": dict(object_labels)}


# ---- the application package ---------------------------------------------------------------------

def configmap_key(path: str) -> str:
    key = path.replace("/", "__")
    if not _CONFIGMAP_KEY.match(key):
        raise TopologyError(f"application package file '{path}' has a name a ConfigMap cannot hold "
                            "(letters, digits, '-', '_', '.' only)")
    return key


def app_package_configmap(files: Mapping[str, bytes], options: DeployOptions) -> dict[str, Any]:
    """The package's files (relative POSIX path -> bytes); text as `data`, anything else as `binaryData`."""
    if sum(len(content) for content in files.values()) > MAX_CONFIGMAP_BYTES:
        raise TopologyError("the application package (without models/) is larger than a ConfigMap can hold "
                            f"({MAX_CONFIGMAP_BYTES} bytes); bake large files into the image instead")
    digest = hashlib.sha256()
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
        key = configmap_key(path)
        if key in data or key in binary:
            raise TopologyError(f"application package files collide as ConfigMap key '{key}'")
        try:
            data[key] = files[path].decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(files[path]).decode("ascii")
    configmap: dict[str, Any] = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": _metadata(f"phasedsearch-app-{digest.hexdigest()[:10]}", options, labels("app-package")),
        "immutable": True,
    }
    if data:
        configmap["data"] = data
    if binary:
        configmap["binaryData"] = binary
    return configmap


def _app_volumes(configmap: Mapping[str, Any], files: Mapping[str, bytes],
                 options: DeployOptions) -> list[dict[str, Any]]:
    items = [{"key": configmap_key(path), "path": path} for path in sorted(files)]
    volumes = [
        {"name": "app-package-source", "configMap": {"name": configmap["metadata"]["name"], "items": items}},
        {"name": "app", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
    ]
    if options.tls_secret:  # group-readable: the pods run as RUN_AS with fsGroup RUN_AS
        volumes.append({"name": "cluster-tls", "secret": {"secretName": options.tls_secret, "defaultMode": 0o440}})
    return volumes


def _tls_args(options: DeployOptions) -> list[str]:
    return ["--tls-dir", TLS_MOUNT] if options.tls_secret else []


def _tls_mounts(options: DeployOptions) -> list[dict[str, Any]]:
    return [{"name": "cluster-tls", "mountPath": TLS_MOUNT, "readOnly": True}] if options.tls_secret else []


def grpc_network_policy(cluster_id: str, options: DeployOptions, name: str = "content-node-grpc") -> dict[str, Any]:
    """Only the container and the cluster's content nodes (catch-up) may open the nodes' gRPC port
    (and the port of Search's lean transport, which the container opens)."""
    nodes = labels("content-node", **{"phasedsearch.io/cluster": cluster_id})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": _metadata(name, options, nodes),
            "spec": {"podSelector": {"matchLabels": dict(nodes)}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": labels(CONTAINER_NAME)}},
                                           {"podSelector": {"matchLabels": dict(nodes)}}],
                                  "ports": [{"protocol": "TCP", "port": CONTENT_NODE_PORT},
                                            {"protocol": "TCP", "port": CONTENT_NODE_SEARCH_PORT}]}]}}


def _init_container(image: str, options: DeployOptions) -> dict[str, Any]:
    return {
        "name": "app-package", "image": image,
        "args": ["assemble-app", APP_SOURCE_MOUNT, APP_MOUNT],
        "resources": options.init_resources.as_spec(),
        "securityContext": _container_security(),
        "volumeMounts": [{"name": "app-package-source", "mountPath": APP_SOURCE_MOUNT, "readOnly": True},
                         {"name": "app", "mountPath": APP_MOUNT}],
    }


def _pod_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"}}


def _container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}


def _spread(selector: Mapping[str, str]) -> dict[str, Any]:
    """Prefer one pod per machine, so losing a machine costs a group at most one node."""
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 100,
        "podAffinityTerm": {"labelSelector": {"matchLabels": dict(selector)},
                            "topologyKey": "kubernetes.io/hostname"}}]}}


def _pdb(name: str, selector: Mapping[str, str], object_labels: Mapping[str, str],
         options: DeployOptions) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": _metadata(name, options, object_labels),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(selector)}}}


# ---- content nodes -------------------------------------------------------------------------------

def content_group_objects(cluster_id: str, plan: GroupPlan, configmap: Mapping[str, Any],
                          files: Mapping[str, bytes], options: DeployOptions,
                          node_args: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """StatefulSet, headless Service and PodDisruptionBudget of one group; `node_args` (`--cluster
    ID` when services.xml has several) go to each node."""
    selector = labels("content-node", **{"phasedsearch.io/cluster": cluster_id,
                                         "phasedsearch.io/group": str(plan.group)})
    probe_command = ["python", "-m", "content_node.probe", "--port", str(CONTENT_NODE_PORT), *_tls_args(options)]
    node = {
        "name": "content-node", "image": options.image,
        "args": ["content-node", "--app", APP_MOUNT, "--host", "0.0.0.0", "--port", str(CONTENT_NODE_PORT),
                 "--search-port", str(CONTENT_NODE_SEARCH_PORT), *node_args, *_tls_args(options)],
        "env": [
            # the entrypoint picks this pod's distribution key by its ordinal in this list
            {"name": "PHASEDSEARCH_DISTRIBUTION_KEYS", "value": ",".join(map(str, plan.distribution_keys))},
            {"name": "PHASEDSEARCH_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "PHASEDSEARCH_DATA_DIR", "value": DATA_MOUNT},
        ],
        "ports": [{"name": "grpc", "containerPort": CONTENT_NODE_PORT, "protocol": "TCP"},
                  {"name": "search", "containerPort": CONTENT_NODE_SEARCH_PORT, "protocol": "TCP"}],
        # replaying a large write-ahead log may take minutes: the startup probe allows 10
        "startupProbe": {"exec": {"command": probe_command}, "periodSeconds": 10, "timeoutSeconds": 5,
                         "failureThreshold": 60},
        "readinessProbe": {"exec": {"command": probe_command}, "periodSeconds": 10, "timeoutSeconds": 5,
                           "failureThreshold": 2},
        "livenessProbe": {"exec": {"command": [*probe_command, "--liveness"]}, "periodSeconds": 20,
                          "timeoutSeconds": 5,
                          "failureThreshold": 3},
        "resources": options.content_node_resources.as_spec(),
        "securityContext": _container_security(),
        "volumeMounts": [{"name": "data", "mountPath": DATA_MOUNT},
                         {"name": "app", "mountPath": APP_MOUNT, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}, *_tls_mounts(options)],
    }
    claim_spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                                  "resources": {"requests": {"storage": options.storage}}}
    if options.storage_class:
        claim_spec["storageClassName"] = options.storage_class
    statefulset = {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": _metadata(plan.name, options, selector),
        "spec": {
            "serviceName": plan.name,
            "replicas": len(plan.distribution_keys),
            "podManagementPolicy": "Parallel",  # nodes do not depend on each other to start
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {"labels": dict(selector)},
                "spec": {
                    "securityContext": _pod_security(),
                    # the close may write an index image (a minute or more at 500,000 documents);
                    # Kubernetes waits only until the node exits (as `phasedsearch down --max-wait`)
                    "terminationGracePeriodSeconds": 600,
                    "affinity": _spread(selector),
                    "initContainers": [_init_container(options.image, options)],
                    "containers": [node],
                    "volumes": _app_volumes(configmap, files, options),
                },
            },
            "volumeClaimTemplates": [{"metadata": {"name": "data", "labels": dict(selector)},
                                      "spec": claim_spec}],
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        },
    }
    headless = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": _metadata(plan.name, options, selector),
        "spec": {
            "clusterIP": "None",
            # the container pings nodes itself, so it must resolve a node before it is ready
            "publishNotReadyAddresses": True,
            "selector": dict(selector),
            "ports": [{"name": "grpc", "port": CONTENT_NODE_PORT, "targetPort": "grpc", "protocol": "TCP"},
                      {"name": "search", "port": CONTENT_NODE_SEARCH_PORT, "targetPort": "search",
                       "protocol": "TCP"}],
        },
    }
    return [statefulset, headless, _pdb(plan.name, selector, selector, options)]


# ---- the container -------------------------------------------------------------------------------

def container_objects(endpoints: tuple[NodeEndpoint, ...], configmap: Mapping[str, Any],
                      files: Mapping[str, bytes], options: DeployOptions, *, gpu: bool = False) -> list[dict[str, Any]]:
    """Deployment, Service and PodDisruptionBudget of the stateless container."""
    if options.container_replicas < 1:
        raise TopologyError("the container needs at least one replica")
    selector = labels(CONTAINER_NAME)
    image = options.resolved_gpu_image if gpu else options.image
    health = {"path": HEALTH_PATH, "port": "http"}
    live = {"path": LIVE_PATH, "port": "http"}
    container: dict[str, Any] = {
        "name": CONTAINER_NAME, "image": image,
        "args": ["container", "--app", APP_MOUNT, "--host", "0.0.0.0", "--port", str(CONTAINER_PORT),
                 *_tls_args(options), "--content-nodes", content_nodes_argument(endpoints)],
        # the default gpu-device of global-phase ONNX models; -1 runs them on the CPU
        "env": [{"name": GPU_DEVICE_ENV, "value": "0" if gpu else "-1"}],
        "ports": [{"name": "http", "containerPort": CONTAINER_PORT, "protocol": "TCP"}],
        "startupProbe": {"httpGet": live, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 60},
        "readinessProbe": {"httpGet": health, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2},
        "livenessProbe": {"httpGet": live, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "resources": options.container_resources.as_spec(gpus=1 if gpu else 0),
        "securityContext": _container_security(),
        "volumeMounts": [{"name": "app", "mountPath": APP_MOUNT, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}, *_tls_mounts(options)],
    }
    pod_spec: dict[str, Any] = {
        "securityContext": _pod_security(),
        "terminationGracePeriodSeconds": 30,
        "affinity": _spread(selector),
        "initContainers": [_init_container(image, options)],
        "containers": [container],
        "volumes": _app_volumes(configmap, files, options),
    }
    if gpu:
        pod_spec["tolerations"] = [gpu_toleration()]
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": _metadata(CONTAINER_NAME, options, selector),
        "spec": {
            "replicas": options.container_replicas,
            "strategy": container_rollout(gpu),
            "selector": {"matchLabels": dict(selector)},
            "template": {"metadata": {"labels": dict(selector)}, "spec": pod_spec},
        },
    }
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": _metadata(CONTAINER_NAME, options, selector),
        "spec": {"type": "ClusterIP", "selector": dict(selector),
                 "ports": [{"name": "http", "port": CONTAINER_PORT, "targetPort": "http", "protocol": "TCP"}]},
    }
    return [deployment, service, _pdb(CONTAINER_NAME, selector, selector, options)]


def gpu_toleration() -> dict[str, Any]:
    """GPU machines are usually tainted so that only pods asking for a GPU land there."""
    return {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}


def container_rollout(gpu: bool) -> dict[str, Any]:
    """Surge one new pod before stopping an old one; on GPUs, where a spare GPU is rare, the reverse."""
    surge, unavailable = (0, 1) if gpu else (1, 0)
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
