"""Where every content node lives on Kubernetes, derived from the application package's topology.

One StatefulSet (and headless Service of the same name) per content group of each content cluster; the group's nodes, in
distribution-key order, are its pods 0..n-1. A node's stable address is its pod's DNS name,
`<statefulset>-<ordinal>.<service>.<namespace>.svc.cluster.local`, and that is what the container's
`--content-nodes` argument lists — the same `key/group=host:port` syntax the local cluster uses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from searchlib.schema.model import ContentCluster

CLUSTER_DOMAIN = "cluster.local"
CONTENT_NODE_PORT = 19100
CONTENT_NODE_SEARCH_PORT = 19110  # the lean Search transport beside gRPC (searchlib/wire/frames.py)
CONTAINER_PORT = 8080
# a StatefulSet's pods carry a `controller-revision-hash` label `<name>-<10 chars>`, itself a label
MAX_STATEFULSET_NAME = 52
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


class TopologyError(ValueError):
    """The application package's topology cannot be deployed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class GroupPlan:
    group: int  # the group's distribution key (0 for an ungrouped cluster)
    name: str  # StatefulSet, headless Service and PodDisruptionBudget name
    distribution_keys: tuple[int, ...]  # pod ordinal i runs the node with distribution_keys[i]


@dataclass(frozen=True, slots=True)
class NodeEndpoint:
    distribution_key: int
    group: int
    pod: str  # `<statefulset>-<ordinal>`
    host: str  # the pod's fully qualified DNS name
    port: int
    cluster: str = ""  # the <content> id when services.xml has several, else ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def dns_label(text: str, what: str) -> str:
    """`text` as a DNS-1123 label (lower case, `-` for anything else), or TopologyError."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if not _DNS_LABEL.match(label) or len(label) > 63:
        raise TopologyError(f"{what} '{text}' does not make a Kubernetes name (DNS-1123 label)")
    return label


def check_dns_label(text: str, what: str) -> str:
    """`text` itself when it is a DNS-1123 label (a namespace must be one as written)."""
    if not _DNS_LABEL.match(text) or len(text) > 63:
        raise TopologyError(f"{what} '{text}' is not a DNS-1123 label (lower-case letters, digits and '-')")
    return text


def plan_groups(cluster: ContentCluster) -> tuple[GroupPlan, ...]:
    if not cluster.nodes:
        raise TopologyError(f"content cluster '{cluster.id}' has no nodes")
    base = dns_label(cluster.id, "content cluster id")
    plans = []
    for group in cluster.groups:
        keys = tuple(sorted(node.distribution_key for node in cluster.nodes if node.group == group))
        name = f"{base}-group{group}"
        if len(name) > MAX_STATEFULSET_NAME:
            raise TopologyError(f"StatefulSet name '{name}' is longer than {MAX_STATEFULSET_NAME} characters; "
                                "use a shorter content cluster id in services.xml")
        plans.append(GroupPlan(group, name, keys))
    return tuple(plans)


def node_endpoints(groups: tuple[GroupPlan, ...], namespace: str, port: int = CONTENT_NODE_PORT,
                   cluster_domain: str = CLUSTER_DOMAIN, cluster: str = "") -> tuple[NodeEndpoint, ...]:
    """Every node's address, in distribution-key order; `cluster`: the <content> id to name (of several)."""
    endpoints = [
        NodeEndpoint(key, plan.group, f"{plan.name}-{ordinal}",
                     f"{plan.name}-{ordinal}.{plan.name}.{namespace}.svc.{cluster_domain}", port, cluster)
        for plan in groups for ordinal, key in enumerate(plan.distribution_keys)
    ]
    return tuple(sorted(endpoints, key=lambda endpoint: endpoint.distribution_key))


def content_nodes_argument(endpoints: tuple[NodeEndpoint, ...]) -> str:
    """The container's `--content-nodes` value: `[cluster:]key/group=host:port,...`."""
    return ",".join(f"{e.cluster + ':' if e.cluster else ''}{e.distribution_key}/{e.group}={e.address}"
                    for e in endpoints)
