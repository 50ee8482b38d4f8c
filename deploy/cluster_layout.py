"""The layout of a local cluster: which distribution key is in which content cluster and group.

A new layout on an existing data dir is not checked here: each node started in another group than
the one its stored documents were placed under refuses to start itself (exit code 5, one FATAL line
`phasedsearch up` shows; content_node/placement_record.py), the one rule for what "holds data" means."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from deploy.processes import LOOPBACK


@dataclass(frozen=True, slots=True)
class NodeSpec:
    distribution_key: int
    group: int
    port: int
    host: str = LOOPBACK
    cluster: str = ""  # the services.xml <content> id when the package has several, else ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def node_specs(nodes: int, groups: int, ports: Sequence[int], host: str = LOOPBACK,
               clusters: Sequence[str] = ("",)) -> list[NodeSpec]:
    """Distribution keys 0..nodes-1: the clusters take equal shares in key order (keys stay unique
    across clusters, so a node's key names its process and data dir), each share split into
    `groups` equal groups."""
    per_cluster = nodes // len(clusters)
    per_group = per_cluster // groups
    return [NodeSpec(key, (key % per_cluster) // per_group, port, host, clusters[key // per_cluster])
            for key, port in enumerate(ports)]
